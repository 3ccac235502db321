"""One file in, one project clip out: read by the format's reader, then the steps every format
shares: resample to the project's rate, put the lowest foot on the floor, refuse absurd heights,
name it by its skill, record its source and licence."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tasktokens.character import Character
from tasktokens.motion.clip import ClipError, MotionClip, resample_uniform
from tasktokens.motion.importers.registry import reader_for
from tasktokens.motion.kinematics import lowest_geom_z
from tasktokens.motion.labels import SKILL_SEPARATOR
from tasktokens.motion.licences import licence_of

MAX_FLOOR_SHIFT_M = 1.0
"""A file whose lowest foot is further than this from z = 0 has another unit or up axis."""
FPS_TOLERANCE = 1e-3
"""Relative rate difference kept as is (the ASE files say 29.9989 fps for 30): resampling would
only blur the frames."""
ROOT_HEIGHT_RANGE_M = (0.05, 3.0)
"""Root heights above the floor that a human clip can have (lying down to a high leap)."""


@dataclass
class ImportOptions:
    fps: float = 30.0
    """Frame rate of the written clips (the control rate)."""
    skill: str | None = None
    """Skill label for every clip (default: the reader's, else from the clip name)."""
    format: str = "auto"
    """Reader name, or auto: by file suffix."""
    skeleton: str | None = None
    """BVH: joint map, a shipped map's name (cmu, humanoid3d) or a TOML file; None: the first shipped map that fits."""
    first_frame: str = "auto"
    """BVH: what frame 0 is (importers/bvh.py FIRST_FRAME_MODES): auto (the map's), rest, keep, motion."""


def feet_on_floor(qpos: np.ndarray, character: Character, path: Path) -> tuple[np.ndarray, float]:
    """Shift the clip vertically so that its lowest foot point over all frames is on the floor;
    returns the shifted qpos and the shift (m). Refuses a clip whose floor is far off or whose
    root height is not a human's."""
    low = float(lowest_geom_z(character._model, qpos, character.contact_bodies).min())
    if abs(low) > MAX_FLOOR_SHIFT_M:
        raise ClipError(f"{path}: the lowest foot is {low:.2f} m from the floor (z = 0); a clip in other units "
                        "(centimetres?) or with another up axis: convert it to metres, z-up")
    qpos = qpos.copy()
    qpos[:, 2] -= low
    lo, hi = float(qpos[:, 2].min()), float(qpos[:, 2].max())
    if lo < ROOT_HEIGHT_RANGE_M[0] or hi > ROOT_HEIGHT_RANGE_M[1]:
        bad = int(np.argmax(qpos[:, 2])) if hi > ROOT_HEIGHT_RANGE_M[1] else int(np.argmin(qpos[:, 2]))
        raise ClipError(f"{path}: root height {qpos[bad, 2]:.2f} m above the floor at frame {bad} (allowed "
                        f"{ROOT_HEIGHT_RANGE_M[0]}-{ROOT_HEIGHT_RANGE_M[1]} m); a corrupt clip or a root that is not the pelvis")
    return qpos, -low


def import_file(path: Path, character: Character, options: ImportOptions) -> tuple[MotionClip, dict]:
    """Read one file into a clip of the character; returns the clip and its import report."""
    path = Path(path)
    spec = reader_for(path, options.format)
    raw = spec.read(path, character, **{name: getattr(options, name) for name in spec.options})
    qpos = raw.qpos
    if abs(raw.fps / options.fps - 1.0) > FPS_TOLERANCE:
        times = np.arange(qpos.shape[0]) / raw.fps
        qpos = resample_uniform(qpos, times, 1.0 / options.fps, character)
    qpos, shift = feet_on_floor(qpos, character, path)
    skill = options.skill or raw.skill
    name = f"{skill}{SKILL_SEPARATOR}{raw.name}" if skill else raw.name
    clip = MotionClip(name, qpos, options.fps, raw.loop, character.name, str(path), licence_of(str(path)))
    report = {"name": name, "source": str(path), "skill": skill, "licence": clip.licence, "frames": clip.num_frames,
              "seconds": round(clip.duration, 3), "fps_in": raw.fps, "fps": options.fps, "floor_shift_m": round(shift, 4)}
    return clip, report | raw.report
