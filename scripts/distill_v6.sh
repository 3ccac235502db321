#!/usr/bin/env bash
# BFM v6: BFM v4 continued (--init-from: same sizes, skill embeddings matched by label) with
# tracker v2 as the teacher, on the MIT clips v4 was distilled on plus the broadened corpus
# (scripts/broad_clips.sh: 22 Reallusion clips, NON-COMMERCIAL, and 136 synthesized standing
# reaches; the 3 held-out Reallusion clips stay out), skill-balanced sampling (the teacher's
# setting), root-only masks 0.4 and root + hand masks 0.15 (the goals the probes and priors use),
# bf16 updates on a CPU with native bf16 (avx512_bf16 or amx_bf16 in /proc/cpuinfo), fp32 elsewhere:
# emulated bf16 made an update 14x slower than fp32 (100-105 s against 7-8 s on an AVX2-only EPYC);
# PRECISION=... overrides.
# From 2026-12-07 it also trains on the transition clips and the mirrored Reallusion clips
# (scripts/transition_clips.sh: stops, starts, MIT stance <-> side and backward steps and turns).
# From 2026-12-07 (runs/bfm_v6s) also on the synthesized square-pelvis side and backward steps
# (scripts/step_clips.sh: runs/clips_steps, MIT-derived), and from 2026-12-07 (after 21.60M) on its
# MIT-walk-into-steps transitions (runs/clips_steps_transitions).
# Usage: bash scripts/distill_v6.sh [--resume] [extra `pretrain bfm` options]
#   first run:  bash scripts/distill_v6.sh                (starts $OUT from $INIT)
#   continue:   bash scripts/distill_v6.sh --resume       (from $OUT's last checkpoint)
# TEACHER=... overrides the teacher (default checkpoints/tracker_v2/checkpoint.safetensors);
# INIT=... the BFM a first run starts from (default checkpoints/bfm_v4/checkpoint.safetensors);
# OUT=... the run folder (default runs/bfm_v6).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/broad_clips.sh
[ -d runs/clips_transitions ] && [ -d runs/clips_reallusion_mirrored ] || bash scripts/transition_clips.sh
[ -d runs/clips_steps ] && [ -d runs/clips_steps_transitions ] || bash scripts/step_clips.sh
M="${TASKTOKENS_DATA:-../shared/data}/motions/deepmimic"
teacher="${TEACHER:-checkpoints/tracker_v2/checkpoint.safetensors}"
start=(--init-from "${INIT:-checkpoints/bfm_v4/checkpoint.safetensors}")
for arg in "$@"; do [ "$arg" = --resume ] && start=(); done
precision="${PRECISION:-fp32}"
[ -z "${PRECISION:-}" ] && grep -qwE "avx512_bf16|amx_bf16" /proc/cpuinfo 2>/dev/null && precision=bf16
clips=("$M"/long)
for c in walk jog run crawl punch kick stealthy_walk zombie_walk dance_spin getup_facedown getup_faceup; do clips+=("$M/clips/humanoid3d_$c.txt"); done
exec .venv/bin/tasktokens pretrain bfm --out "${OUT:-runs/bfm_v6}" --teacher "$teacher" "${start[@]}" \
  --motions "${clips[@]}" runs/clips_broad_train runs/clips_transitions runs/clips_transitions_rl runs/clips_reallusion_mirrored runs/clips_steps runs/clips_steps_transitions \
  --learning-rate 1e-4 --prior-action-weight 1.0 --masks.root-only-prob 0.4 --masks.hand-prob 0.15 \
  --precision "$precision" --runner.max-samples 200000000 --runner.checkpoint-minutes 5 "$@"
