#!/usr/bin/env bash
# The clips ending in a held standing pose that BFM v5 was distilled with (tasktokens motion hold):
# long_walk3 and its mirror slowing down and stopping (13.0-17.4 s), the kick back at rest
# (0-1.4 s) and the face-down get-up (whole clip), each then held still for 6 s.
# Usage: bash scripts/hold_clips.sh [OUT_DIR]   (default runs/clips_hold; data: $TASKTOKENS_DATA or ../shared/data)
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-runs/clips_hold}"
m="${TASKTOKENS_DATA:-../shared/data}/motions/deepmimic"
tt=.venv/bin/tasktokens
$tt motion hold "$m/long/humanoid3d_long_walk3.txt" "$m/long/humanoid3d_long_walk3_mirror.txt" --start 13.0 --end 17.4 --hold-seconds 6 --out "$out"
$tt motion hold "$m/clips/humanoid3d_kick.txt" --start 0.0 --end 1.4 --hold-seconds 6 --out "$out"
$tt motion hold "$m/clips/humanoid3d_getup_facedown.txt" --start 0.0 --end 3.03 --hold-seconds 6 --out "$out"
