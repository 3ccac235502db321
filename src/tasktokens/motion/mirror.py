"""Left/right mirroring of clips: reflect across the character's sagittal plane (world y -> -y,
the character faces +x) and swap left and right joints."""

from __future__ import annotations

import mujoco
import numpy as np

from tasktokens.character import Character
from tasktokens.motion.clip import MotionClip


def _mirror_quat(q: np.ndarray) -> np.ndarray:
    """Rotation R -> M R M with M = diag(1, -1, 1): quaternion (w, x, y, z) -> (w, -x, y, -z)."""
    return q * np.array([1.0, -1.0, 1.0, -1.0])


def _partner(name: str) -> str:
    if name.startswith("left_"):
        return "right_" + name[5:]
    if name.startswith("right_"):
        return "left_" + name[6:]
    return name


def mirror_clip(clip: MotionClip, character: Character) -> MotionClip:
    """The mirrored clip, named ``<name>_mirror``.

    Hinges here turn about the local y axis, which is normal to the mirror plane, so their angles
    are kept and only swapped between sides.
    """
    model = character._model
    src, out = clip.qpos, np.empty_like(clip.qpos)
    for j in range(model.njnt):
        adr = model.jnt_qposadr[j]
        partner = mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_JOINT, _partner(model.joint(j).name))
        padr = model.jnt_qposadr[partner]
        kind = model.jnt_type[j]
        if kind == mujoco.mjtJoint.mjJNT_FREE:
            out[:, adr : adr + 3] = src[:, adr : adr + 3] * np.array([1.0, -1.0, 1.0])
            out[:, adr + 3 : adr + 7] = _mirror_quat(src[:, adr + 3 : adr + 7])
        elif kind == mujoco.mjtJoint.mjJNT_BALL:
            out[:, adr : adr + 4] = _mirror_quat(src[:, padr : padr + 4])
        elif kind == mujoco.mjtJoint.mjJNT_HINGE:
            if abs(model.jnt_axis[j][1]) != 1.0:
                raise ValueError(f"mirroring supports hinges about local y only; joint {model.joint(j).name}")
            out[:, adr] = src[:, padr]
        else:
            raise ValueError(f"cannot mirror joint type {kind}")
    return MotionClip(clip.name + "_mirror", out, clip.fps, clip.loop, clip.character, clip.source + " (mirrored)", clip.licence)
