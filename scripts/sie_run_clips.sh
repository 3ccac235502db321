#!/usr/bin/env bash
# The 46 SIE run clips (forward, left and right: starts, turns of up to 104 degrees and stops, peaks of 2.6-5.7 m/s), labelled
# with the `run` skill of the MIT clips (tasktokens motion convert --skill), so that a BFM
# distilled on the MIT clips can continue with them under its own skill vocabulary.
# Licence: CC BY-NC 4.0 (Sony Interactive Entertainment), research use only; a model trained on
# them inherits the restriction (its model card says so: the .npz files keep their source path).
# Usage: bash scripts/sie_run_clips.sh [OUT_DIR]   (default runs/clips_sie_run; data: $TASKTOKENS_DATA or ../shared/data)
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-runs/clips_sie_run}"
m="${TASKTOKENS_DATA:-../shared/data}/motions/deepmimic"
.venv/bin/tasktokens motion convert "$m"/sie-noncommercial/sie_humanoid3d_run_*.txt --skill run --out "$out"
