"""scripts/device_prepare.sh thin / restore: the checkpoints that stay out of a device call come back
unchanged, and only the kept ones travel."""

import shutil
import subprocess
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "device_prepare.sh"


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_thin_keeps_only_named_paths_and_restore_brings_back_every_byte(tmp_path):
    repo = tmp_path / "repo"
    (repo / "scripts").mkdir(parents=True)
    shutil.copy(SCRIPT, repo / "scripts")
    layout = {"bfm_v4/checkpoint.safetensors": b"w4", "bfm_v4/train_state.safetensors": b"s4", "bfm_v4/tb/ev": b"tb",
              "bfm_v5/checkpoint.safetensors": b"w5", "tokens/lj/checkpoint.safetensors": b"lj", "tokens/lj/tb/ev": b"ljtb",
              "tokens/strike/checkpoint.safetensors": b"st"}
    for rel, data in layout.items():
        (repo / "checkpoints" / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / "checkpoints" / rel).write_bytes(data)
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    before = _files(repo / "checkpoints")

    run = subprocess.run(["bash", "scripts/device_prepare.sh", "thin", "bfm_v4/checkpoint.safetensors", "tokens/lj"],
                         cwd=repo, check=True, capture_output=True, text=True)
    assert "travels:" in run.stdout
    assert set(_files(repo / "checkpoints")) == {"bfm_v4/checkpoint.safetensors", "tokens/lj/checkpoint.safetensors", "tokens/lj/tb/ev"}
    assert not (repo / "checkpoints" / "bfm_v5").exists()  # emptied folders go too
    assert (tmp_path / "device_hold" / "checkpoints" / "tokens" / "strike" / "checkpoint.safetensors").read_bytes() == b"st"

    subprocess.run(["bash", "scripts/device_prepare.sh", "restore"], cwd=repo, check=True, capture_output=True)
    assert _files(repo / "checkpoints") == before
    assert not (tmp_path / "device_hold").exists()
