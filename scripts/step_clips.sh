#!/usr/bin/env bash
# Square-pelvis side and backward steps for BFM training (MIT-derived, permissive): the synthesized
# steps (`tasktokens motion synth steps`: from the MIT stand, 0.4-1.2 m/s, with mirrors) and the MIT
# walk turning into them (motion/splice.py, 1 s blends, with mirrors), since the synthesized clips
# all start from standing and the probes and priors also ask for side steps from a walk.
# Writes runs/clips_steps and runs/clips_steps_transitions.
# Usage: bash scripts/step_clips.sh   (data: $TASKTOKENS_DATA or ../shared/data)
set -euo pipefail
cd "$(dirname "$0")/.."
M="${TASKTOKENS_DATA:-../shared/data}/motions/deepmimic"
tt=.venv/bin/tasktokens
[ -d runs/clips_steps ] || $tt motion synth steps --out runs/clips_steps --json runs/clips_steps.json
rm -rf runs/clips_steps_transitions
# the walk's first 2 s into the steps at full speed (from 1.6 s: 0.8 s standing and a 0.8 s ramp)
for c in walk_sideways__synth_step_left_0p6 walk_sideways__synth_step_left_1p0 walk_backward__synth_step_backward_0p6 walk_backward__synth_step_backward_1p0; do
  $tt motion splice "$M/clips/humanoid3d_walk.txt" "runs/clips_steps/$c.npz" --first-window 0 2 --second-window 1.6 -1 \
    --blend 1.0 --skill "${c%%__*}" --mirror --out runs/clips_steps_transitions > /dev/null 2>&1 || { echo "failed: splice into $c" >&2; exit 1; }
done
echo "steps: $(ls runs/clips_steps | wc -l), walk into steps: $(ls runs/clips_steps_transitions | wc -l)"
