#!/usr/bin/env bash
# Prepares this checkout for a lent GPU machine (the `device` tool), which has Python 3.12 and
# torch but no network and takes at most 64 MiB of working tree per call:
#   bash scripts/device_prepare.sh pack          wheels -> .whl/, MIT clips -> .clips/ (both git-ignored)
#   bash scripts/device_prepare.sh thin KEEP...  moves checkpoint files outside KEEP (files or folders
#                                                under checkpoints/) to ../device_hold, so they do not travel
#   bash scripts/device_prepare.sh restore       moves them back (run it before committing)
# Then: device run, carry [".whl", ".clips"], command `bash scripts/device_adapt.sh ...`.
set -euo pipefail
cd "$(dirname "$0")/.."
hold=../device_hold
case "${1:-}" in
pack)
  mkdir -p .git/info && touch .git/info/exclude
  for p in /.whl/ /.clips/; do grep -qxF "$p" .git/info/exclude || echo "$p" >> .git/info/exclude; done
  # the packages that machine lacks, at the versions installed in .venv (scripts/setup.sh); torch,
  # numpy, rich, safetensors, imageio, tensorboard, onnx are already there. MuJoCo Warp's small
  # packages come too; warp-lang itself (a 149 MB wheel) does not fit one call's 64 MiB, so the
  # warp backend runs there only if the machine has warp-lang (docs/benchmarks.md, "Physics backends")
  pins=$(.venv/bin/python -m pip freeze | grep -i -E '^(mujoco|mujoco[-_]core|glfw|pyopengl|tyro|docstring[-_]parser|typeguard|rsl[-_]rl[-_]lib|tensordict|pyvers|gymnasium|farama[-_]notifications|mujoco[-_]warp|absl[-_]py|etils|fsspec|zipp)==')
  [ "$(echo "$pins" | wc -l)" = 17 ] || { echo "expected 17 packages in .venv, found: $pins"; exit 1; }
  # shellcheck disable=SC2086
  .venv/bin/python -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
    --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 --platform manylinux_2_17_x86_64 -d .whl $pins
  m="${TASKTOKENS_DATA:-../shared/data}/motions/deepmimic"
  mkdir -p .clips/motions/deepmimic && cp -r "$m/clips" "$m/long" "$m/LICENSE" .clips/motions/deepmimic/
  du -sh .whl .clips ;;
thin)
  shift; mkdir -p "$hold"
  find checkpoints -type f | while read -r f; do
    keep=0; for k in "$@"; do case "$f/" in "checkpoints/${k%/}/"*) keep=1;; esac; done
    if [ $keep = 0 ]; then mkdir -p "$hold/$(dirname "$f")" && mv "$f" "$hold/$f"; fi
  done
  find checkpoints -type d -empty -delete
  echo "travels: $( (git ls-files -z; git ls-files -z --others --exclude-standard) | du -ch --files0-from=- 2>/dev/null | tail -1 | cut -f1) + carried" ;;
restore)
  [ -d "$hold/checkpoints" ] || { echo "nothing held in $hold"; exit 0; }
  cp -rn "$hold/checkpoints/." checkpoints/ && rm -rf "$hold"
  git status --short checkpoints | head ;;
*) sed -n 2,9p "$0"; exit 2 ;;
esac
