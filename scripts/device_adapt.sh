#!/usr/bin/env bash
# Task Tokens training on a lent GPU machine (the `device` tool; prepare with
# scripts/device_prepare.sh, carry [".whl", ".clips"]). Trains for TRAIN_S seconds (default 500),
# then SIGTERM: the run saves its checkpoint; the run folder comes back as $OUT/run.tar (a copy
# every 45 s as $OUT/run_partial.tar in case the call is cut), the log as $OUT/train.log.
# Policy and PPO on the GPU, simulation on 12 CPU threads; if the GPU run makes no iteration it
# falls back to the CPU (16 cores) for the time left.
#   bash scripts/device_adapt.sh FROM NAME [adapt args...]
# FROM: a run or checkpoint folder to resume (copied to runs/tokens/NAME; pass --resume), or - for
# a new run. Example (docs/scale-out.md):
#   TRAIN_S=510 bash scripts/device_adapt.sh checkpoints/tokens/long_jump_prior lj \
#     --task long_jump --prior --episode-steps 1000 --resume --num-envs 1024 --samples 60000000
set -u
cd "$(dirname "$0")/.."
t0=$(date +%s); train_s=${TRAIN_S:-500}; from=$1; name=$2; shift 2
: "${OUT:?set OUT to the folder that comes back}"
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl || exit 3
export PYTHONPATH=/tmp/site:$PWD/src MUJOCO_GL=disable TASKTOKENS_DATA=$PWD/.clips PYTHONUNBUFFERED=1
nvidia-smi -L; nproc; python3 -c "import torch, mujoco; print(torch.__version__, mujoco.__version__, torch.cuda.is_available())"
mkdir -p runs/tokens && rm -rf "runs/tokens/$name"
[ "$from" = - ] || cp -r "$from" "runs/tokens/$name"
(while sleep 45; do tar cf "$OUT/run_partial.tar" -C runs/tokens "$name" 2>/dev/null; done) &
saver=$!
train() {  # $1: device arguments, then the adapt arguments
  local dev=$1; shift
  python3 -m tasktokens.cli.main adapt "$@" $dev --eval-episodes 0 --no-video --out "runs/tokens/$name" >> "$OUT/train.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 $(( train_s - ($(date +%s) - t0) ))); do sleep 1; kill -0 $pid 2>/dev/null || break; done
  kill -TERM $pid 2>/dev/null; wait $pid; echo "adapt rc $? ($dev) at $(( $(date +%s) - t0 )) s"
}
train "--device cuda --sim-threads 12 --torch-threads 4" "$@"
if ! grep -q "^it .* sps" "$OUT/train.log" && [ $(( $(date +%s) - t0 )) -lt $(( train_s - 120 )) ]; then
  echo "the GPU run made no iteration; the CPU for the time left"; train "--sim-threads 14 --torch-threads 2" "$@"
fi
kill $saver 2>/dev/null
tar cf "$OUT/run.tar" -C runs/tokens "$name" && rm -f "$OUT/run_partial.tar"
grep "^it " "$OUT/train.log" | tail -3; echo "done at $(( $(date +%s) - t0 )) s"
