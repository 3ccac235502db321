"""Where the repository and its shipped checkpoints are (no heavy imports: the command-line
configs take their defaults from here without loading torch)."""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
"""The repository root: shipped checkpoints live under it."""

# Shipped versions live side by side: v1 (checkpoints/bfm) and v2 stay because tokens trained on
# them name them; the default is the latest.
SHIPPED_BFM = REPO_ROOT / "checkpoints" / "bfm_v4" / "checkpoint.safetensors"
"""The default frozen BFM."""
