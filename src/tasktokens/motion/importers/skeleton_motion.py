"""SkeletonMotion `.npy` (ASE, IsaacGymEnvs, poselib) -> the character's qpos.

The file holds local joint rotations (frames, nodes, 4) as quaternions in (x, y, z, w) order,
the root's translation (frames, 3) in metres, z-up, the frame rate and a skeleton tree (node
names, parent indices, bone offsets). Bodies are matched to the character's by name; nodes the
character lacks (ASE's sword and shield) are dropped; the skeleton must otherwise be the
character's (same parents, bone offsets within 1 cm), else the file is refused as another
skeleton's. Knees and elbows are stored as full 3-D rotations: each is projected on its hinge
axis (the twist about the axis is kept), and the swing that was dropped is reported per joint.
"""

from __future__ import annotations

import re
from pathlib import Path

import mujoco
import numpy as np
import torch

from tasktokens import rotations
from tasktokens.character import Character
from tasktokens.motion.clip import ClipError
from tasktokens.motion.importers.registry import RawClip, register_reader
from tasktokens.motion.importers.safe_pickle import load_pickled_npy

BONE_TOLERANCE_M = 0.01
"""Largest difference between a file's bone offset and the character's for the same skeleton."""

ASE_SKILLS = (
    (("walkleft", "walkright", "standoffcircle"), "walk_sideways"),
    (("runleft", "runright"), "run_sideways"),
    (("walkbackward",), "walk_backward"),
    (("runbackward",), "run_backward"),
    (("dodge", "dodgle"), "dodge"),
    (("idle",), "idle"),
    (("turn",), "turn"),
    (("atkjump",), "leap"),
    (("atkkick",), "kick"),
    (("walkforward",), "walk"),
    (("runforward",), "run"),
)
"""Skill labels of the ASE motion names (keywords of the lower-case name without underscores,
first match wins): side steps and backward motion keep `walk`/`run` in their label, so the
tracker's locomotion metrics count them."""


def ase_skill(stem: str) -> str | None:
    """Skill of an ASE motion file name (RL_Avatar_WalkLeft01_Motion -> walk_sideways), or None."""
    key = stem.lower().replace("_", "")
    return next((skill for words, skill in ASE_SKILLS if any(w in key for w in words)), None)


def clip_name(stem: str) -> str:
    """RL_Avatar_WalkLeft01_Motion -> rl_walk_left01 (snake case, format words dropped)."""
    stem = stem.removesuffix("_Motion").replace("RL_Avatar_", "RL_")
    return re.sub(r"(?<=[a-z])(?=[A-Z])", "_", stem).lower()


def _array(d: dict, key: str, path: Path) -> np.ndarray:
    """SkeletonMotion stores arrays as {"arr": ndarray, "context": {...}}."""
    v = d.get(key) if isinstance(d, dict) else None
    v = v.get("arr") if isinstance(v, dict) else v
    if not isinstance(v, np.ndarray) or v.dtype == object:
        raise ClipError(f"{path}: no numeric array {key!r}; not a SkeletonMotion file")
    return np.asarray(v, dtype=np.float64)


def _check_skeleton(names: list[str], parents: np.ndarray, offsets: np.ndarray, character: Character, path: Path) -> dict[str, int]:
    """Node index of each character body; refuses a skeleton that is not the character's."""
    model = character._model
    missing = [b for b in character.body_names if b not in names]
    if missing:
        raise ClipError(f"{path}: a clip of another skeleton: no node for {character.name}'s bodies {missing}; "
                        "retarget it to this character instead (a BVH import retargets by IK)")
    node = {b: names.index(b) for b in character.body_names}
    worst, where = 0.0, ""
    for b, i in node.items():
        bid = model.body(b).id
        parent = model.body(int(model.body_parentid[bid])).name
        if bid == 1:  # the root: its offset is the root translation's business
            continue
        if parents[i] < 0 or names[parents[i]] != parent:
            raise ClipError(f"{path}: a clip of another skeleton: {b}'s parent is "
                            f"{names[parents[i]] if parents[i] >= 0 else None!r}, {character.name}'s is {parent!r}")
        err = float(np.abs(offsets[i] - model.body_pos[bid]).max())
        if err > worst:
            worst, where = err, b
    if worst > BONE_TOLERANCE_M:
        raise ClipError(f"{path}: a clip of another skeleton: bone offset of {where} differs from {character.name}'s by "
                        f"{worst * 100:.1f} cm (> {BONE_TOLERANCE_M * 100:.0f} cm); retarget it to this character instead")
    return node


def hinge_angle_and_swing(q_wxyz: np.ndarray, axis: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Projection of local rotations (T, 4) on a hinge axis (3,): the twist angle about the axis
    (T,), radians in (-pi, pi], and the angle of the swing that the hinge cannot express (T,)."""
    q = np.where(q_wxyz[:, :1] < 0, -q_wxyz, q_wxyz)  # the same rotation with w >= 0
    angle = 2.0 * np.arctan2(q[:, 1:] @ axis, q[:, 0])
    twist = rotations.quat_from_axis_angle(torch.as_tensor(axis).expand(len(q), 3), torch.as_tensor(angle))
    swing = rotations.quat_angle_between(torch.as_tensor(q), twist).numpy()
    return angle, swing


@register_reader("skeleton_motion", suffixes=(".npy",))
def read_skeleton_motion(path: Path, character: Character) -> RawClip:
    """Read one SkeletonMotion file (see the module docstring)."""
    data = load_pickled_npy(path)
    tree = data.get("skeleton_tree") if isinstance(data, dict) else None
    if not isinstance(tree, dict) or not isinstance(tree.get("node_names"), list):
        raise ClipError(f"{path}: no skeleton_tree with node_names; not a SkeletonMotion file")
    names = [str(n) for n in tree["node_names"]]
    rot_xyzw = _array(data, "rotation", path)
    root_pos = _array(data, "root_translation", path)
    parents = _array(tree, "parent_indices", path).astype(int)
    offsets = _array(tree, "local_translation", path)
    fps = float(data.get("fps", 0.0))
    n, T = len(names), rot_xyzw.shape[0] if rot_xyzw.ndim == 3 else -1
    if rot_xyzw.shape != (T, n, 4) or root_pos.shape != (T, 3) or parents.shape != (n,) or offsets.shape != (n, 3):
        raise ClipError(f"{path}: inconsistent shapes: rotation {rot_xyzw.shape}, root_translation {root_pos.shape}, "
                        f"{n} nodes; a corrupt SkeletonMotion file")
    if T < 2 or not fps > 0:
        raise ClipError(f"{path}: {T} frames at {fps} fps; a clip needs >= 2 frames and a positive rate")
    if not (np.isfinite(rot_xyzw).all() and np.isfinite(root_pos).all()):
        raise ClipError(f"{path}: contains NaN or infinite values")
    norm = np.linalg.norm(rot_xyzw, axis=-1)
    if norm.min() < 0.5 or norm.max() > 1.5:
        raise ClipError(f"{path}: joint quaternions far from unit length (norm {norm.min():.3g}-{norm.max():.3g}); corrupt clip?")
    if not data.get("is_local", True):
        raise ClipError(f"{path}: global rotations (is_local False); save the motion with local rotations")
    node = _check_skeleton(names, parents, offsets, character, path)
    rot = (rot_xyzw / norm[..., None])[..., [3, 0, 1, 2]]  # (x, y, z, w) -> the project's (w, x, y, z)
    qpos, swing = _to_qpos(rot, root_pos, node, character)
    dropped = [name for name in names if name not in node]
    stem = Path(path).stem
    report = {"dropped_bodies": dropped, "hinge_swing_deg": swing}
    return RawClip(clip_name(stem), qpos, fps, loop=False, skill=ase_skill(stem), report=report)


def _to_qpos(rot: np.ndarray, root_pos: np.ndarray, node: dict[str, int], character: Character):
    """(T, nodes, 4) local rotations (w, x, y, z) and (T, 3) root positions -> (T, nq) qpos and
    the dropped hinge swing per hinge joint {joint: {"mean", "max"}} in degrees."""
    model = character._model
    qpos = np.zeros((rot.shape[0], model.nq))
    swing_report = {}
    for b, i in node.items():
        bid = model.body(b).id
        for j in range(model.body_jntadr[bid], model.body_jntadr[bid] + model.body_jntnum[bid]):
            adr, kind = model.jnt_qposadr[j], model.jnt_type[j]
            if kind == mujoco.mjtJoint.mjJNT_FREE:
                qpos[:, adr : adr + 3] = root_pos
                qpos[:, adr + 3 : adr + 7] = rot[:, i]
            elif kind == mujoco.mjtJoint.mjJNT_BALL:
                qpos[:, adr : adr + 4] = rot[:, i]
            elif kind == mujoco.mjtJoint.mjJNT_HINGE:
                angle, swing = hinge_angle_and_swing(rot[:, i], model.jnt_axis[j])
                qpos[:, adr] = angle
                deg = np.degrees(swing)
                swing_report[model.joint(j).name] = {"mean": round(float(deg.mean()), 2), "max": round(float(deg.max()), 2)}
            else:
                raise ClipError(f"{character.name}: joint {model.joint(j).name} of a type SkeletonMotion import cannot fill")
    return qpos, swing_report
