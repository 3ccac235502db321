#!/usr/bin/env bash
# A tracker on the four clip sets of the broadened corpus (scripts/broad_clips.sh): the MIT default
# clips, the Reallusion clips it trains on, the 3 held-out Reallusion locomotion clips, and the
# synthesized reaches. Writes OUT/{mit,reallusion_train,heldout,reach}.json and prints one line each.
# Usage: bash scripts/eval_tracker_sets.sh CHECKPOINT OUT_DIR
set -euo pipefail
cd "$(dirname "$0")/.."
ckpt="$1"; out="$2"; mkdir -p "$out"
tt=.venv/bin/tasktokens
$tt eval tracker --checkpoint "$ckpt" --episodes 290 --json "$out/mit.json" 2>&1 | tail -1 | sed 's/^/mit: /'
$tt eval tracker --checkpoint "$ckpt" --motions runs/clips_reallusion --episodes 264 --json "$out/reallusion_all.json" 2>&1 | tail -1 | sed 's/^/reallusion (all 25): /'
$tt eval tracker --checkpoint "$ckpt" --motions runs/clips_broad_heldout --episodes 256 --json "$out/heldout.json" 2>&1 | tail -1 | sed 's/^/held out (3): /'
$tt eval tracker --checkpoint "$ckpt" --motions runs/clips_reach --episodes 272 --json "$out/reach.json" 2>&1 | tail -1 | sed 's/^/reach (136): /'
.venv/bin/python - "$out" <<'PY'
import json, sys
from pathlib import Path
out = Path(sys.argv[1])
held = set(json.loads((out / "heldout.json").read_text())["per_clip"])
per = json.loads((out / "reallusion_all.json").read_text())["per_clip"]
train = {k: v for k, v in per.items() if k not in held}
n = sum(v["episodes"] for v in train.values())
rate = sum(v["success_rate"] * v["episodes"] for v in train.values()) / n
print(f"reallusion (trained on, {len(train)} clips): success {rate:.3f} over {n} episodes")
PY
