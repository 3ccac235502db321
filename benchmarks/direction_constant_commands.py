"""Direction task under constant commands: what a policy achieves at each commanded speed, judged
per step (the paper's rule) and over the 0.5 s speed window (the project's rule).

    .venv/bin/python benchmarks/direction_constant_commands.py METHOD [--token C]

METHOD: prior_only, task_tokens or task_tokens_prior (default token: the shipped one). 16
environments per speed (1.0-3.5 m/s), heading within 1 rad of the world x axis, commands held
constant; steps 60-199 of the first segment are judged (as a 199-step segment with a 60-step grace
period); a fall before step 199 fails the segment. Used for the tables in
docs/bfm-and-task-tokens.md ("How strict the direction rule is on this data").
"""

from __future__ import annotations

import argparse

import torch

from tasktokens.eval.bfm import SHIPPED_BFM
from tasktokens.eval.task import load_policy
from tasktokens.tasks import get_task
from tasktokens.tasks.base import TaskEnvConfig
from tasktokens.tasks.rewards import VelocityWindow, direction_errors

SPEEDS = (1.0, 1.5, 2.0, 2.5, 3.0, 3.5)
PER_SPEED, STEPS, GRACE, SEGMENT = 16, 300, 60, 199


def rollout(method: str, token) -> tuple:
    """Per-step and windowed root velocities (T, N, 3), upright flags (T, N), and the env."""
    n = PER_SPEED * len(SPEEDS)
    spec = get_task("direction")
    cfg = spec.config_cls(env=TaskEnvConfig(num_envs=n, episode_steps=STEPS, seed=1), command_steps=10**6)
    env = spec.env_cls(cfg)
    actor, _ = load_policy("direction", method, token, SHIPPED_BFM, env)
    yaw = (torch.rand(n, generator=torch.Generator().manual_seed(0)) * 2 - 1) * 1.0
    speed = torch.tensor(SPEEDS).repeat_interleave(PER_SPEED)
    window = VelocityWindow(n, TaskEnvConfig.speed_window_steps)
    window.fill(torch.arange(n), env.root_velocity())
    per_step, windowed, upright = [], [], []
    running = torch.ones(n, dtype=torch.bool)
    with torch.inference_mode():
        for _ in range(SEGMENT):
            env.target_yaw[:], env.target_speed[:] = yaw, speed  # resets would draw new commands
            _obs, _r, done, _e = env.step(actor(env.get_observations()))
            running &= ~done
            v = env.root_velocity()
            window.push(v)
            per_step.append(v.clone())
            windowed.append(window.mean())
            upright.append(running.clone())
    env.target_yaw[:], env.target_speed[:] = yaw, speed
    return torch.stack(per_step), torch.stack(windowed), torch.stack(upright), env


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("method", choices=("prior_only", "task_tokens", "task_tokens_prior"))
    parser.add_argument("--token", default=None)
    args = parser.parse_args()
    torch.set_num_threads(2)
    per_step, windowed, upright, env = rollout(args.method, args.token)
    for k, sp in enumerate(SPEEDS):
        sel = slice(k * PER_SPEED, (k + 1) * PER_SPEED)
        d, s = env.target_dir[sel], env.target_speed[sel]
        judged = range(GRACE, SEGMENT)
        step_errs = [direction_errors(per_step[t, sel], d, s) for t in judged]
        e_step = torch.stack([e[0] for e in step_errs]).abs() <= 0.2
        e_win = torch.stack([direction_errors(windowed[t, sel], d, s)[0] for t in judged]).abs() <= 0.2
        along = torch.stack([e[1] for e in step_errs])
        up = upright[-1, sel]
        if not up.any():
            print(f"{args.method} {sp:.1f} m/s: every environment fell")
            continue
        print(f"{args.method} {sp:.1f} m/s: upright {up.float().mean():.2f}, speed along {along[:, up].mean():.2f} m/s; "
              f"steps within 0.2 per step {e_step[:, up].float().mean():.2f} / over 0.5 s {e_win[:, up].float().mean():.2f}; "
              f"segments per step {(e_step.all(0) & up).float().mean():.2f} / over 0.5 s {(e_win.all(0) & up).float().mean():.2f}")


if __name__ == "__main__":
    main()
