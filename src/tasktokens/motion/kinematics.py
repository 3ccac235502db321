"""Forward kinematics of whole clips with MuJoCo itself, so that references and simulation agree.

Velocity conventions (MuJoCo's): qvel of the free joint is (linear velocity in world frame,
angular velocity in the root body's local frame); ball-joint qvel is the local angular velocity.
Body velocities returned here are world-frame, at the body origin.
"""

from __future__ import annotations

from dataclasses import dataclass

import mujoco
import numpy as np
import torch


@dataclass
class ClipKinematics:
    """Per-frame states of one clip; B = character bodies (MuJoCo body ids 1..nbody-1)."""

    qpos: np.ndarray  # (T, nq)
    qvel: np.ndarray  # (T, nv)
    body_pos: np.ndarray  # (T, B, 3) world
    body_quat: np.ndarray  # (T, B, 4) world, (w, x, y, z)
    body_lin_vel: np.ndarray  # (T, B, 3) world
    body_ang_vel: np.ndarray  # (T, B, 3) world


def finite_difference_qvel(model: mujoco.MjModel, qpos: np.ndarray, dt: float) -> np.ndarray:
    """(T, nq) -> (T, nv): forward differences on the joint manifold (mj_differentiatePos);
    the last frame repeats the previous velocity."""
    T = qpos.shape[0]
    qvel = np.zeros((T, model.nv))
    for i in range(T - 1):
        mujoco.mj_differentiatePos(model, qvel[i], dt, qpos[i], qpos[i + 1])
    qvel[-1] = qvel[-2]
    return qvel


def body_states(model: mujoco.MjModel, qpos: np.ndarray, qvel: np.ndarray) -> ClipKinematics:
    """World-frame body positions, rotations and velocities at every frame (mj_kinematics,
    mj_comPos, mj_comVel)."""
    data = mujoco.MjData(model)
    T, nb = qpos.shape[0], model.nbody - 1
    pos, quat = np.zeros((T, nb, 3)), np.zeros((T, nb, 4))
    cvel, com = np.zeros((T, nb, 6)), np.zeros((T, nb, 3))
    root_of = model.body_rootid[1:]
    for i in range(T):
        data.qpos[:], data.qvel[:] = qpos[i], qvel[i]
        mujoco.mj_kinematics(model, data)
        mujoco.mj_comPos(model, data)
        mujoco.mj_comVel(model, data)
        pos[i], quat[i] = data.xpos[1:], data.xquat[1:]
        cvel[i], com[i] = data.cvel[1:], data.subtree_com[root_of]
    lin, ang = velocity_at_body_origin(cvel, pos, com)
    return ClipKinematics(qpos, qvel, pos, quat, lin, ang)


def clip_kinematics(model: mujoco.MjModel, qpos: np.ndarray, fps: float) -> ClipKinematics:
    return body_states(model, qpos, finite_difference_qvel(model, qpos, 1.0 / fps))


def velocity_at_body_origin(cvel, body_pos, com):
    """World linear and angular velocity at body origins from MuJoCo's cvel.

    cvel (..., B, 6) is (angular, linear) with the linear part at the subtree centre of mass com
    (..., B, 3) of each body's root; v(p) = v(c) + w x (p - c). Works on numpy arrays and torch
    tensors alike. Returns (linear, angular), each (..., B, 3).
    """
    ang, lin_c = cvel[..., :3], cvel[..., 3:]
    r = body_pos - com
    cross = np.cross(ang, r) if isinstance(ang, np.ndarray) else _torch_cross(ang, r)
    return lin_c + cross, ang


def _torch_cross(a, b):
    return torch.linalg.cross(a, b, dim=-1)


def lowest_geom_z(model: mujoco.MjModel, qpos: np.ndarray, body_names) -> np.ndarray:
    """(T, nq) -> (T,): height of the lowest point of the named bodies' geoms at every frame
    (boxes by their corners, spheres and capsules by their radius; other shapes by their centre)."""
    data = mujoco.MjData(model)
    bodies = {model.body(n).id for n in body_names}
    geoms = [g for g in range(model.ngeom) if model.geom_bodyid[g] in bodies]
    signs = np.array([[sx, sy, sz] for sx in (-1, 1) for sy in (-1, 1) for sz in (-1, 1)], dtype=float)
    out = np.empty(qpos.shape[0])
    for t in range(qpos.shape[0]):
        data.qpos[:] = qpos[t]
        mujoco.mj_kinematics(model, data)
        low = np.inf
        for g in geoms:
            size, centre, rot = model.geom_size[g], data.geom_xpos[g], data.geom_xmat[g].reshape(3, 3)
            kind = model.geom_type[g]
            if kind == mujoco.mjtGeom.mjGEOM_BOX:
                z = (centre + (signs * size) @ rot.T)[:, 2].min()
            elif kind == mujoco.mjtGeom.mjGEOM_SPHERE:
                z = centre[2] - size[0]
            elif kind == mujoco.mjtGeom.mjGEOM_CAPSULE:  # half-length along the local z axis
                z = centre[2] - abs(rot[2, 2]) * size[1] - size[0]
            else:
                z = centre[2]
            low = min(low, z)
        out[t] = low
    return out
