"""The project's clips as BVH files of the character's own skeleton (`tasktokens motion export`).

One BVH joint per MuJoCo body, named as the body, parents before children; OFFSETs are the
bodies' positions in their parents (the MJCF's `pos`), so the file's zero pose is the
character's zero pose; an End Site past each leaf body's geom (top of the head, fingertips of the
hand spheres, toes). Channels: the root's Xposition Yposition Zposition Zrotation Yrotation
Xrotation, every other joint's Zrotation Yrotation Xrotation (R = Rz Ry Rx, degrees, as BVH
files usually are), hinges included (a knee or elbow turns about the file's Z only). MuJoCo's
z-up becomes BVH's y-up: (x, y, z) -> (x, z, -y), so the character faces +x and Blender's BVH
import (Y up, -Z forward by default) stands it up. Lengths are metres times `scale`. The clip's
(w, x, y, z) quaternions (the project's order) are read as MuJoCo's body rotation matrices
(mj_kinematics), whose parent-relative products give the channels.

Written with pybvh; `importers/skeletons/humanoid3d.toml` maps the joint names back, so an
exported file imports again (`tests/motion/test_bvh.py`: within millimetres of the clip).
"""

from __future__ import annotations

from pathlib import Path

import mujoco
import numpy as np

from tasktokens.character import Character
from tasktokens.motion.clip import MotionClip
from tasktokens.motion.importers.bvh import Y_UP_TO_Z_UP

Z_UP_TO_Y_UP = Y_UP_TO_Z_UP.T
"""v_yup = C v_zup: (x, y, z) -> (x, z, -y); rotations R_yup = C R_zup C^T."""
ROT_CHANNELS = ["Z", "Y", "X"]


def body_rotations(model: mujoco.MjModel, qpos: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Root positions (T, 3) and each body's rotation relative to its parent (T, B, 3, 3), the
    root's relative to the world; z-up (bodies 1..nbody-1)."""
    data = mujoco.MjData(model)
    T, B = len(qpos), model.nbody - 1
    world = np.empty((T, B + 1, 3, 3))
    root = np.empty((T, 3))
    for t in range(T):
        data.qpos[:] = qpos[t]
        mujoco.mj_kinematics(model, data)
        world[t], root[t] = data.xmat.reshape(-1, 3, 3), data.xpos[1]
    parents = model.body_parentid[1:]
    return root, np.swapaxes(world[:, parents], -1, -2) @ world[:, 1:]


def end_site(model: mujoco.MjModel, body: int) -> np.ndarray:
    """Offset (z-up, m) of a leaf body's End Site: through its first geom's centre to the geom's
    bounding sphere (a geom centred on the body: along the bone from the parent)."""
    g = int(model.body_geomadr[body])
    centre = model.geom_pos[g] if g >= 0 else np.zeros(3)
    way = centre if np.linalg.norm(centre) > 1e-6 else model.body_pos[body]
    reach = float(model.geom_rbound[g]) if g >= 0 else 0.05
    return centre + way / np.linalg.norm(way) * reach


def skeleton_nodes(model: mujoco.MjModel, scale: float) -> list:
    """pybvh nodes of the character's skeleton in depth-first order (MuJoCo's body order)."""
    from pybvh.bvhnode import BvhEndSite, BvhJoint, BvhRoot

    nodes, joint_of = [], {}
    for b in range(1, model.nbody):
        name, parent = model.body(b).name, int(model.body_parentid[b])
        if parent == 0:
            node = BvhRoot(name, [0.0, 0.0, 0.0], ["X", "Y", "Z"], list(ROT_CHANNELS), [], None)
        else:
            node = BvhJoint(name, Z_UP_TO_Y_UP @ model.body_pos[b] * scale, list(ROT_CHANNELS), [], joint_of[parent])
            joint_of[parent].children = joint_of[parent].children + [node]
        joint_of[b] = node
        nodes.append(node)
    for b in range(1, model.nbody):  # End Sites after the joints: pybvh indexes motion by joints only
        if not np.any(model.body_parentid[1:] == b):
            leaf = joint_of[b]
            site = BvhEndSite(f"EndSite{leaf.name}", Z_UP_TO_Y_UP @ end_site(model, b) * scale, leaf)
            leaf.children = leaf.children + [site]
            nodes.append(site)
    return nodes


def clip_to_bvh(clip: MotionClip, character: Character, scale: float = 1.0):
    """A pybvh.Bvh of the clip on the character's skeleton (see the module docstring)."""
    import pybvh
    from pybvh import rotations

    model = character._model
    root, local = body_rotations(model, clip.qpos)
    C = Z_UP_TO_Y_UP
    euler = rotations.rotmat_to_euler(C @ local @ C.T, "".join(ROT_CHANNELS))
    euler = np.unwrap(euler, axis=0)  # the same rotations without 360-degree jumps between frames
    return pybvh.Bvh(
        nodes=skeleton_nodes(model, scale),
        root_pos=root @ C.T * scale,
        joint_angles=euler,
        frame_time=1.0 / clip.fps,
        world_up="+y",
    )


def write_bvh(clip: MotionClip, character: Character, path: Path, scale: float = 1.0) -> Path:
    """Write the clip as a BVH file (metres times `scale`); returns the path."""
    from pybvh import write_bvh_file

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_bvh_file(clip_to_bvh(clip, character, scale), path)
    return path
