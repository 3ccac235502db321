"""How often the motion data itself meets the direction task's per-step success rule.

Usage: .venv/bin/python benchmarks/direction_ceiling.py [--motions PATHS...] [--min-seconds 1.0]
For each locomotion clip, played kinematically at 30 Hz: the root's planar speed s, and the
fraction of frames that pass the task's rule (tasks/rewards.py: |e_rel| <= 0.2, e_rel = (v* - s) /
max(v*, STOP_SPEED_FLOOR)) when the command v* is (a) the clip's mean speed and (b) the best
constant command for that clip. The
direction rule (DESIGN.md section 6) needs every step of a 139-step segment to pass, so a clip
whose gait makes the root speed swing by more than +-20% around every constant cannot pass it
even when played back perfectly. No simulation: this bounds what any controller imitating the
clips can score.

Then the command schedule's ceiling: the share of 300-step evaluation episodes (a fresh command,
then the schedule's next one at step 199; tasks/direction.py next_yaw_speed) that a policy with a
given top speed along the command and no standing still could pass at all. A segment commanding v*
needs s >= 0.8 v*, so a top speed S covers commands up to S / 0.8; a stop command (speed 0) needs
|s| <= 0.2 * STOP_SPEED_FLOOR = 0.1 m/s, i.e. standing.

With --motions (clip files or folders) the first table lists every clip under them instead of the
MIT locomotion clips, and the second gains a row from their data (motion/coverage.py, 0.5 s-averaged
root velocity): an episode passes when, for each of its commands, the clips hold at least
--min-seconds of motion at a planar speed within 20% of it (of standing for a stop).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch

from tasktokens.character import get_character
from tasktokens.motion.clip import find_clip_files
from tasktokens.motion.motion_lib import MotionLib, data_root
from tasktokens.tasks.direction import DirectionConfig, next_yaw_speed
from tasktokens.tasks.rewards import STOP_SPEED_FLOOR, step_ok_direction

CLIPS = ["walk", "jog", "run", "stealthy_walk", "zombie_walk", "long_walk1", "long_walk2"]


def root_speed(lib: MotionLib, fps: float = 30.0) -> torch.Tensor:
    """(T,) planar root speed of clip 0 sampled at fps (the long walks turn, so a speed along a
    fixed direction would not do; for a straight clip it equals the speed along its path)."""
    times = torch.arange(0.0, float(lib.duration[0]), 1.0 / fps)
    state = lib.state(torch.zeros(len(times), dtype=torch.long), times)
    return state.body_lin_vel[:, 0, :2].norm(dim=-1)


def pass_fraction(s: torch.Tensor, command: float) -> float:
    """Fraction of speeds s (T,) meeting a constant command by the direction task's step rule."""
    e_rel = (command - s) / max(command, STOP_SPEED_FLOOR)
    return float(step_ok_direction(e_rel).float().mean())


def episode_speeds(episodes: int = 200_000) -> torch.Tensor:
    """(2, E) commanded speeds of the two segments of each evaluation episode."""
    cfg, gen = DirectionConfig(), torch.Generator().manual_seed(0)
    yaw, speed = torch.zeros(episodes), torch.zeros(episodes)
    yaw, first = next_yaw_speed(yaw, speed, torch.ones(episodes, dtype=torch.bool), cfg, gen)
    _, second = next_yaw_speed(yaw, first, torch.zeros(episodes, dtype=torch.bool), cfg, gen)
    return torch.stack([first, second])


def command_ceiling(top_speed: float, stands: bool = False, episodes: int = 200_000) -> float:
    """Share of evaluation episodes whose two commands a policy reaching top_speed (m/s) along the
    command could meet by speed alone (turning and falls aside); stops count only when it stands."""
    both = episode_speeds(episodes)
    ok = (both <= top_speed / 0.8) & ((both > 0) | stands)
    return float(ok.all(dim=0).float().mean())


def data_ceiling(motions: list[Path], min_seconds: float, episodes: int = 200_000) -> float:
    """Share of evaluation episodes whose two commands the clips under `motions` each meet for at
    least min_seconds (planar speed within 20% of the command; standing for a stop)."""
    from tasktokens.cli.motion_coverage import corpus_frames
    from tasktokens.motion import coverage as cov

    fr = cov.concat([f for _, f in corpus_frames(motions)[0]])
    order = np.argsort(fr.speed)
    cum = np.concatenate([[0.0], np.cumsum(fr.weight[order])])
    v = episode_speeds(episodes).numpy()
    seconds = cum[np.searchsorted(fr.speed[order], 1.2 * v, side="right")] - cum[np.searchsorted(fr.speed[order], 0.8 * v)]
    ok = np.where(v > 0, seconds >= min_seconds, fr.weight[fr.standing].sum() >= min_seconds)
    return float(ok.all(axis=0).mean())


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--motions", type=Path, nargs="*", default=[], help="clip files or folders (default: the MIT locomotion clips)")
    p.add_argument("--min-seconds", type=float, default=1.0, help="seconds of motion at a command's speed the data must hold")
    args = p.parse_args()
    character = get_character("humanoid3d")
    root = data_root() / "motions" / "deepmimic"
    mit = [next(p for p in [root / "clips" / f"humanoid3d_{n}.txt", root / "long" / f"humanoid3d_{n}.txt"] if p.exists()) for n in CLIPS]
    print("| clip | mean speed (m/s) | min-max s | frames passing at mean speed | best command | frames passing at best |")
    print("| --- | --- | --- | --- | --- | --- |")
    for path in find_clip_files(args.motions) if args.motions else mit:
        name = path.stem.removeprefix("humanoid3d_")
        s = root_speed(MotionLib.from_paths([path], character))
        mean = float(s.mean())
        commands = torch.linspace(0.5 * mean, 1.5 * mean, 201)
        fractions = [pass_fraction(s, float(c)) for c in commands]
        best = max(range(len(commands)), key=fractions.__getitem__)
        print(f"| {name} | {mean:.2f} | {float(s.min()):.2f}-{float(s.max()):.2f} | {pass_fraction(s, mean):.2f} | "
              f"{float(commands[best]):.2f} | {fractions[best]:.2f} |")
    print("\n| top speed along the command (m/s) | episodes passable, no standing | with standing |")
    print("| --- | --- | --- |")
    for top in (2.0, 2.3, 2.6, 2.8):
        print(f"| {top:.1f} | {command_ceiling(top):.3f} | {command_ceiling(top, stands=True):.3f} |")
    if args.motions:
        print(f"| data: {' '.join(map(str, args.motions))} (>= {args.min_seconds:g} s per command) | | {data_ceiling(args.motions, args.min_seconds):.3f} |")


if __name__ == "__main__":
    main()
