"""Average the weights of checkpoints of one run (offline Polyak averaging).

    .venv/bin/python scripts/average_checkpoints.py A.safetensors B.safetensors ... --out OUT.safetensors

Float tensors are averaged; normaliser counts and the metadata (config, character fingerprint,
counters) come from the last file, with "averaged_from" added (tasktokens.train.checkpoint.
average_weights). Why: distillation at a constant learning rate oscillates between checkpoints
(full-goal success 0.880-0.894 x the teacher's over 6M samples, docs/bfm-and-task-tokens.md).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from safetensors.torch import save_file

from tasktokens.character import get_character
from tasktokens.train.checkpoint import CheckpointError, average_weights


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkpoints", nargs="+", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--character", default="humanoid3d")
    args = parser.parse_args()
    try:
        tensors, meta = average_weights(args.checkpoints, get_character(args.character))
    except CheckpointError as e:
        raise SystemExit(str(e)) from None
    args.out.parent.mkdir(parents=True, exist_ok=True)
    # the metadata as save_weights writes it: each value JSON-encoded
    save_file(tensors, str(args.out), metadata={k: json.dumps(v) for k, v in meta.items()})
    print(f"{args.out}: mean of {len(args.checkpoints)} checkpoints, {len(tensors)} tensors")


if __name__ == "__main__":
    main()
