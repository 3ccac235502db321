"""The steering command schedule's ceiling for a character with no side or backward steps.

Usage: .venv/bin/python benchmarks/steering_ceiling.py [--motions PATHS...] [--min-seconds 1.0] [--unscaled]
No simulation: draws the evaluation's commands (tasks/direction.py next_yaw_speed for the motion
direction and, independently, for the facing, as tasks/steering.py does, with its speeds scaled
down where the motion is more than 45 degrees off the facing (--unscaled: not); a fresh command at
the episode start, the schedule's next one at step 199) and counts the share of judged segments a
policy could pass at all if it can (a) hold its facing only within A degrees of its motion
(steering success needs the facing within 45 degrees of the commanded facing, so the facing-motion
angle must be at most A + 45 degrees), (b) reach a top speed S along the motion (a command v* needs
s >= 0.8 v*), and (c) not stand still (a stop command, speed 0, needs standing). The MIT clips walk
and run forwards: A is about 0 for them (benchmarks/steering_failures.py: at facing-motion angles
of 45-90 degrees a third of the steps pass, beyond 90 none).

With --motions (clip files or folders), also the ceiling from those clips' data (motion/coverage.py,
0.5 s-averaged root velocity): a segment commanding facing-motion angle a and speed v* is covered
when the clips hold at least --min-seconds of motion at a facing-motion angle within 45 degrees of
a and a planar speed within 20% of v* (the step rule's tolerances); a stop needs that much standing.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import numpy as np
import torch

from tasktokens.rotations import wrap_angle
from tasktokens.tasks.direction import next_yaw_speed
from tasktokens.tasks.steering import SteeringConfig, off_facing_speed


def segment_commands(episodes: int = 200_000, seed: int = 0, scaled: bool = True) -> tuple[torch.Tensor, torch.Tensor]:
    """(2, E) facing-motion angles (degrees, 0-180) and commanded speeds of both segments."""
    cfg, gen = SteeringConfig(), torch.Generator().manual_seed(seed)
    off_range = cfg.off_facing_speed_range if scaled else None
    zeros, fresh = torch.zeros(episodes), torch.ones(episodes, dtype=torch.bool)
    yaw, speed = next_yaw_speed(zeros, zeros, fresh, cfg, gen)
    face, _ = next_yaw_speed(zeros, speed, fresh, cfg, gen)
    yaw2, speed2 = next_yaw_speed(yaw, speed, ~fresh, cfg, gen)
    face2, _ = next_yaw_speed(face, speed2, ~fresh, cfg, gen)
    commanded = [off_facing_speed(s, y, f, cfg.speed_range, off_range) for s, y, f in ((speed, yaw, face), (speed2, yaw2, face2))]
    angle = torch.stack([yaw - face, yaw2 - face2])
    angle = torch.rad2deg(wrap_angle(angle).abs())
    return angle, torch.stack(commanded)


def ceiling(angle: torch.Tensor, speed: torch.Tensor, side_deg: float, top_speed: float, stands: bool = False) -> float:
    """Share of segments passable with facing-motion offsets up to side_deg degrees."""
    ok = (angle <= side_deg + 45.0) & (speed <= top_speed / 0.8) & ((speed > 0) | stands)
    return float(ok.float().mean())


def data_covered(angle: torch.Tensor, speed: torch.Tensor, motions: list[Path], min_seconds: float) -> torch.Tensor:
    """(2, E) bool: whether the clips under `motions` hold min_seconds of motion meeting each segment."""
    from tasktokens.cli.motion_coverage import corpus_frames
    from tasktokens.motion import coverage as cov

    fr = cov.concat([f for _, f in corpus_frames(motions)[0]])
    moving = fr.heading_ok & (fr.speed > 0.1)  # a stop command is met by standing, counted apart
    # seconds per (1 deg, 0.05 m/s) cell, summed over windows with a 2-D cumulative sum
    a_edges, s_edges = np.arange(0.0, 181.0), np.arange(0.0, 8.001, 0.05)
    hist, _, _ = np.histogram2d(cov.facing_motion_angle(fr.v_h[moving]), fr.speed[moving], (a_edges, s_edges), weights=fr.weight[moving])
    cum = np.pad(hist.cumsum(0).cumsum(1), ((1, 0), (1, 0)))
    a, v = angle.numpy().ravel(), speed.numpy().ravel()
    a0, a1 = np.searchsorted(a_edges, np.clip(a - 45, 0, 180)), np.searchsorted(a_edges, np.clip(a + 45, 0, 180), side="right")
    s0, s1 = np.searchsorted(s_edges, 0.8 * v), np.searchsorted(s_edges, 1.2 * v, side="right")
    a1, s1 = np.minimum(a1, len(a_edges) - 1), np.minimum(s1, len(s_edges) - 1)
    seconds = cum[a1, s1] - cum[a0, s1] - cum[a1, s0] + cum[a0, s0]
    standing = float(fr.weight[fr.standing].sum())
    ok = np.where(v > 0, seconds >= min_seconds, standing >= min_seconds)
    return torch.from_numpy(ok.reshape(angle.shape))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--motions", type=Path, nargs="*", default=[], help="clip files or folders: also the ceiling from their data")
    p.add_argument("--min-seconds", type=float, default=1.0, help="seconds of matching motion the data must hold for a segment")
    p.add_argument("--unscaled", action="store_true", help="direction's speeds at every angle (steering before 2026-12-08)")
    args = p.parse_args()
    angle, speed = segment_commands(scaled=not args.unscaled)
    print("| facing-motion angle (deg) | share of segments |")
    print("| --- | --- |")
    for lo, hi in ((0, 45), (45, 90), (90, 135), (135, 180)):
        print(f"| {lo}-{hi} | {float(((angle >= lo) & (angle < hi + (hi == 180))).float().mean()):.3f} |")
    print("\n| side offset the character can hold A (deg) | top speed 2.6 m/s | 3.5 m/s | 3.5 m/s and standing |")
    print("| --- | --- | --- | --- |")
    for side in (0.0, 45.0, 90.0, 135.0):
        cells = [ceiling(angle, speed, side, 2.6), ceiling(angle, speed, side, 3.5), ceiling(angle, speed, side, 3.5, stands=True)]
        print(f"| {side:.0f} | " + " | ".join(f"{c:.3f}" for c in cells) + " |")
    assert math.isclose(ceiling(angle, speed, 135.0, 10.0, stands=True), 1.0)
    if args.motions:
        ok = data_covered(angle, speed, args.motions, args.min_seconds)
        print(f"\n| data: {' '.join(map(str, args.motions))} (>= {args.min_seconds:g} s) | segments covered | episodes with both |")
        print("| --- | --- | --- |")
        for lo, hi in ((0, 45), (45, 90), (90, 135), (135, 180)):
            sel = (angle >= lo) & (angle < hi + (hi == 180))
            print(f"| facing-motion angle {lo}-{hi} | {float(ok[sel].float().mean()):.3f} | |")
        print(f"| all | {float(ok.float().mean()):.3f} | {float(ok.all(dim=0).float().mean()):.3f} |")


if __name__ == "__main__":
    main()
