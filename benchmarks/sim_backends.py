"""Environment control steps/s of the two physics backends, mujoco.batch (CPU threads, float64)
and MuJoCo Warp (float32; a GPU, or Warp's CPU backend), on the same humanoid, random actions and
fall resets (HumanoidEnv, as `tasktokens bench sim` measures it). The Warp figures include the
CPU mirrors' copies (sim/warp_sim.py) and the first call's kernel compilation is left out.

    .venv/bin/python benchmarks/sim_backends.py --backends mujoco warp --num-envs 16 64 --warp-device cpu
    .venv/bin/python benchmarks/sim_backends.py --backends mujoco warp --num-envs 1024 4096 8192 --threads 16   # a GPU machine

Results: docs/benchmarks.md ("Physics backends").
"""

from __future__ import annotations

import argparse
import json
import platform
import time

import torch

from tasktokens.character import HUMANOID3D
from tasktokens.envs.humanoid_env import HumanoidEnv
from tasktokens.sim.bench import bench_env
from tasktokens.sim.common import SimConfig


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--backends", nargs="+", default=["mujoco", "warp"], choices=["mujoco", "warp"])
    p.add_argument("--num-envs", nargs="+", type=int, default=[16, 64])
    p.add_argument("--seconds", type=float, default=5.0)
    p.add_argument("--threads", type=int, default=2, help="mujoco.batch threads")
    p.add_argument("--warp-device", default="", help='e.g. "cuda:0" or "cpu" ("": the first GPU if any)')
    p.add_argument("--json", default=None)
    args = p.parse_args()
    torch.set_num_threads(1)  # as bench sim: the physics threads get the cores
    rows = []
    for backend in args.backends:
        for n in args.num_envs:
            start = time.perf_counter()
            env = HumanoidEnv(HUMANOID3D, SimConfig(num_envs=n, num_threads=args.threads, backend=backend, warp_device=args.warp_device))
            rng = torch.Generator().manual_seed(0)
            bench_env(env, 1.0, rng)  # warm-up (Warp: kernel compilation, CUDA graph capture)
            setup_s = time.perf_counter() - start
            rate = bench_env(env, args.seconds, rng)
            device = str(getattr(env.sim, "device", f"cpu x{args.threads} threads"))
            rows.append({"backend": backend, "num_envs": n, "device": device, "env_steps_per_s": rate, "setup_s": setup_s})
            print(f"{backend:7s} {device:18s} envs {n:6d}: {rate:12,.0f} control steps/s  (set-up + warm-up {setup_s:.1f} s)", flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"machine": platform.processor() or platform.machine(), "rows": rows}, f, indent=2)


if __name__ == "__main__":
    main()
