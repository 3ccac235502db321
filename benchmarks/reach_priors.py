"""Can the frozen BFM stand and reach from hand-written goals alone (no task token)?

Usage: .venv/bin/python benchmarks/reach_priors.py [--envs 64] [--bfm PATH] [--stop-seconds S] [--init-motions CLIPS...]
Runs the reach task's episodes (300 steps, deterministic) with four goal variants: no goal; a
standing root goal (zero planar velocity, current heading, pelvis upright, every goal frame); the
reach prior (right hand at the target in the far frame, tasks/priors.py); and both together.
Prints the mean steps before the first fall, the task's success rate, the median hand-target
distance over the steps the character was up, and the share of those steps after the first 60
(time to stop from the clip it starts in) whose root planar speed, averaged over the last 0.5 s,
is below 0.2 m/s (standing). --skill NAME also shows the BFM's skill token of
that label (one of the names in the BFM checkpoint's "skills") with every variant.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch

from tasktokens.eval.bfm import SHIPPED_BFM
from tasktokens.models.bfm import Goals
from tasktokens.models.loading import load_bfm
from tasktokens.tasks import get_task
from tasktokens.tasks.base import TaskEnvConfig
from tasktokens.tasks.priors import goal_times, reach_prior, root_frames

VARIANTS = ("no goal", "stand", "reach prior", "stand + reach prior")


def rollout(
    variant: str, envs: int, bfm_path, skill: str | None = None, seed: int = 1, steps: int = 300, stop_seconds: float = 0.0,
    init_motions: tuple[Path, ...] = (),
) -> tuple[float, float, float, float]:
    """(mean steps before the first fall, success rate, median hand-target distance in m, share of
    the up steps after step 60 with a 0.5 s mean root speed below 0.2 m/s). The stand goal's
    planar velocity ramps linearly from the initial root velocity to zero over stop_seconds (0:
    zero from the first step), as the clips slow down before they stop. init_motions: clips whose
    states start the episodes (default: the task's, the locomotion clips)."""
    spec = get_task("reach")
    env = spec.env_cls(spec.config_cls(env=TaskEnvConfig(num_envs=envs, num_threads=1, episode_steps=steps, seed=seed, init_motions=init_motions)))
    bfm, _ = load_bfm(bfm_path, env.character)
    skill_ids = None if skill is None else torch.full((envs,), bfm.cfg.skill_id(skill), dtype=torch.long)
    entities = len(env.character.conditionable_bodies) + 1
    times = goal_times(bfm.cfg.near_steps, env.dt)
    frames = times.numel()
    hand = reach_prior(bfm.cfg.near_steps, entities, env.dt, env.character.conditionable_bodies.index("right_hand"))
    v0_w = torch.cat([env.root_velocity_window()[:, :2], torch.zeros(envs, 1)], dim=-1)
    width = root_frames(torch.zeros(1, frames, 2), torch.zeros(1, frames), entities).shape[-1]
    running, life, dists, still = torch.ones(envs, dtype=torch.bool), torch.zeros(envs), [], []
    obs = env.get_observations()
    with torch.inference_mode():
        for t in range(steps):
            goals = None
            if "reach" in variant:
                goals = hand(obs["policy"], obs["task"])
            if "stand" in variant:
                left = (1 - (t * env.dt + times) / stop_seconds).clamp(min=0) if stop_seconds > 0 else torch.zeros(frames)
                velocity_h = env.to_heading(v0_w)[:, None, :2] * left[None, :, None]
                stand = root_frames(velocity_h, torch.zeros(envs, frames), entities)
                goals = Goals(stand if goals is None else goals.frames + stand, times.expand(envs, -1))
            if skill_ids is not None:
                empty = torch.zeros(envs, frames, entities, width)
                goals = Goals(empty if goals is None else goals.frames, times.expand(envs, -1), skill_ids)
            obs, _r, done, _e = env.step(bfm.act(obs["policy"], goals, None))
            dists.append((env.hand_pos() - env.target).norm(dim=-1)[running])
            if t >= 60:
                still.append((env.root_velocity_window()[:, :2].norm(dim=-1) < 0.2)[running].float())
            life += running.float()
            running &= ~done
            env.segments.counting &= running  # each environment's first episode only
    return float(life.mean()), env.segments.rate, float(torch.cat(dists).median()), float(torch.cat(still).mean())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--envs", type=int, default=64)
    parser.add_argument("--bfm", default=str(SHIPPED_BFM))
    parser.add_argument("--skill", default=None, help="skill label shown with every variant (e.g. punch)")
    parser.add_argument("--init-motions", nargs="*", type=Path, default=(), help="clips whose states start the episodes")
    parser.add_argument("--stop-seconds", type=float, default=0.0, help="ramp the stand goal's velocity to zero over this long")
    args = parser.parse_args()
    torch.set_num_threads(1)
    print("| goals | mean steps before the first fall (300 max) | success | median hand-target distance (m) | standing |")
    print("| --- | --- | --- | --- | --- |")
    for v in VARIANTS:
        life, rate, dist, still = rollout(v, args.envs, args.bfm, args.skill, stop_seconds=args.stop_seconds, init_motions=tuple(args.init_motions))
        print(f"| {v} | {life:.0f} | {rate:.3f} | {dist:.2f} | {still:.2f} |", flush=True)


if __name__ == "__main__":
    main()
