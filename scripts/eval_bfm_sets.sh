#!/usr/bin/env bash
# A BFM on the clip sets of the broadened corpus (scripts/broad_clips.sh), teacher and student on
# the same episodes (the teacher is the BFM's own, from its config), then the capability probes.
# Writes OUT/{mit,reallusion_train,heldout,reach}.json and OUT/probes.json; prints one line each.
# Usage: bash scripts/eval_bfm_sets.sh CHECKPOINT OUT_DIR [MIT_EPISODES (default 1450)]
set -euo pipefail
cd "$(dirname "$0")/.."
ckpt="$1"; out="$2"; mit="${3:-1450}"; mkdir -p "$out"
tt=.venv/bin/tasktokens
$tt eval bfm --checkpoint "$ckpt" --episodes "$mit" --seed 11 --json "$out/mit.json" 2>&1 | tail -1 | sed 's/^/mit: /'
$tt eval bfm --checkpoint "$ckpt" --motions runs/clips_broad_train --episodes 316 --seed 11 --json "$out/broad_train.json" 2>&1 | tail -1 | sed 's/^/broad (trained on: 22 Reallusion + 136 reaches): /'
$tt eval bfm --checkpoint "$ckpt" --motions runs/clips_broad_heldout --episodes 60 --seed 11 --json "$out/heldout.json" 2>&1 | tail -1 | sed 's/^/held out (3): /'
$tt eval probes --bfm "$ckpt" --episodes 128 --json "$out/probes.json" 2>&1 | tail -12
