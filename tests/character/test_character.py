"""The humanoid3d character: the shipped MJCF, its sizes and mass, the action mapping."""

from __future__ import annotations

import json
import math

import mujoco
import numpy as np
import pytest
import torch

from tasktokens import rotations as rot
from tasktokens.character import get_character
from tasktokens.character.humanoid3d import PHYSICS_DT, build_mjcf

BODIES = {
    "pelvis", "torso", "head",
    "right_upper_arm", "right_lower_arm", "right_hand", "left_upper_arm", "left_lower_arm", "left_hand",
    "right_thigh", "right_shin", "right_foot", "left_thigh", "left_shin", "left_foot",
}  # fmt: skip
BALLS = {"chest", "neck", "right_hip", "left_hip", "right_ankle", "left_ankle", "right_shoulder", "left_shoulder"}
HINGES = {"right_knee", "left_knee", "right_elbow", "left_elbow"}


def test_shipped_mjcf_is_what_the_builder_makes(character, deepmimic_dir):
    data = json.loads((deepmimic_dir / "humanoid3d_character.txt").read_text())
    assert character.mjcf.read_text() == build_mjcf(data), (
        "the shipped asset is stale: python -m tasktokens.character.humanoid3d "
        "../shared/data/motions/deepmimic/humanoid3d_character.txt src/tasktokens/character/assets/humanoid3d.xml"
    )


def test_sizes_mass_and_joint_types(character):
    m = character.model()
    assert m.nbody - 1 == 15 and character.num_bodies == 15
    assert set(character.body_names) == BODIES and character.body_names[0] == "pelvis"
    assert (m.nq, m.nv, m.nu) == (43, 34, 28) and character.num_dof == 28
    assert m.body_mass.sum() == pytest.approx(45.0)
    kinds = {m.joint(j).name: int(m.jnt_type[j]) for j in range(m.njnt)}
    assert {n for n, k in kinds.items() if k == mujoco.mjtJoint.mjJNT_BALL} == BALLS
    assert {n for n, k in kinds.items() if k == mujoco.mjtJoint.mjJNT_HINGE} == HINGES
    assert [n for n, k in kinds.items() if k == mujoco.mjtJoint.mjJNT_FREE] == ["root"]
    assert m.opt.timestep == pytest.approx(1 / 120) and m.opt.integrator == mujoco.mjtIntegrator.mjINT_IMPLICITFAST


def test_standing_height(character):
    """About 1.62 m tall with straight legs and the feet on the ground (notes/character.md)."""
    m = character.model()
    d = mujoco.MjData(m)
    mujoco.mj_kinematics(m, d)
    top = max(d.geom_xpos[g][2] + m.geom_size[g][0] for g in range(1, m.ngeom) if m.geom_type[g] == mujoco.mjtGeom.mjGEOM_SPHERE)
    foot = m.geom("right_foot").id
    bottom = d.geom_xpos[foot][2] - m.geom_size[foot][2]
    assert top - bottom == pytest.approx(1.62, abs=0.05)


def test_armature_is_kp_dt2_and_no_passive_joint_forces(character):
    m = character.model()
    for a in range(m.nu):
        j = m.actuator_trnid[a, 0]
        dof = m.jnt_dofadr[j]
        kp = m.actuator_gainprm[a, 0]
        assert m.dof_armature[dof] == pytest.approx(kp * PHYSICS_DT**2, rel=1e-3)
        assert m.actuator_biasprm[a, 2] == pytest.approx(-kp / 10)  # kv = kp / 10
    assert np.all(m.dof_damping == 0) and np.all(m.jnt_stiffness == 0)


def test_no_self_collision_but_floor_contacts(character):
    m = character.model()
    floor = m.geom("floor").id
    for g1 in range(m.ngeom):
        for g2 in range(g1 + 1, m.ngeom):
            collide = (m.geom_contype[g1] & m.geom_conaffinity[g2]) or (m.geom_contype[g2] & m.geom_conaffinity[g1])
            assert bool(collide) == (floor in (g1, g2)), (m.geom(g1).name, m.geom(g2).name)
    sensors = {m.sensor(s).name for s in range(m.nsensor)}
    assert sensors == {f"{b}_floor" for b in BODIES}


def test_action_offset_and_scale(character):
    m = character.model()
    offset, scale = character.action_offset_scale
    for a in range(m.nu):
        j = m.actuator_trnid[a, 0]
        name = m.joint(j).name
        if name in HINGES:  # [-1, 1] covers the joint range exactly
            lo, hi = m.jnt_range[j]
            assert offset[a] - scale[a] == pytest.approx(lo) and offset[a] + scale[a] == pytest.approx(hi)
        else:
            assert offset[a] == 0 and scale[a] == pytest.approx(math.pi)
    knee = m.actuator("right_knee").id
    assert (offset[knee] - scale[knee], offset[knee] + scale[knee]) == pytest.approx((-3.14, 0.0))


def test_pd_targets_from_qpos_known_pose(character):
    m = character.model()
    qpos = torch.as_tensor(m.qpos0).clone()
    axis = torch.tensor([1.0, 2.0, -0.5], dtype=torch.float64)
    axis = axis / axis.norm()
    hip = m.joint("right_hip").qposadr[0]
    qpos[hip : hip + 4] = rot.quat_from_axis_angle(axis, torch.tensor(1.2, dtype=torch.float64))
    qpos[m.joint("left_knee").qposadr[0]] = -0.8
    targets = character.pd_targets_from_qpos(qpos[None])[0]
    assert targets.shape == (28,)
    hip_act = [m.actuator(f"right_hip_{c}").id for c in "xyz"]
    torch.testing.assert_close(targets[hip_act], 1.2 * axis)
    assert float(targets[m.actuator("left_knee").id]) == pytest.approx(-0.8)
    others = torch.ones(28, dtype=torch.bool)
    others[hip_act + [m.actuator("left_knee").id]] = False
    assert torch.all(targets[others] == 0)


def test_pd_targets_are_what_the_actuators_read(character):
    """A position actuator with gear e_k on a ball joint reads component k of the joint's rotation
    vector: MuJoCo's actuator_length equals pd_targets_from_qpos for random poses."""
    m = character.model()
    d = mujoco.MjData(m)
    rng = np.random.default_rng(0)
    poses = []
    for _ in range(8):
        q = m.qpos0.copy()
        for j in range(m.njnt):
            adr = m.jnt_qposadr[j]
            if m.jnt_type[j] == mujoco.mjtJoint.mjJNT_BALL:
                v = rng.normal(size=4)
                q[adr : adr + 4] = v / np.linalg.norm(v)
            elif m.jnt_type[j] == mujoco.mjtJoint.mjJNT_HINGE:
                q[adr] = rng.uniform(*m.jnt_range[j])
        poses.append(q)
    targets = character.pd_targets_from_qpos(torch.as_tensor(np.stack(poses)))
    for q, t in zip(poses, targets, strict=True):
        d.qpos[:] = q
        mujoco.mj_forward(m, d)
        np.testing.assert_allclose(d.actuator_length, t.numpy(), atol=1e-9)


def test_registry_and_fingerprint(character):
    assert get_character("humanoid3d") is character
    with pytest.raises(KeyError, match="humanoid3d"):
        get_character("smpl")
    fp = character.fingerprint()
    assert fp == {"character": "humanoid3d", "nq": 43, "nu": 28, "bodies": list(character.body_names)}
    assert set(character.conditionable_bodies) <= BODIES and set(character.contact_bodies) == {"right_foot", "left_foot"}
