"""Writing evaluation and benchmark reports."""

from __future__ import annotations

import json
from pathlib import Path


def write_json(path: Path | None, report: dict) -> None:
    """Write a report as indented JSON (creating the folder); nothing when path is None."""
    if path is None:
        return
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2))
