"""Which modules a piece of code imports, run in a fresh interpreter (import-cost and layering tests)."""

from __future__ import annotations

import subprocess
import sys


def modules_after(code: str, timeout: float = 300) -> set[str]:
    """Every module in sys.modules after running `code` in a fresh interpreter."""
    probe = f"import sys\n{code}\nprint('modules:', *sorted(sys.modules))"
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, proc.stderr
    last = proc.stdout.strip().splitlines()[-1]
    assert last.startswith("modules:"), proc.stdout
    return set(last.split()[1:])
