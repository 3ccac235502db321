#!/usr/bin/env bash
# BFM v6: BFM v4 continued (--init-from: same sizes, skill embeddings matched by label) with
# tracker v2 as the teacher, on the MIT clips v4 was distilled on plus the broadened corpus
# (scripts/broad_clips.sh: 22 Reallusion clips, NON-COMMERCIAL, and 136 synthesized standing
# reaches; the 3 held-out Reallusion clips stay out), skill-balanced sampling (the teacher's
# setting), root-only masks 0.4 and root + hand masks 0.15 (the goals the probes and priors use),
# bf16 updates (a CPU with native bf16; on one without it, pass --precision fp32).
# Usage: bash scripts/distill_v6.sh [--resume] [extra `pretrain bfm` options]
#   first run:  bash scripts/distill_v6.sh                (starts runs/bfm_v6 from checkpoints/bfm_v4)
#   continue:   bash scripts/distill_v6.sh --resume       (from runs/bfm_v6's last checkpoint)
# TEACHER=... overrides the teacher (default checkpoints/tracker_v2/checkpoint.safetensors).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/broad_clips.sh
M="${TASKTOKENS_DATA:-../shared/data}/motions/deepmimic"
teacher="${TEACHER:-checkpoints/tracker_v2/checkpoint.safetensors}"
start=(--init-from checkpoints/bfm_v4/checkpoint.safetensors)
for arg in "$@"; do [ "$arg" = --resume ] && start=(); done
clips=("$M"/long)
for c in walk jog run crawl punch kick stealthy_walk zombie_walk dance_spin getup_facedown getup_faceup; do clips+=("$M/clips/humanoid3d_$c.txt"); done
exec .venv/bin/tasktokens pretrain bfm --out runs/bfm_v6 --teacher "$teacher" "${start[@]}" \
  --motions "${clips[@]}" runs/clips_broad_train \
  --learning-rate 1e-4 --prior-action-weight 1.0 --masks.root-only-prob 0.4 --masks.hand-prob 0.15 \
  --precision bf16 --runner.max-samples 200000000 --runner.checkpoint-minutes 5 "$@"
