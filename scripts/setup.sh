#!/usr/bin/env bash
# One-time set-up on a fresh machine: system GL libraries for headless rendering (if missing),
# a virtual environment at .venv with tasktokens installed (editable) and the dev tools.
# Idempotent: re-running it only checks.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! ldconfig -p 2>/dev/null | grep -q "libEGL.so.1" || ! ls /usr/lib/*/dri/swrast_dri.so >/dev/null 2>&1; then
  echo "installing EGL/Mesa for headless rendering" >&2
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq libegl1 libegl-mesa0 libgl1-mesa-dri libgles2 >/dev/null
fi

if [ ! -x .venv/bin/python ]; then
  python3.11 -m venv .venv 2>/dev/null || python3 -m venv .venv
fi
# torch is pinned to the CPU wheel this machine kind carries; the constraint keeps every other
# package from pulling another torch.
if ! .venv/bin/python -c "import tasktokens, torch, mujoco, mujoco_warp, mink, pybvh, pytest" 2>/dev/null; then
  .venv/bin/pip install -q --disable-pip-version-check -c constraints.txt -e ".[dev]"
fi
.venv/bin/python -c "import torch, mujoco; print(f'tasktokens ready: torch {torch.__version__}, mujoco {mujoco.__version__}')"
