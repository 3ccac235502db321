#!/usr/bin/env bash
# Issue 45's comparison at 10M samples per run, built in pieces: every call trains what is missing
# (seed by seed, stage by stage: an evaluation on 256 episodes every 1M samples) and reuses what is
# cached in runs/report_10m; SIGTERM stops it with the run saved, and the same call continues.
# Runs committed to checkpoints/report_10m (a run's last state and its stage evaluations) are copied
# into runs/report_10m first when that folder is missing, so a fresh clone continues them.
# Usage: bash scripts/report_10m.sh [--methods M ...] [--tasks T ...] [other `tasktokens report` options]
#   default: Task Tokens on direction (3 seeds), on the default BFM (v4); later flags win, e.g.
#   `bash scripts/report_10m.sh --methods ppo_scratch` for another row.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -d runs/report_10m ] && [ -d checkpoints/report_10m ]; then
  mkdir -p runs && cp -r checkpoints/report_10m runs/report_10m
fi
exec .venv/bin/tasktokens report --tasks direction --methods task_tokens --samples 10000000 --stages 10 --seeds 3 --seeds-other 2 \
  --episodes 256 --runs runs/report_10m --out-md runs/report_10m/results.md --out-json runs/report_10m/results.json \
  --plots-dir runs/report_10m/plots --discussion None "$@"
