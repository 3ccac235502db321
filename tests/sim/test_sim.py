"""The simulators (mujoco.batch and MuJoCo Warp behind one interface): resets, PD control,
per-environment physics parameters, contacts, failures; and the two backends agreeing."""

from __future__ import annotations

import math
import sys

import mujoco
import numpy as np
import pytest
import torch

from tasktokens import rotations as rot
from tasktokens.sim.common import SimBase, SimConfig
from tasktokens.sim.common import make_sim as make_backend

SECOND = 30  # control steps per second at the default 120 Hz / 4 substeps


BACKENDS = ["mujoco", pytest.param("warp", marks=pytest.mark.warp)]


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    if request.param == "warp":
        pytest.importorskip("mujoco_warp", reason="the warp extra is not installed")
    return request.param


def make_sim(character, n: int, model: mujoco.MjModel | None = None, backend: str = "mujoco") -> SimBase:
    return make_backend(character, SimConfig(num_envs=n, num_threads=1, backend=backend, warp_device="cpu"), model)


def stored(backend: str, x: torch.Tensor) -> torch.Tensor:
    """x as the backend stores it: MuJoCo Warp computes in float32."""
    return x.float().double() if backend == "warp" else x


def standing(sim: SimBase, n: int, height: float = 0.9) -> torch.Tensor:
    """(n, nq) straight-legged standing pose, pelvis at the given height (0.9: feet on the floor)."""
    q = torch.as_tensor(sim.model.qpos0).clone()
    q[2] = height
    return q.expand(n, -1).clone()


def lying(sim: SimBase, n: int) -> torch.Tensor:
    """(n, nq) lying on the back: standing pose pitched -90 degrees about y, pelvis low."""
    q = standing(sim, n, 0.12)
    q[:, 3:7] = rot.quat_from_axis_angle(
        torch.tensor([0.0, 1.0, 0.0], dtype=torch.float64), torch.tensor(-math.pi / 2, dtype=torch.float64)
    )
    return q


def zeros_qvel(sim: SimBase, n: int) -> torch.Tensor:
    return torch.zeros(n, sim.model.nv, dtype=torch.float64)


def hold(sim: SimBase, qpos: torch.Tensor, steps: int) -> None:
    targets = sim.character.pd_targets_from_qpos(qpos)
    for _ in range(steps):
        sim.step(targets)


def test_config_and_rates(character, backend):
    sim = make_sim(character, 2, backend=backend)
    assert sim.control_dt == pytest.approx(1 / 30)
    assert sim.model.opt.timestep == pytest.approx(1 / 120)
    assert sim.qpos.shape == (2, 43) and sim.qvel.shape == (2, 34) and sim.ctrl.shape == (2, 28)
    assert sim.body_pos.shape == (2, 15, 3) and sim.body_quat.shape == (2, 15, 4)
    with pytest.raises(ValueError):
        make_sim(character, 0, backend=backend)


def test_reset_sets_selected_envs_and_leaves_the_others(character, backend):
    n = 4
    sim = make_sim(character, n, backend=backend)
    sim.reset(torch.arange(n), standing(sim, n), zeros_qvel(sim, n))
    g = torch.Generator().manual_seed(0)
    for _ in range(5):  # different states everywhere
        sim.step(sim.pd_targets(torch.rand(n, 28, generator=g, dtype=torch.float64) * 0.6 - 0.3))
    before_q, before_v = sim.qpos.clone(), sim.qvel.clone()
    before_pos = sim.body_pos.clone()
    ids = torch.tensor([1, 3])
    new_q = standing(sim, 2, 1.5)
    new_q[1, 0:2] = torch.tensor([2.0, -1.0])
    new_v = torch.randn(2, sim.model.nv, generator=g, dtype=torch.float64)
    sim.reset(ids, new_q, new_v)
    assert torch.equal(sim.qpos[ids], stored(backend, new_q)) and torch.equal(sim.qvel[ids], stored(backend, new_v))
    keep = torch.tensor([0, 2])
    assert torch.equal(sim.qpos[keep], before_q[keep]) and torch.equal(sim.qvel[keep], before_v[keep])
    assert torch.equal(sim.body_pos[keep], before_pos[keep])
    # kinematics of the reset envs are current
    torch.testing.assert_close(sim.body_pos[ids, 0], new_q[:, :3], atol=1e-6, rtol=0)
    sim.reset(torch.zeros(0, dtype=torch.long), new_q[:0], new_v[:0])  # no-op


def test_pd_targets_hold_a_standing_pose_for_one_second(character, backend):
    n = 2
    sim = make_sim(character, n, backend=backend)
    q = standing(sim, n)
    sim.reset(torch.arange(n), q, zeros_qvel(sim, n))
    hold(sim, q, SECOND)
    assert torch.all(sim.qpos[:, 2] > 0.85)  # pelvis still up
    up = rot.quat_rotate(sim.body_quat[:, 0], torch.tensor([0.0, 0.0, 1.0], dtype=torch.float64).expand(n, 3))
    assert torch.all(up[:, 2] > 0.99)
    assert sim.qvel.abs().max() < 0.2  # at rest
    assert not sim.failed.any()


def test_gravity_scale(character, backend):
    n = 3
    sim = make_sim(character, n, backend=backend)
    sim.set_gravity_scale(torch.tensor([0.0, 1.0, 0.25], dtype=torch.float64))
    q = standing(sim, n, 2.0)  # in the air: feet 1.1 m above the floor
    sim.reset(torch.arange(n), q, zeros_qvel(sim, n))
    steps = 9
    hold(sim, q, steps)
    t = steps * sim.control_dt
    drop = 2.0 - sim.qpos[:, 2]
    assert float(drop[0]) == pytest.approx(0.0, abs=1e-3)  # weightless
    assert float(drop[1]) == pytest.approx(0.5 * 9.81 * t**2, rel=0.03)  # free fall
    assert float(drop[2]) == pytest.approx(0.25 * 0.5 * 9.81 * t**2, rel=0.03)


def test_friction_scale_changes_sliding_distance(character, backend):
    n = 2
    sim = make_sim(character, n, backend=backend)
    sim.set_friction_scale(torch.tensor([0.3, 2.0], dtype=torch.float64))
    q = lying(sim, n)
    sim.reset(torch.arange(n), q, zeros_qvel(sim, n))
    hold(sim, q, 10)  # settle on the back
    v = sim.qvel.clone()
    v[:, 0] = 3.0  # slide along x at 3 m/s
    sim.reset(torch.arange(n), sim.qpos.clone(), v)
    x0 = sim.qpos[:, 0].clone()
    hold(sim, q, SECOND)
    slide = sim.qpos[:, 0] - x0
    # Coulomb friction: distance v^2 / (2 mu g) = 1.53 m at mu 0.3, 0.23 m at mu 2
    assert 1.0 < float(slide[0]) < 2.0
    assert 0.1 < float(slide[1]) < 0.4
    # the model of each environment carries its friction
    assert sim.model_of(0).geom_friction[0, 0] == pytest.approx(0.3)
    assert sim.model_of(1).geom_friction[0, 0] == pytest.approx(2.0)


def test_mass_scale_changes_the_weight_on_the_floor(character, backend):
    n = 3
    scales = [0.5, 1.0, 2.0]
    sim = make_sim(character, n, backend=backend)
    sim.set_mass_scale(torch.tensor(scales, dtype=torch.float64))
    q = standing(sim, n)
    sim.reset(torch.arange(n), q, zeros_qvel(sim, n))
    hold(sim, q, SECOND)
    for i, s in enumerate(scales):
        assert sim.model_of(i).body_mass.sum() == pytest.approx(45.0 * s)
        # standing still, the floor carries the weight: vertical constraint force on the root
        support = sim.data_of(i).qfrc_constraint[2]
        assert support == pytest.approx(45.0 * s * 9.81, rel=0.02)


def test_ground_contacts_standing_and_lying(character, backend):
    n = 2
    sim = make_sim(character, n, backend=backend)
    q = torch.cat([standing(sim, 1), lying(sim, 1)])
    sim.reset(torch.arange(n), q, zeros_qvel(sim, n))
    hold(sim, q, 15)
    contacts = sim.ground_contacts()
    assert contacts.shape == (2, 15) and contacts.dtype == torch.bool
    names = character.body_names
    assert {names[i] for i in contacts[0].nonzero().flatten().tolist()} == {"right_foot", "left_foot"}
    lying_contacts = {names[i] for i in contacts[1].nonzero().flatten().tolist()}
    assert "pelvis" in lying_contacts and "torso" in lying_contacts


def test_failures_are_flagged_and_reset_clears_them(character, backend):
    n = 3
    sim = make_sim(character, n, backend=backend)
    q = standing(sim, n)
    sim.reset(torch.arange(n), q, zeros_qvel(sim, n))
    targets = character.pd_targets_from_qpos(q)
    # NaN right after a reset, NaN later on
    sim.qvel[1, 10] = float("nan")
    sim.step(targets)
    assert sim.failed.tolist() == [False, True, False]
    sim.step(targets)
    sim.qvel[2, 5] = float("nan")
    sim.step(targets)
    assert sim.failed.tolist() == [False, True, True]
    sim.reset(torch.tensor([1, 2]), q[:2], zeros_qvel(sim, 2))
    assert not sim.failed.any()
    sim.step(targets)
    assert not sim.failed.any() and torch.isfinite(sim.qpos).all()


def test_mujoco_errors_are_flagged_not_raised(character):
    """Simulations in which MuJoCo raises (here: a stack overflow, arena memory far too small) keep
    their state and are flagged instead of the error escaping."""
    model = mujoco.MjModel.from_xml_string(character.mjcf.read_text().replace('memory="4M"', 'memory="20K"'))
    n = 2
    sim = make_sim(character, n, model=model)
    q = standing(sim, n, 2.0)
    sim.reset(torch.arange(n), q, zeros_qvel(sim, n))
    sim.step(character.pd_targets_from_qpos(q))
    assert sim.failed.tolist() == [True, True]
    assert torch.equal(sim.qpos, q)
    assert "memory" in sim.batch.error(0)


def test_pd_targets_and_ball_target_clamp(character):
    sim = make_sim(character, 2)
    offset, scale = character.action_offset_scale
    a = torch.zeros(2, 28, dtype=torch.float64)
    a[0, 0] = 0.5  # chest_x: 0.5 pi, under the clamp
    a[1, :3] = 1.0  # chest rotation vector pi * (1, 1, 1): longer than 2.83 rad
    a[:, 9] = 3.0  # an elbow, past the action range: clipped to 1
    t = sim.pd_targets(a)
    assert float(t[0, 0]) == pytest.approx(0.5 * math.pi)
    assert float(t[1, :3].norm()) == pytest.approx(sim.cfg.max_ball_target)
    torch.testing.assert_close(t[1, :3] / t[1, :3].norm(), torch.full((3,), 1 / math.sqrt(3), dtype=torch.float64))
    assert torch.all(t[:, 9] == float(offset[9] + scale[9]))
    zero = sim.pd_targets(torch.zeros(1, 28, dtype=torch.float64))
    torch.testing.assert_close(zero[0], torch.as_tensor(offset))
    # clamp_targets leaves short ball targets and hinges alone
    raw = torch.zeros(1, 28, dtype=torch.float64)
    raw[0, 3:6] = torch.tensor([0.5, -1.0, 2.0])
    raw[0, 9] = 3.1
    assert torch.equal(sim.clamp_targets(raw), raw)


def test_random_actions_stay_stable(character, backend):
    """Random actions in [-1, 1] (ball targets up to the clamp) for 2 s: no failures."""
    n = 16 if backend == "mujoco" else 4  # Warp's CPU backend is slow
    sim = make_sim(character, n, backend=backend)
    q = standing(sim, n)
    sim.reset(torch.arange(n), q, zeros_qvel(sim, n))
    g = torch.Generator().manual_seed(0)
    for _ in range(2 * SECOND):
        sim.step(sim.pd_targets(torch.rand(n, 28, generator=g, dtype=torch.float64) * 2 - 1))
    assert not sim.failed.any()
    assert torch.isfinite(sim.qpos).all() and torch.isfinite(sim.qvel).all()


@pytest.mark.warp
def test_warp_follows_mujoco_batch_from_a_walking_state(character, walk_file):
    """The same walking reference states and PD targets on both backends: after 10 control steps
    (1/3 s) joint positions agree to 1e-4 rad or m, velocities to 1e-2 (float32 against float64:
    the difference grows over time, as any two integrators' do), contacts exactly."""
    pytest.importorskip("mujoco_warp", reason="the warp extra is not installed")
    from tasktokens.motion.motion_lib import MotionLib

    lib = MotionLib.from_paths([walk_file], character)
    n = 3
    ref = lib.state(torch.zeros(n, dtype=torch.long), torch.tensor([0.1, 0.4, 0.7]))
    sims = [make_sim(character, n, backend=b) for b in ("mujoco", "warp")]
    for sim in sims:
        sim.reset(torch.arange(n), ref.qpos.double(), ref.qvel.double())
    targets = character.pd_targets_from_qpos(ref.qpos.double())
    mj, wp = sims
    torch.testing.assert_close(wp.body_pos, mj.body_pos, atol=1e-6, rtol=0)
    torch.testing.assert_close(wp.body_quat, mj.body_quat, atol=1e-6, rtol=0)
    for _ in range(10):
        for sim in sims:
            sim.step(targets)
    torch.testing.assert_close(wp.qpos, mj.qpos, atol=1e-4, rtol=0)
    torch.testing.assert_close(wp.qvel, mj.qvel, atol=1e-2, rtol=0)
    for a, b in zip(wp.body_velocities(), mj.body_velocities(), strict=True):
        torch.testing.assert_close(a, b, atol=1e-2, rtol=0)
    assert torch.equal(wp.ground_contacts(), mj.ground_contacts()) and wp.ground_contacts().any()
    torch.testing.assert_close(wp.actuator_power(), mj.actuator_power(), rtol=0.02, atol=0.5)
    assert not wp.failed.any()
    # a copy of a world for rendering has that world's state
    np.testing.assert_allclose(wp.data_of(2).qpos, wp.qpos[2].numpy())


def test_unknown_backend_and_missing_warp_are_clear_errors(character, monkeypatch):
    with pytest.raises(ValueError, match="'mujoco' or 'warp'"):
        make_backend(character, SimConfig(num_envs=1, backend="bullet"))
    monkeypatch.setitem(sys.modules, "mujoco_warp", None)  # as if not installed
    with pytest.raises(ImportError, match=r"pip install -e '\.\[warp\]'"):
        make_sim(character, 1, backend="warp")
