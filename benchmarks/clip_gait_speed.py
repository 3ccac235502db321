"""The speed the BFM reaches under the jog clip's goals shown r times ahead of real time: the
calibration behind tasks/clip_prior.py GAIT_SPEEDS.

Usage: .venv/bin/python benchmarks/clip_gait_speed.py [--rates 1.0 1.2 ...] [--envs 32] [--bfm C]
Direction environments (seed 1), each commanded along the heading it starts with, so that no turn
is asked; the prior alone shows the jog clip's goals (motion matched to the character every step,
every body and the root, both channels) from a goal table built at times r x the usual goal times.
Prints, per r: the share of environments still up after 200 steps and their median and mean planar
root speed over steps 60-199.
"""

from __future__ import annotations

import argparse

import torch

from tasktokens import rotations as rot
from tasktokens.eval.bfm import SHIPPED_BFM
from tasktokens.models.bfm import Goals
from tasktokens.models.loading import load_bfm
from tasktokens.models.task_tokens import TaskTokenActor
from tasktokens.motion.motion_lib import MotionLib, data_root
from tasktokens.tasks import clip_prior as cp
from tasktokens.tasks import get_task
from tasktokens.tasks.base import TaskEnvConfig
from tasktokens.tasks.priors import goal_times, turn_limited


def fixed_rate_prior(env, bfm, rate: float):
    """The clip gait at one rate, no speed feedback: (proprio, task) -> Goals."""
    ch = env.character
    lib = MotionLib.from_paths([data_root() / "motions" / "deepmimic" / "clips" / f"{cp.JOG_CLIP}.txt"], ch)
    times = goal_times(bfm.cfg.near_steps, env.dt)
    table = cp.clip_goal_table(lib, 0, times * rate, env.dt, torch.tensor(ch.body_indices(ch.conditionable_bodies)))

    def prior(proprio, task):
        idx = torch.cdist(cp.match_features(proprio, ch.num_bodies), table.features).argmin(dim=-1)
        frames = cp.turn_goal_frames(table.goals[idx], turn_limited(torch.atan2(task[:, 1], task[:, 0]), times))
        frames = torch.cat([frames, torch.ones(*frames.shape[:-1], 2)], dim=-1)
        return Goals(frames, times.expand(task.shape[0], -1))

    return prior


def measure(rate: float, envs: int, bfm_path) -> tuple[float, float, float]:
    spec = get_task("direction")
    env = spec.env_cls(spec.config_cls(env=TaskEnvConfig(num_envs=envs, episode_steps=300, seed=1), command_steps=10**6))
    bfm, _ = load_bfm(bfm_path, env.character)
    actor = TaskTokenActor(env.get_observations(), bfm, None, fixed_rate_prior(env, bfm, rate)).eval()
    yaw = rot.heading_angle(env.root_quat).clone()
    speeds, up = [], torch.ones(envs, dtype=torch.bool)
    with torch.inference_mode():
        for t in range(200):
            env.target_yaw[:], env.target_speed[:] = yaw, 3.0  # the speed is not used by this prior
            _obs, _r, done, _e = env.step(actor(env.get_observations()))
            up &= ~done
            if t >= 60:
                speeds.append(env.root_velocity()[:, :2].norm(dim=-1))
    s = torch.stack(speeds)[:, up]
    return float(up.float().mean()), float(s.median()), float(s.mean())


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rates", type=float, nargs="+", default=list(cp.GAIT_RATES))
    p.add_argument("--envs", type=int, default=32)
    p.add_argument("--bfm", default=str(SHIPPED_BFM))
    a = p.parse_args()
    torch.set_num_threads(1)
    print("| r | upright at step 200 | median speed (m/s) | mean speed (m/s) |")
    print("| --- | --- | --- | --- |")
    for r in a.rates:
        up, med, mean = measure(r, a.envs, a.bfm)
        print(f"| {r:.1f} | {up:.2f} | {med:.2f} | {mean:.2f} |", flush=True)


if __name__ == "__main__":
    main()
