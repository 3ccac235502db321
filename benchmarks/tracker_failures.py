"""Where and how a tracker fails, per clip: time of the first failure, fall or drift, root drift.

Usage: .venv/bin/python benchmarks/tracker_failures.py [--checkpoint C] [--clips NAME ...] [--envs 16]
Starts `--envs` episodes per clip at evenly spaced times of the clip (from its first frame to 90%
of it), runs the tracker deterministically as `tasktokens eval tracker` does (10 s, or the end of
a non-looping clip) and prints, per clip: episodes without failure (the eval's rule: no fall and
mean body error <= 0.5 m at every step), the median time of the first failure, how many failures
were falls (a body touching the ground while its reference is above it) rather than drift (mean
body error over 0.5 m without a fall), and the root's planar distance from the reference root
0.33 s and 0.67 s after the start (the speed of the drift).
"""

from __future__ import annotations

import argparse
import dataclasses

import torch

from tasktokens.character import get_character
from tasktokens.eval.tracker import SHIPPED_TRACKER, build_actor, load_tracker
from tasktokens.motion.motion_lib import MotionLib, default_motion_paths
from tasktokens.tasks.tracking import TrackingEnv


def clip_failures(tensors, cfg, lib: MotionLib, clip: int, envs: int, threshold: float = 0.5) -> dict:
    """Run `envs` episodes of one clip; returns counts, failure times (s) and root drift (m)."""
    env_cfg = dataclasses.replace(cfg.env, num_envs=envs, num_threads=1, episode_seconds=10.0, termination_distance=1e9, fall_termination=False)
    env = TrackingEnv(env_cfg, motion_lib=lib)
    env.start_clips(torch.arange(envs), torch.full((envs,), clip), torch.linspace(0, float(lib.duration[clip]) * 0.9, envs))
    actor = build_actor(tensors, cfg, env.get_observations(), env.num_actions)
    active, fail_step = torch.ones(envs, dtype=torch.bool), torch.full((envs,), -1)
    fell = torch.zeros(envs, dtype=torch.bool)
    drift = {10: torch.zeros(envs), 20: torch.zeros(envs)}
    obs, step = env.get_observations(), 0
    with torch.inference_mode():
        while active.any():
            ref_root = env._ref_next.body_pos[:, 0, :2].clone()
            obs, _r, done, extras = env.step(actor(obs))
            step += 1
            if step in drift:
                drift[step] = torch.where(active, (extras["root_pos"][:, :2] - ref_root).norm(dim=-1), torch.full((envs,), float("nan")))
            new = active & (fail_step < 0) & (extras["fall"] | (extras["mean_body_error"] > threshold))
            fail_step[new], fell[new] = step, extras["fall"][new]
            active &= ~done
    failed = fail_step >= 0
    times = fail_step[failed].float() * env.dt
    return {
        "success": int((~failed).sum()),
        "episodes": envs,
        "median_fail_s": float(times.median()) if failed.any() else float("nan"),
        "falls": int((fell & failed).sum()),
        "drift_033": float(drift[10].nanmedian()),
        "drift_067": float(drift[20].nanmedian()),
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--checkpoint", default=str(SHIPPED_TRACKER))
    p.add_argument("--clips", nargs="*", default=None, help="clip names (default: every clip)")
    p.add_argument("--envs", type=int, default=16)
    args = p.parse_args()
    torch.set_num_threads(1)
    tensors, cfg = load_tracker(args.checkpoint)
    lib = MotionLib.from_paths(default_motion_paths(), get_character(cfg.env.character))
    print(f"{'clip':30s} {'ok':>6s} {'fail at (s)':>11s} {'falls':>6s} {'root drift 0.33 s / 0.67 s (m)':>31s}")
    for name in args.clips or lib.names:
        r = clip_failures(tensors, cfg, lib, lib.clip_index(name), args.envs)
        n_fail = r["episodes"] - r["success"]
        print(f"{name:30s} {r['success']:>3d}/{r['episodes']:<2d} {r['median_fail_s']:>11.2f} {r['falls']:>3d}/{n_fail:<2d} {r['drift_033']:>15.2f} / {r['drift_067']:.2f}")


if __name__ == "__main__":
    main()
