"""Forward kinematics of clips: velocities as MuJoCo defines them, feet on the ground."""

from __future__ import annotations

import mujoco
import numpy as np
import pytest

from tasktokens.motion.clip import load_clip
from tasktokens.motion.kinematics import body_states, clip_kinematics, finite_difference_qvel
from tasktokens.motion.motion_lib import default_motion_paths, load_clips


def lowest_point(model: mujoco.MjModel, data: mujoco.MjData, qpos: np.ndarray) -> tuple[float, str]:
    """Height of the lowest point of the character's geoms, and the body it belongs to."""
    data.qpos[:] = qpos
    mujoco.mj_kinematics(model, data)
    best = (np.inf, "")
    for g in range(model.ngeom):
        if model.geom_bodyid[g] == 0:
            continue  # the floor
        R, size, z = data.geom_xmat[g].reshape(3, 3), model.geom_size[g], data.geom_xpos[g][2]
        kind = model.geom_type[g]
        if kind == mujoco.mjtGeom.mjGEOM_SPHERE:
            low = z - size[0]
        elif kind == mujoco.mjtGeom.mjGEOM_CAPSULE:
            low = z - abs(R[2, 2]) * size[1] - size[0]
        else:
            assert kind == mujoco.mjtGeom.mjGEOM_BOX
            low = z - np.abs(R[2, :]) @ size
        best = min(best, (low, model.body(model.geom_bodyid[g]).name))
    return best


def test_body_velocities_agree_with_mj_object_velocity(character):
    m = character.model()
    d = mujoco.MjData(m)
    rng = np.random.default_rng(0)
    T = 5
    qpos = np.tile(m.qpos0, (T, 1))
    qpos[:, :3] += rng.normal(size=(T, 3))
    for t in range(T):  # random but valid poses: integrate random velocities from qpos0
        mujoco.mj_integratePos(m, qpos[t], rng.normal(size=m.nv), 0.5)
    qvel = rng.normal(size=(T, m.nv))
    kin = body_states(m, qpos, qvel)
    res = np.zeros(6)
    for t in range(T):
        d.qpos[:], d.qvel[:] = qpos[t], qvel[t]
        mujoco.mj_forward(m, d)
        for b in range(1, m.nbody):
            # world-frame (angular, linear) velocity at the body frame's origin
            mujoco.mj_objectVelocity(m, d, mujoco.mjtObj.mjOBJ_XBODY, b, res, 0)
            np.testing.assert_allclose(kin.body_ang_vel[t, b - 1], res[:3], atol=1e-10)
            np.testing.assert_allclose(kin.body_lin_vel[t, b - 1], res[3:], atol=1e-10)
        np.testing.assert_allclose(kin.body_pos[t], d.xpos[1:], atol=1e-12)
        np.testing.assert_allclose(kin.body_quat[t], d.xquat[1:], atol=1e-12)


def test_finite_difference_qvel_inverts_integration(character):
    m = character.model()
    rng = np.random.default_rng(1)
    dt = 1 / 30
    qvel = rng.normal(size=(4, m.nv))
    qpos = np.tile(m.qpos0, (5, 1))
    for i in range(4):
        qpos[i + 1] = qpos[i]
        mujoco.mj_integratePos(m, qpos[i + 1], qvel[i], dt)
    fd = finite_difference_qvel(m, qpos, dt)
    np.testing.assert_allclose(fd[:4], qvel, atol=1e-8)
    np.testing.assert_array_equal(fd[4], fd[3])  # the last frame repeats the previous velocity


def test_walk_feet_on_the_ground(character, walk_file):
    m = character.model()
    d = mujoco.MjData(m)
    clip = load_clip(walk_file, character)
    low, body = lowest_point(m, d, clip.qpos[0])
    assert body.endswith("_foot") and abs(low) < 0.02
    lows = np.array([lowest_point(m, d, q)[0] for q in clip.qpos])
    assert lows.min() > -0.02 and lows.max() < 0.03  # always one foot on the ground, none through it
    kin = clip_kinematics(m, clip.qpos, clip.fps)
    pelvis_z = kin.body_pos[:, 0, 2]
    assert 0.8 < pelvis_z.min() and pelvis_z.max() < 1.0
    speed = np.linalg.norm(kin.body_lin_vel[:, 0, :2], axis=1).mean()
    assert 0.7 < speed < 1.5  # a walk, forward along +x
    assert kin.body_pos[-1, 0, 0] - kin.body_pos[0, 0, 0] > 1.0


def test_every_mit_clip_stays_near_the_floor(character):
    """A wrong frame conversion puts the character metres off or sideways; mocap foot penetration is
    a few centimetres."""
    m = character.model()
    d = mujoco.MjData(m)
    clips, _ = load_clips(default_motion_paths(), character)
    for c in clips:
        lows = np.array([lowest_point(m, d, q)[0] for q in c.qpos[:: max(1, c.num_frames // 40)]])
        assert np.median(lows) == pytest.approx(0.0, abs=0.04), c.name
        assert lows.min() > -0.15, c.name
