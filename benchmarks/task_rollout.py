"""Shared by the task benchmarks (direction_speed.py, direction_failures.py, steering_failures.py,
strike_failures.py, long_jump_outcomes.py): a policy's first episodes on a task, exactly as
`tasktokens eval task` runs them, their command line, and per-bin means of what they observed."""

from __future__ import annotations

import argparse

import torch

from tasktokens.eval import task as eval_task
from tasktokens.tasks.base import TaskEnvConfig
from tasktokens.tasks.clip_prior import GaitOptions


def policy_arguments(description: str, default_method: str, *extra: tuple[str, dict], jog_gait: bool = True) -> argparse.Namespace:
    """--token, --method, --envs, --prior-clips, --gait (only with jog_gait: the tasks whose prior
    shows the jog gait) and the extra (flag, argparse keywords); one torch thread (the policy's
    numbers do not depend on it). --method defaults to default_method without --token and to
    `eval task`'s task_tokens with one (a token then keeps the prior it was trained with, as in
    `eval task --token`), so that the same --token, --method and --envs as `eval task`'s --token,
    --method and --episodes give the same episodes."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--token", default=None, help="token checkpoint (default: the shipped one of the method)")
    p.add_argument("--method", default=None,
                   help=f"default: {default_method} without --token; task_tokens with --token (as `eval task`: "
                   "the token's own prior)")
    p.add_argument("--envs", type=int, default=64, help="environments, one first episode each (`eval task --episodes`)")
    p.add_argument("--prior-clips", action="store_true", help="prior_only: with the clip gait (tasks/clip_prior.py)")
    if jog_gait:
        p.add_argument("--gait", type=float, nargs=2, metavar=("TOP_RATE", "FEEDBACK"), default=None,
                       help="the jog gait's options (clip_prior.GaitOptions): prior_only's with --prior-clips, or in place of a clip-gait token's own (a probe)")
    else:
        p.set_defaults(gait=None)  # gait_of reads args.gait either way
    for flag, kwargs in extra:
        p.add_argument(flag, **kwargs)
    args = p.parse_args()
    if args.method is None:
        args.method = "task_tokens" if args.token else default_method
    torch.set_num_threads(1)
    return args


def gait_of(args: argparse.Namespace) -> GaitOptions | None:
    """The clip gait the command line asks for: --gait's, else the defaults with --prior-clips."""
    if args.gait is not None:
        return GaitOptions(*args.gait)
    return GaitOptions() if args.prior_clips else None


def run_first_episodes(task: str, token, method: str, envs: int, observe=None, steps: int = 300, seed: int = 1, on_env=None,
                       clip_gait: GaitOptions | None = None) -> float:
    """The episodes of `tasktokens eval task --task task --method method --token token --episodes
    envs` (eval/task.py TaskEval.evaluate): its environment config (every field TaskEval sets, from
    TaskEval's own defaults; the rest TaskEnvConfig's, simulation threads included), its policy
    (load_policy, the shipped BFM for prior_only) and its stepping (eval/task.py
    run_first_episodes: each environment's first episode to its time-out or first fall, then no
    more; env.segments counts those episodes' segments only, so env.segments.rate is eval task's
    success_rate). observe(env, alive (N,) bool), if given, is called after every step (after the
    environments that ended were reset); alive is False from an environment's first end on (the
    ending step included). on_env(env), if given, sees the environment before the policy is built
    and the first step; clip_gait: as eval/task.py load_policy's. Returns the mean length in steps
    of the first episodes, ending step included (eval task's mean_episode_steps)."""
    ev = eval_task.TaskEval(task=task, method=method, token=token, episodes=envs, episode_steps=steps, seed=seed)
    spec = eval_task.task_spec(ev.task, ev.task_modules, ev.token)
    env_cfg = TaskEnvConfig(num_envs=ev.episodes, episode_steps=ev.episode_steps, seed=ev.seed, gravity_scale=ev.gravity_scale,
                            friction_scale=ev.friction_scale, mass_scale=ev.mass_scale, speed_window_steps=ev.speed_window_steps,
                            init_motions=ev.init_motions)
    env = spec.env_cls(spec.config_cls(env=env_cfg))
    if on_env is not None:
        on_env(env)
    actor, _ = eval_task.load_policy(ev.task, ev.method, ev.token, ev.bfm, env, clip_gait)
    running = torch.ones(envs, dtype=torch.bool)  # eval_task.run_first_episodes updates it in place after each step
    if observe is not None:
        step = env.step

        def step_and_observe(actions):
            out = step(actions)
            observe(env, running & ~out[2])  # what running becomes after this step
            return out

        env.step = step_and_observe
    length = eval_task.run_first_episodes(env, actor, ev.episode_steps, running=running)
    return length.float().mean().item()


def binned_means(key: torch.Tensor, bins, values) -> list[tuple[float, float, tuple[float, ...], int]]:
    """For each (lo, hi) bin of key (K,): (lo, hi, the mean of each tensor of values (K,) over the
    entries with lo <= key < hi, their count); empty bins are left out."""
    rows = []
    for lo, hi in bins:
        m = (key >= lo) & (key < hi)
        if m.any():
            rows.append((lo, hi, tuple(float(v[m].float().mean()) for v in values), int(m.sum())))
    return rows
