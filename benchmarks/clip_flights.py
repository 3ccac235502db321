"""How far a clip's flights carry: for each flight (no foot near the ground), the distance along
x from the take-off foot's last contact to the landing foot's first, from the clip's forward
kinematics (a foot is in contact within 3 cm of its lowest height over the clip). long_jump's
success needs a landing 1.5 m past the line with the take-off behind it, so a gait whose flights
are shorter cannot pass it.

    .venv/bin/python benchmarks/clip_flights.py [--clips jog run jump] [--cycles 3] [--motions PATHS...]

--motions (clip files or folders) measures every clip under them instead of the MIT clips named by
--clips (with --clips too, only the clips whose names contain one of its words).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch

from tasktokens.character import HUMANOID3D
from tasktokens.motion.clip import find_clip_files
from tasktokens.motion.motion_lib import MotionLib, data_root


def flights(lib: MotionLib, cycles: int, hz: float = 120.0, contact_margin: float = 0.03) -> list[tuple[float, float]]:
    """(duration s, take-off -> landing x m) of each flight of clip 0 over `cycles` durations (a
    non-looping clip holds its last frame after the end)."""
    t = torch.arange(0.0, cycles * float(lib.duration[0]), 1.0 / hz)
    st = lib.state(torch.zeros_like(t, dtype=torch.long), t)
    feet = HUMANOID3D.body_indices(HUMANOID3D.contact_bodies)
    z, x = st.body_pos[:, feet, 2], st.body_pos[:, feet, 0]
    low = z < z.min(dim=0).values + contact_margin  # (T, 2)
    air = ~low.any(dim=-1)
    out, i = [], 0
    while i < len(t):
        if not air[i]:
            i += 1
            continue
        j = i
        while j < len(t) and air[j]:
            j += 1
        if i > 0 and j < len(t):  # a whole flight, with a contact before and after
            out.append((float(t[j] - t[i]), float(x[j][low[j]].min() - x[i - 1][low[i - 1]].max())))
        i = j
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--clips", nargs="*", default=None, help="MIT clip names (default: jog run jump), or name filters with --motions")
    p.add_argument("--cycles", type=int, default=3)
    p.add_argument("--motions", type=Path, nargs="*", default=[], help="clip files or folders to measure instead")
    a = p.parse_args()
    if a.motions:
        paths = [f for f in find_clip_files(a.motions) if a.clips is None or any(c in f.stem for c in a.clips)]
    else:
        paths = [data_root() / "motions" / "deepmimic" / "clips" / f"humanoid3d_{n}.txt" for n in a.clips or ["jog", "run", "jump"]]
    torch.set_num_threads(1)
    print("| clip | mean root speed (m/s) | flights | duration (s) | take-off -> landing (m) |")
    print("| --- | --- | --- | --- | --- |")
    for path in paths:
        name = path.stem.removeprefix("humanoid3d_")
        lib = MotionLib.from_paths([path], HUMANOID3D)
        cycles = a.cycles if lib.clips[0].loop else 1
        f = flights(lib, cycles)
        end = lib.state(torch.zeros(2, dtype=torch.long), torch.tensor([0.0, cycles * float(lib.duration[0])]))
        speed = float((end.body_pos[1, 0, :2] - end.body_pos[0, 0, :2]).norm()) / (cycles * float(lib.duration[0]))
        dur = f"{min(d for d, _ in f):.2f}-{max(d for d, _ in f):.2f}" if f else "-"
        dist = f"{min(s for _, s in f):.2f}-{max(s for _, s in f):.2f}" if f else "-"
        print(f"| {name} | {speed:.2f} | {len(f)} | {dur} | {dist} |")


if __name__ == "__main__":
    main()
