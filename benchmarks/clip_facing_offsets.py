"""How far from the direction of travel each clip faces: the motion data's side and backward steps.

Usage: .venv/bin/python benchmarks/clip_facing_offsets.py [FOLDERS...]
(default: the MIT clips and long clips, then sie-noncommercial if present). For each clip played
kinematically at 30 Hz, over the frames where the root moves faster than 0.5 m/s: the median
planar root speed and the median and 90th percentile of the angle between the root's heading
(where the pelvis faces) and its planar velocity. The steering task needs offsets up to 90 degrees
(benchmarks/steering_ceiling.py); a BFM can only learn the offsets its data shows. No simulation.
"""

from __future__ import annotations

import sys

import torch

from tasktokens import rotations as rot
from tasktokens.character import get_character
from tasktokens.motion.clip import find_clip_files
from tasktokens.motion.motion_lib import MotionLib, data_root


def offsets(lib: MotionLib, fps: float = 30.0) -> tuple[torch.Tensor, torch.Tensor]:
    """(T,) planar root speed and |heading - velocity direction| (degrees) of clip 0."""
    times = torch.arange(0.0, float(lib.duration[0]), 1.0 / fps)
    state = lib.state(torch.zeros(len(times), dtype=torch.long), times)
    v = state.body_lin_vel[:, 0, :2]
    heading = rot.heading_angle(state.body_quat[:, 0])
    diff = torch.atan2(v[:, 1], v[:, 0]) - heading
    return v.norm(dim=-1), torch.rad2deg(rot.wrap_angle(diff).abs())


def main() -> None:
    root = data_root() / "motions" / "deepmimic"
    folders = [root / p for p in sys.argv[1:]] or [root / "clips", root / "long", root / "sie-noncommercial"]
    character = get_character("humanoid3d")
    print("| clip | moving frames | median speed (m/s) | median offset (deg) | 90th pct offset (deg) |")
    print("| --- | --- | --- | --- | --- |")
    for folder in folders:
        if not folder.is_dir():
            continue
        for path in find_clip_files([folder]):
            speed, angle = offsets(MotionLib.from_paths([path], character))
            moving = speed > 0.5
            if moving.sum() < 10:
                continue
            a = angle[moving]
            print(f"| {folder.name}/{path.stem} | {int(moving.sum())} | {float(speed[moving].median()):.2f} | "
                  f"{float(a.median()):.0f} | {float(a.quantile(0.9)):.0f} |")


if __name__ == "__main__":
    main()
