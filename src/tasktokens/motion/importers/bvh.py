"""BVH (CMU, LAFAN1, Blender, MotionBuilder, ...) -> the character's qpos, retargeted by IK.

Parsed with pybvh (docs/data.md says why): a joint tree of OFFSETs, a root with 3 position and 3
rotation channels, 3 rotation channels (any Euler order, degrees) per other joint. A BVH local
rotation is R = R_first R_second R_third in the joint's channel order (intrinsic), mapping the
joint's frame to its parent's; a joint's world pose is its parent's composed with its OFFSET and R.
Rotations stay 3x3 matrices here (pybvh's vectorized Euler conversion); the qpos that comes out
holds MuJoCo's (w, x, y, z) quaternions, the project's order (tasktokens.rotations).

Steps: pick the joint map (`skeleton_map.py`, `--skeleton`); world poses of the mapped joints at
every frame; the file's up axis to MuJoCo's z-up (y-up: (x, y, z) -> (x, -z, y), as DeepMimic's);
units by one scale, the character's leg length (hip to ankle) over the source's, both from bone
offsets, so centimetres, inches and metres need no flag; the rest pose (the map's `rest`, or
`--first-frame`); IK per frame (`bvh_retarget.py`). The pipeline then resamples to 30 Hz and puts
the feet on the floor.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tasktokens.character import Character
from tasktokens.motion.clip import ClipError
from tasktokens.motion.importers.bvh_retarget import leg_length, retarget
from tasktokens.motion.importers.registry import RawClip, register_reader
from tasktokens.motion.importers.skeleton_map import SkeletonMap, resolve_map

FIRST_FRAME_MODES = ("auto", "rest", "keep", "motion")
"""--first-frame: auto (the map's `rest`: first_frame -> rest, zero -> motion); rest (frame 0 is
a T-pose: the rest pose, dropped from the clip); keep (the rest pose, kept as the clip's first
frame, e.g. to check the calibration); motion (every frame is motion; the rest pose is the
file's zero-rotation pose)."""
REST_BEND_MAX_DEG = 25.0
"""Largest elbow or knee bend of a rest pose: the calibration takes the rest pose's limbs as
straight (a standing frame taken for a T-pose would bend every frame's knees by its bend)."""
LIMB_CHAINS = (
    ("right_upper_arm", "right_lower_arm", "right_hand"),
    ("left_upper_arm", "left_lower_arm", "left_hand"),
    ("right_thigh", "right_shin", "right_foot"),
    ("left_thigh", "left_shin", "left_foot"),
)
Y_UP_TO_Z_UP = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, -1.0], [0.0, 1.0, 0.0]])
"""v_zup = C v_yup: (x, y, z) -> (x, -z, y); rotations R_zup = C R_yup C^T."""


@dataclass
class BvhSource:
    """A BVH file's skeleton and motion, in the file's units and axes."""

    joints: list[str]
    """Joint names (End Sites excluded), parents before children."""
    parents: np.ndarray
    """(J,) parent index of each joint, -1 for the root."""
    offsets: np.ndarray
    """(J, 3) OFFSET of each joint from its parent."""
    root_pos: np.ndarray
    """(T, 3) root position channels."""
    local_rot: np.ndarray
    """(T, J, 3, 3) local rotation of each joint (joint frame -> parent frame)."""
    fps: float


def read_source(path: Path) -> BvhSource:
    """Parse a BVH file with pybvh; any parse problem is a ClipError naming the file."""
    import pybvh
    from pybvh import rotations

    try:
        bvh = pybvh.read_bvh_file(path, world_up="+y")  # world_up only feeds pybvh's own helpers; given, it skips a guess
    except (OSError, ValueError, IndexError, UnicodeDecodeError) as err:
        raise ClipError(f"{path}: not a readable BVH file ({err})") from err
    nodes = [n for n in bvh.nodes if not n.is_end_site()]
    joints = [n.name for n in nodes]
    parents = np.array([joints.index(n.parent.name) if n.parent is not None else -1 for n in nodes])
    orders = ["".join(n.rot_channels) for n in nodes]
    local_rot = rotations.euler_to_rotmat(bvh.joint_angles, orders)
    src = BvhSource(joints, parents, np.array([n.offset for n in nodes]), bvh.root_pos.copy(), local_rot, bvh.fps)
    if not (np.isfinite(src.root_pos).all() and np.isfinite(bvh.joint_angles).all()):
        raise ClipError(f"{path}: contains NaN or infinite values")
    return src


def world_poses(src: BvhSource, up: str) -> tuple[np.ndarray, np.ndarray]:
    """World positions (T, J, 3) (file units) and rotations (T, J, 3, 3) of every joint, z-up."""
    T, J = src.local_rot.shape[:2]
    rot, pos = np.empty_like(src.local_rot), np.empty((T, J, 3))
    for j, p in enumerate(src.parents):
        if p < 0:
            rot[:, j], pos[:, j] = src.local_rot[:, j], src.root_pos + src.offsets[j]
        else:
            rot[:, j] = rot[:, p] @ src.local_rot[:, j]
            pos[:, j] = pos[:, p] + rot[:, p] @ src.offsets[j]
    if up == "y":
        C = Y_UP_TO_Z_UP
        pos, rot = pos @ C.T, C @ rot @ C.T
    return pos, rot


def source_leg_length(src: BvhSource, smap: SkeletonMap, path: Path) -> float:
    """Mean hip-to-ankle length of the source's legs (file units): the OFFSETs from each mapped
    foot joint up to its thigh joint."""
    lengths = []
    for thigh, foot in (("right_thigh", "right_foot"), ("left_thigh", "left_foot")):
        top, j, total = src.joints.index(smap.bodies[thigh]), src.joints.index(smap.bodies[foot]), 0.0
        while j != top:
            if j < 0:
                raise ClipError(
                    f"{path}: the {smap.name} map's {foot} joint {smap.bodies[foot]!r} is not below its {thigh} joint {smap.bodies[thigh]!r}"
                )
            total += float(np.linalg.norm(src.offsets[j]))
            j = int(src.parents[j])
        lengths.append(total)
    if min(lengths) <= 0:
        raise ClipError(f"{path}: a leg of length 0 between the {smap.name} map's thigh and foot joints")
    return float(np.mean(lengths))


def zero_pose(src: BvhSource) -> BvhSource:
    """One frame of the file's skeleton with every rotation zero (its OFFSET pose)."""
    J = len(src.joints)
    return BvhSource(
        src.joints, src.parents, src.offsets, np.zeros((1, 3)), np.broadcast_to(np.eye(3), (1, J, 3, 3)).copy(), src.fps
    )


def check_rest_pose(rest_pos: np.ndarray, body_names: tuple[str, ...], path: Path, mode: str) -> None:
    """Refuse a rest pose (B, 3) whose elbows or knees bend more than REST_BEND_MAX_DEG."""
    for chain in LIMB_CHAINS:
        a, b, c = (rest_pos[body_names.index(n)] for n in chain)
        u, v = b - a, c - b
        bend = float(np.degrees(np.arccos(np.clip(u @ v / max(np.linalg.norm(u) * np.linalg.norm(v), 1e-12), -1.0, 1.0))))
        if bend > REST_BEND_MAX_DEG:
            what, fix = (
                ("frame 0", "--first-frame motion")
                if mode != "motion"
                else ("the zero-rotation pose", "--first-frame rest (a T-pose frame 0)")
            )
            raise ClipError(
                f"{path}: {what} is no rest pose: {chain[1]} bent {bend:.0f} deg (> {REST_BEND_MAX_DEG:.0f}); "
                f"if the file has no T-pose there, pass {fix} or a map with the right `rest`"
            )


def clip_name(stem: str) -> str:
    """File stem -> snake_case clip name (127_04_excerpt stays; WalkLeft01 -> walk_left01)."""
    return re.sub(r"[^a-z0-9]+", "_", re.sub(r"(?<=[a-z])(?=[A-Z])", "_", stem).lower()).strip("_")


@register_reader("bvh", suffixes=(".bvh",), options=("skeleton", "first_frame"))
def read_bvh(path: Path, character: Character, skeleton: str | None = None, first_frame: str = "auto") -> RawClip:
    """Read one BVH file and retarget it to the character (see the module docstring)."""
    if first_frame not in FIRST_FRAME_MODES:
        raise ValueError(f"--first-frame {first_frame!r}: choose one of {FIRST_FRAME_MODES}")
    src = read_source(path)
    smap = resolve_map(skeleton, src.joints, character.body_names, path)
    mode = ("rest" if smap.rest == "first_frame" else "motion") if first_frame == "auto" else first_frame
    scale = leg_length(character._model) / source_leg_length(src, smap, path)
    idx = [src.joints.index(smap.bodies[b]) for b in character.body_names]
    pos, rot = world_poses(src, smap.up)
    pos, rot = pos[:, idx] * scale, rot[:, idx]
    if mode == "motion":
        rest_pos, rest_rot = world_poses(zero_pose(src), smap.up)
        rest_pos, rest_rot = rest_pos[0, idx] * scale, rest_rot[0, idx]
    else:
        rest_pos, rest_rot = pos[0], rot[0]
        if mode == "rest":
            pos, rot = pos[1:], rot[1:]
    check_rest_pose(rest_pos, character.body_names, path, mode)
    if len(pos) < 2:
        raise ClipError(f"{path}: {len(pos)} frames of motion (first frame: {mode}); a clip needs >= 2")
    qpos, ik = retarget(character, pos, rot, rest_pos, rest_rot)
    report = {"skeleton": smap.name, "scale_m_per_unit": round(scale, 6), "first_frame": mode, "frames_in": len(src.root_pos)}
    return RawClip(clip_name(Path(path).stem), qpos, src.fps, loop=False, report=report | ik)
