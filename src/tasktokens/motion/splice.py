"""Transitions between clips: a window of one clip cross-faded into a window of another.

Clips are recorded one skill at a time, so a BFM distilled on them never sees a walk slow down
into a stand, a stand set off sideways, or a run stop: under a root goal that asks for such a
change it has only its interpolation to go on (the probes' stand-from-a-walk, turn and run-stop
episodes fail there). `splice_clips` makes the missing transitions kinematically: the second
window is turned and moved on the floor so that its first overlap frame sits where the first
window's overlap starts (same planar root position and heading), then the overlapping frames are
blended with weights that go 0 -> 1 smoothly: rotations by slerp, hinge angles and the root's
height linearly, and the root's planar path by integrating the blended per-frame steps (so a walk
blended into a stand slows to a halt rather than being pulled back). The result is a reference, not physics: the tracker that learns from it (or labels it
for the student) turns it into a physical transition, and `eval tracker` on the spliced clips
says whether it can.

qpos layout (MuJoCo): a free root joint (position, quaternion w, x, y, z) then ball and hinge joints.
"""

from __future__ import annotations

from dataclasses import dataclass

import mujoco
import numpy as np
import torch

from tasktokens import rotations as rot
from tasktokens.character import Character
from tasktokens.motion.clip import ClipError, MotionClip, quaternion_addresses, resample_uniform
from tasktokens.motion.labels import SKILL_SEPARATOR
from tasktokens.motion.licences import is_non_commercial, licence_of


@dataclass(frozen=True)
class Window:
    """Seconds [start, end] of a clip (end < 0: the clip's end)."""

    start: float = 0.0
    end: float = -1.0

    def frames(self, clip: MotionClip) -> tuple[int, int]:
        """First and last frame index (inclusive); ClipError naming the file when outside the clip."""
        end = clip.duration if self.end < 0 else self.end
        if not 0.0 <= self.start < end <= clip.duration + 0.5 / clip.fps:
            raise ClipError(f"{clip.source}: window {self.start}-{self.end} s is not inside the clip (0-{clip.duration:.3f} s)")
        return round(self.start * clip.fps), min(round(end * clip.fps), clip.num_frames - 1)


def _smoothstep(n: int) -> np.ndarray:
    """(n,) weights from 0 towards 1 with zero slope at both ends (3t^2 - 2t^3), excluding 0 and 1."""
    t = (np.arange(n) + 1.0) / (n + 1.0)
    return t * t * (3.0 - 2.0 * t)


def align_root(qpos: np.ndarray, to_xy: np.ndarray, to_yaw: float) -> np.ndarray:
    """qpos (T, nq) turned about the vertical through its first frame's root and moved on the floor
    so that the first frame's root is at to_xy (2,) m with heading to_yaw (rad); heights unchanged."""
    out = qpos.copy()
    q0 = torch.as_tensor(qpos[:1, 3:7], dtype=torch.float64)
    dyaw = to_yaw - float(rot.heading_angle(q0)[0])
    turn = rot.quat_from_yaw(torch.tensor([dyaw], dtype=torch.float64))
    xy = qpos[:, :2] - qpos[:1, :2]
    c, s = np.cos(dyaw), np.sin(dyaw)
    out[:, 0] = to_xy[0] + c * xy[:, 0] - s * xy[:, 1]
    out[:, 1] = to_xy[1] + s * xy[:, 0] + c * xy[:, 1]
    quats = rot.quat_mul(turn.expand(len(qpos), 4), torch.as_tensor(qpos[:, 3:7], dtype=torch.float64))
    out[:, 3:7] = rot.quat_normalize(quats).numpy()
    return out


def unroll_loop(clip: MotionClip, seconds: float) -> MotionClip:
    """A looping clip played on for at least `seconds`: each cycle starts where and facing the way
    the last one ended (its first frame replaces the previous cycle's last). A clip that does not
    loop is returned as it is."""
    if not clip.loop:
        return clip
    cycles, qpos = [clip.qpos], clip.qpos
    while (sum(len(c) for c in cycles) - 1) / clip.fps < seconds:
        last = cycles[-1][-1]
        yaw = float(rot.heading_angle(torch.as_tensor(last[None, 3:7], dtype=torch.float64))[0])
        cycles.append(align_root(qpos, last[:2], yaw)[1:])
    return MotionClip(clip.name, np.concatenate(cycles), clip.fps, False, clip.character, clip.source, clip.licence)


def blend_qpos(a: np.ndarray, b: np.ndarray, w: np.ndarray, model: mujoco.MjModel) -> np.ndarray:
    """Per frame (1 - w) a + w b: positions and hinge angles linearly, free and ball joint
    quaternions by slerp. a, b (T, nq); w (T,)."""
    out = a + w[:, None] * (b - a)
    wt = torch.as_tensor(w, dtype=torch.float64)
    for adr in quaternion_addresses(model):
        qa = torch.as_tensor(a[:, adr : adr + 4], dtype=torch.float64)
        qb = torch.as_tensor(b[:, adr : adr + 4], dtype=torch.float64)
        out[:, adr : adr + 4] = rot.quat_slerp(qa, qb, wt).numpy()
    return out


def at_rate(clip: MotionClip, fps: float, character: Character) -> MotionClip:
    """The clip resampled to fps (itself when its rate is within 0.1% of it)."""
    if abs(clip.fps - fps) <= 1e-3 * fps:
        return clip
    qpos = resample_uniform(clip.qpos, np.arange(clip.num_frames) / clip.fps, 1.0 / fps, character)
    return MotionClip(clip.name, qpos, fps, clip.loop, clip.character, clip.source, clip.licence)


def blend_steps(a_xy: np.ndarray, b_xy: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Planar root offsets (T, 2) from the overlap's first frame when each frame's step is the
    w-blend of the two windows' steps: blending velocities rather than positions, so a walk
    blended into a stand slows down instead of being pulled back to where the stand was placed."""
    steps = (1.0 - w[1:, None]) * np.diff(a_xy, axis=0) + w[1:, None] * np.diff(b_xy, axis=0)
    return np.concatenate([np.zeros((1, 2)), np.cumsum(steps, axis=0)])


def _short(name: str, character: str) -> str:
    """A clip's name without its skill label and character prefix (for the spliced clip's name)."""
    return name.split(SKILL_SEPARATOR)[-1].removeprefix(f"{character}_")


def splice_clips(first: MotionClip, first_window: Window, second: MotionClip, second_window: Window, blend_s: float,
                 character: Character, skill: str = "") -> MotionClip:
    """first's window, then second's window cross-faded over its first blend_s seconds.

    The overlap is the last blend frames of first's window and the first blend frames of second's
    (turned and moved to start where the overlap starts). Not looping; named
    `[skill__]<first>_to_<second>`; the licence is the stricter of the two (non-commercial wins).
    The second clip is resampled to the first's frame rate. Raises ClipError naming the files
    when they are for different characters or a window is shorter than the blend."""
    if first.character != second.character:
        raise ClipError(f"{first.source} ({first.character}) and {second.source} ({second.character}): splicing needs clips of one character")
    second = at_rate(second, first.fps, character)
    a0, a1 = first_window.frames(first)
    b0, b1 = second_window.frames(second)
    n = round(blend_s * first.fps)
    if n < 1 or n > a1 - a0 + 1 or n > b1 - b0 + 1:
        raise ClipError(f"{first.source} / {second.source}: a blend of {blend_s} s ({n} frames) needs 1 frame at least "
                        f"and no more than either window ({a1 - a0 + 1} and {b1 - b0 + 1} frames)")
    a, b = first.qpos[a0 : a1 + 1], second.qpos[b0 : b1 + 1]
    start = a[len(a) - n]
    start_yaw = float(rot.heading_angle(torch.as_tensor(start[None, 3:7], dtype=torch.float64))[0])
    b = align_root(b, start[:2], start_yaw)
    w = _smoothstep(n)
    mixed = blend_qpos(a[len(a) - n :], b[:n], w, character._model)
    mixed[:, :2] = start[:2] + blend_steps(a[len(a) - n :, :2], b[:n, :2], w)
    rest = b[n:].copy()
    rest[:, :2] += mixed[-1, :2] - b[n - 1, :2]
    qpos = np.concatenate([a[: len(a) - n], mixed, rest])
    name = f"{_short(first.name, first.character)}_to_{_short(second.name, first.character)}"
    licences = [c.licence or licence_of(c.source) for c in (first, second)]
    licence = next((x for x in licences if is_non_commercial(x)), licences[0])
    return MotionClip(f"{skill}{SKILL_SEPARATOR}{name}" if skill else name, qpos, first.fps, False, first.character,
                      f"{first.source} [{first_window.start}-{first_window.end} s] + {second.source} "
                      f"[{second_window.start}-{second_window.end} s], {blend_s} s blend", licence)
