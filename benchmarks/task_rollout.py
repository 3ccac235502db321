"""Shared by the task benchmarks (direction_speed.py, steering_failures.py): a policy's first
episodes on a task, deterministic, as `tasktokens eval task` runs them, their command line, and
per-bin means of what they observed."""

from __future__ import annotations

import argparse

import torch

from tasktokens.eval.bfm import SHIPPED_BFM
from tasktokens.eval.task import load_policy
from tasktokens.tasks import get_task
from tasktokens.tasks.base import TaskEnvConfig
from tasktokens.tasks.clip_prior import GaitOptions


def policy_arguments(description: str, default_method: str, *extra: tuple[str, dict], jog_gait: bool = True) -> argparse.Namespace:
    """--token, --method, --envs, --prior-clips, --gait (only with jog_gait: the tasks whose prior
    shows the jog gait) and the extra (flag, argparse keywords); one torch thread (the simulation
    runs on one too)."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--token", default=None, help="token checkpoint (default: the shipped one of the method)")
    p.add_argument("--method", default=default_method)
    p.add_argument("--envs", type=int, default=64)
    p.add_argument("--prior-clips", action="store_true", help="prior_only: with the clip gait (tasks/clip_prior.py)")
    if jog_gait:
        p.add_argument("--gait", type=float, nargs=2, metavar=("TOP_RATE", "FEEDBACK"), default=None,
                       help="the jog gait's options (clip_prior.GaitOptions): prior_only's with --prior-clips, or in place of a clip-gait token's own (a probe)")
    else:
        p.set_defaults(gait=None)  # gait_of reads args.gait either way
    for flag, kwargs in extra:
        p.add_argument(flag, **kwargs)
    args = p.parse_args()
    torch.set_num_threads(1)
    return args


def gait_of(args: argparse.Namespace) -> GaitOptions | None:
    """The clip gait the command line asks for: --gait's, else the defaults with --prior-clips."""
    if args.gait is not None:
        return GaitOptions(*args.gait)
    return GaitOptions() if args.prior_clips else None


def run_first_episodes(task: str, token, method: str, envs: int, observe, steps: int = 300, seed: int = 1, on_env=None,
                       clip_gait: GaitOptions | None = None) -> float:
    """Step the policy (the shipped BFM for prior_only) with fall termination, calling
    observe(env, alive (N,) bool) after every step; alive turns False at an environment's first
    fall. on_env(env), if given, sees the environments before the first step; clip_gait: as
    eval/task.py load_policy's. Returns the mean steps before the first fall."""
    spec = get_task(task)
    env = spec.env_cls(spec.config_cls(env=TaskEnvConfig(num_envs=envs, num_threads=1, episode_steps=steps, seed=seed)))
    if on_env is not None:
        on_env(env)
    actor, _ = load_policy(task, method, token, SHIPPED_BFM, env, clip_gait)
    obs, alive, life = env.get_observations(), torch.ones(envs, dtype=torch.bool), torch.zeros(envs)
    with torch.inference_mode():
        for _ in range(steps):
            obs, _r, done, _e = env.step(actor(obs))
            alive &= ~done
            life += alive.float()
            observe(env, alive)
    return float(life.mean())


def binned_means(key: torch.Tensor, bins, values) -> list[tuple[float, float, tuple[float, ...], int]]:
    """For each (lo, hi) bin of key (K,): (lo, hi, the mean of each tensor of values (K,) over the
    entries with lo <= key < hi, their count); empty bins are left out."""
    rows = []
    for lo, hi in bins:
        m = (key >= lo) & (key < hi)
        if m.any():
            rows.append((lo, hi, tuple(float(v[m].float().mean()) for v in values), int(m.sum())))
    return rows
