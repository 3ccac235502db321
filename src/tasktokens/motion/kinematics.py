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


def geom_bottoms(model: mujoco.MjModel, data: mujoco.MjData) -> np.ndarray:
    """(ngeom,) height of each geom's lowest point in the posed data (spheres and capsules by their
    radius, boxes by their lowest corner; planes +inf; other shapes by their centre)."""
    out = np.empty(model.ngeom)
    for g in range(model.ngeom):
        kind, size, rot = model.geom_type[g], model.geom_size[g], data.geom_xmat[g].reshape(3, 3)
        z = data.geom_xpos[g, 2]
        if kind == mujoco.mjtGeom.mjGEOM_PLANE:
            out[g] = np.inf
        elif kind == mujoco.mjtGeom.mjGEOM_SPHERE:
            out[g] = z - size[0]
        elif kind == mujoco.mjtGeom.mjGEOM_CAPSULE:  # half-length along the local z axis
            out[g] = z - abs(rot[2, 2]) * size[1] - size[0]
        elif kind == mujoco.mjtGeom.mjGEOM_BOX:
            out[g] = z - np.abs(rot[2]) @ size
        else:
            out[g] = z
    return out


def lowest_geom_z(model: mujoco.MjModel, qpos: np.ndarray, body_names) -> np.ndarray:
    """(T, nq) -> (T,): height of the lowest point of the named bodies' geoms at every frame (geom_bottoms)."""
    data = mujoco.MjData(model)
    bodies = [model.body(n).id for n in body_names]
    geoms = np.isin(model.geom_bodyid, bodies)
    out = np.empty(qpos.shape[0])
    for t in range(qpos.shape[0]):
        data.qpos[:] = qpos[t]
        mujoco.mj_kinematics(model, data)
        out[t] = geom_bottoms(model, data)[geoms].min()
    return out
