"""The steering command schedule's ceiling for a character with no side or backward steps.

Usage: .venv/bin/python benchmarks/steering_ceiling.py
No simulation: draws the evaluation's commands (tasks/direction.py next_yaw_speed for the motion
direction and, independently, for the facing, as tasks/steering.py does; a fresh command at
the episode start, the schedule's next one at step 199) and counts the share of judged segments a
policy could pass at all if it can (a) hold its facing only within A degrees of its motion
(steering success needs the facing within 45 degrees of the commanded facing, so the facing-motion
angle must be at most A + 45 degrees), (b) reach a top speed S along the motion (a command v* needs
s >= 0.8 v*), and (c) not stand still (a stop command, speed 0, needs standing). The MIT clips walk
and run forwards: A is about 0 for them (benchmarks/steering_failures.py: at facing-motion angles
of 45-90 degrees a third of the steps pass, beyond 90 none).
"""

from __future__ import annotations

import math

import torch

from tasktokens.tasks.direction import DirectionConfig, next_yaw_speed


def segment_commands(episodes: int = 200_000, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """(2, E) facing-motion angles (degrees, 0-180) and commanded speeds of both segments."""
    cfg, gen = DirectionConfig(), torch.Generator().manual_seed(seed)
    zeros, fresh = torch.zeros(episodes), torch.ones(episodes, dtype=torch.bool)
    yaw, speed = next_yaw_speed(zeros, zeros, fresh, cfg, gen)
    face, _ = next_yaw_speed(zeros, speed, fresh, cfg, gen)
    yaw2, speed2 = next_yaw_speed(yaw, speed, ~fresh, cfg, gen)
    face2, _ = next_yaw_speed(face, speed2, ~fresh, cfg, gen)
    angle = torch.stack([yaw - face, yaw2 - face2])
    angle = torch.rad2deg(torch.atan2(torch.sin(angle), torch.cos(angle)).abs())
    return angle, torch.stack([speed, speed2])


def ceiling(angle: torch.Tensor, speed: torch.Tensor, side_deg: float, top_speed: float, stands: bool = False) -> float:
    """Share of segments passable with facing-motion offsets up to side_deg degrees."""
    ok = (angle <= side_deg + 45.0) & (speed <= top_speed / 0.8) & ((speed > 0) | stands)
    return float(ok.float().mean())


def main() -> None:
    angle, speed = segment_commands()
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


if __name__ == "__main__":
    main()
