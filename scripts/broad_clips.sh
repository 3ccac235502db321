#!/usr/bin/env bash
# The broadened corpus for tracker v2 / BFM v6: the 25 Reallusion sword-and-shield clips imported
# (side steps, backward, idles, turns on the spot, a leap; NON-COMMERCIAL: a model trained on them
# inherits the restriction, its card says so) and the synthesized standing reaches, split into
# clips to train on and Reallusion locomotion clips held out to measure how the tracker generalises
# (3 of the 13 locomotion clips, each the second take of a skill whose first take is trained on).
# Usage: bash scripts/broad_clips.sh   (writes runs/clips_reallusion, runs/clips_reach,
#        runs/clips_broad_train, runs/clips_broad_heldout; data: $TASKTOKENS_DATA or ../shared/data)
set -euo pipefail
cd "$(dirname "$0")/.."
data="${TASKTOKENS_DATA:-../shared/data}/motions"
tt=.venv/bin/tasktokens
[ -d runs/clips_reallusion ] || $tt motion import "$data"/reallusion-sword-shield-noncommercial/clips --out runs/clips_reallusion --json runs/clips_reallusion.json
[ -d runs/clips_reach ] || $tt motion synth reach --out runs/clips_reach --json runs/clips_reach.json
heldout="walk_sideways__rl_walk_left02 walk_backward__rl_walk_backward02 walk__rl_walk_forward02"
rm -rf runs/clips_broad_train runs/clips_broad_heldout
mkdir -p runs/clips_broad_train runs/clips_broad_heldout
for f in runs/clips_reallusion/*.npz runs/clips_reach/*.npz; do
  name=$(basename "$f" .npz)
  if [[ " $heldout " == *" $name "* ]]; then dest=runs/clips_broad_heldout; else dest=runs/clips_broad_train; fi
  ln -s "$(realpath "$f")" "$dest/$name.npz"
done
echo "train: $(ls runs/clips_broad_train | wc -l) clips (+ the MIT default clips), held out: $(ls runs/clips_broad_heldout | wc -l)"
