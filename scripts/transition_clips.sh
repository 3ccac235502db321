#!/usr/bin/env bash
# Transition clips for BFM training (motion/splice.py): the recorded clips never change skill, so
# a BFM distilled on them has no example of a walk or run slowing into a stand, a stand setting off,
# or the upright MIT stance changing into the Reallusion side and backward steps (the probes start
# from the MIT stand and walk). Each transition is written with its left/right mirror; the
# Reallusion clips themselves are mirrored too (their side steps lean one way: the pelvis faces
# 30-40 degrees right of travel), so both sides are covered.
# Writes runs/clips_transitions (MIT only: permissive), runs/clips_transitions_rl and
# runs/clips_reallusion_mirrored (NON-COMMERCIAL: they contain Reallusion motion).
# Usage: bash scripts/transition_clips.sh   (needs scripts/broad_clips.sh's runs/clips_reallusion)
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d runs/clips_reallusion ] || bash scripts/broad_clips.sh
M="${TASKTOKENS_DATA:-../shared/data}/motions/deepmimic"
R=runs/clips_reallusion
tt=.venv/bin/tasktokens
rm -rf runs/clips_transitions runs/clips_transitions_rl runs/clips_reallusion_mirrored
stand="$M/long/humanoid3d_long_walk3.txt"   # walks, then stands for its last ~2.4 s (15.3-17.74 s)
stand_w=(15.3 -1)
splice() { $tt motion splice "$@" --mirror > /dev/null 2>&1 || { echo "failed: motion splice $*" >&2; exit 1; }; }
# MIT: walk, jog and run slowing into the stand (then held); the stand setting off into a walk and a jog.
for g in walk:0.8 jog:1.2 run:1.4; do
  splice "$M/clips/humanoid3d_${g%%:*}.txt" "$stand" --first-window 0 3 --second-window "${stand_w[@]}" --blend "${g##*:}" --hold 3 --skill idle --out runs/clips_transitions
done
splice "$stand" "$M/clips/humanoid3d_walk.txt" --first-window "${stand_w[@]}" --second-window 0 -1 --blend 0.8 --skill walk --out runs/clips_transitions
splice "$stand" "$M/clips/humanoid3d_jog.txt" --first-window "${stand_w[@]}" --second-window 0 -1 --blend 1.2 --skill jog --out runs/clips_transitions
# MIT stand -> Reallusion side steps, backward steps, turns on the spot and idle (stance change: 1 s blends).
for c in walk_sideways__rl_walk_left01 walk_sideways__rl_walk_right01 walk_backward__rl_walk_backward01 \
         run_sideways__rl_run_left run_sideways__rl_run_right run_backward__rl_run_backward idle__rl_idle_ready \
         turn__rl_turn_left90 turn__rl_turn_right90 turn__rl_turn_left180 turn__rl_turn_right180; do
  splice "$stand" "$R/$c.npz" --first-window "${stand_w[@]}" --blend 1.0 --skill "${c%%__*}" --out runs/clips_transitions_rl
done
# MIT walk -> Reallusion side and backward steps and idle (from 1 s in: the clips start standing), and back to the MIT stand.
for c in walk_sideways__rl_walk_left01 walk_sideways__rl_walk_right01 walk_backward__rl_walk_backward01; do
  splice "$M/clips/humanoid3d_walk.txt" "$R/$c.npz" --first-window 0 2 --second-window 1.0 6.0 --blend 1.0 --skill "${c%%__*}" --out runs/clips_transitions_rl
  splice "$R/$c.npz" "$stand" --first-window 1.0 6.0 --second-window "${stand_w[@]}" --blend 1.0 --hold 3 --skill idle --out runs/clips_transitions_rl
done
splice "$M/clips/humanoid3d_walk.txt" "$R/idle__rl_idle_ready.npz" --first-window 0 2 --blend 1.0 --hold 2 --skill idle --out runs/clips_transitions_rl
$tt motion mirror "$R" --out runs/clips_reallusion_mirrored 2> /dev/null
echo "transitions: $(ls runs/clips_transitions | wc -l) MIT, $(ls runs/clips_transitions_rl | wc -l) with Reallusion; Reallusion mirrored: $(ls runs/clips_reallusion_mirrored | wc -l)"
