"""Synthesized square-pelvis steps: the footstep plan (motion/step_plan.py), its IK
(motion/synth_step.py) and `tasktokens motion synth steps`."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tasktokens.cli.main import main
from tasktokens.cli.motion_synth import parse_source
from tasktokens.motion.clip import load_clip
from tasktokens.motion.labels import skill_label
from tasktokens.motion.step_plan import StepGait, plan_steps
from tasktokens.motion.synth_step import gait_for, synthesize_steps

START_ROOT = np.array([0.0, 0.0, 0.876])
START_FEET = np.array([[0.02, 0.09, 0.09], [-0.01, -0.08, 0.09]])
"""(left, right) foot bodies of a made-up stance, 0.17 m apart sideways."""


@pytest.fixture(scope="module")
def standing(character, deepmimic_dir):
    return parse_source(f"{deepmimic_dir}/long/humanoid3d_long_walk3.txt@17.7", character)


def steady_velocity(plan, fps):
    """Mean pelvis xy velocity over the frames at full speed."""
    v = np.diff(plan.pelvis[:, :2], axis=0) * fps
    return v[plan.speed_scale[1:] > 0.999].mean(axis=0)


@pytest.mark.parametrize("velocity", [(0.0, 1.0), (0.0, -0.8), (-1.0, 0.0), (0.6, 0.0)])
def test_plan_moves_the_pelvis_at_the_velocity_and_never_lifts_both_feet(velocity):
    g = StepGait(velocity=velocity, cycle_s=0.6 if velocity[0] == 0.0 else 0.8, swing_s=0.25)
    plan = plan_steps(g, START_ROOT, START_FEET)
    np.testing.assert_allclose(steady_velocity(plan, g.fps), velocity, atol=2e-3)
    assert abs(plan.pelvis[-1, 2] - g.pelvis_height) < 1e-9 and plan.pelvis[0, 2] == pytest.approx(START_ROOT[2])
    assert np.all(plan.contact.any(axis=1)), "both feet in the air"
    # a planted foot does not move; a swinging one lifts by lift_m at mid-swing
    still = plan.contact[1:] & plan.contact[:-1]
    moved = np.linalg.norm(np.diff(plan.feet, axis=0), axis=-1)
    assert moved[still].max() < 1e-12
    assert plan.feet[:, :, 2].max() == pytest.approx(START_FEET[0, 2] + g.lift_m, abs=0.01)
    # it starts and ends standing: feet where they started, and at the same offsets from the stopped pelvis
    np.testing.assert_allclose(plan.feet[0], START_FEET)
    end_offsets = plan.feet[-1, :, :2] - plan.pelvis[-1, :2]
    np.testing.assert_allclose(end_offsets, START_FEET[:, :2] - START_ROOT[:2], atol=g.min_step)
    assert plan.contact[-round(g.stand_after_s * g.fps) :].all()


@pytest.mark.parametrize("vy", [1.0, -1.0])
def test_side_steps_lead_with_the_foot_on_the_side_of_travel_and_never_cross(vy):
    g = gait_for("left" if vy > 0 else "right", 1.0)
    plan = plan_steps(g, START_ROOT, START_FEET)
    lead = "left" if vy > 0 else "right"
    assert plan.lead == (0 if lead == "left" else 1)
    first_lift = [np.argmax(~plan.contact[:, k]) for k in (plan.lead, 1 - plan.lead)]  # (lead, trailing)
    assert first_lift[0] < first_lift[1]
    gap = plan.feet[:, 0, 1] - plan.feet[:, 1, 1]
    assert gap.min() >= (START_FEET[0, 1] - START_FEET[1, 1]) - 1e-9, "the feet came closer than they stand"
    assert g.phase <= 0.5 and gait_for("left", 0.6).phase < 0.5  # step-close: the trailing foot follows soon after the lead lands


def test_backward_steps_alternate_at_half_a_stride():
    g = gait_for("backward", 1.0)
    plan = plan_steps(g, START_ROOT, START_FEET)
    lifts = [np.flatnonzero(np.diff(plan.contact[:, k].astype(int)) == -1) / g.fps for k in (0, 1)]
    steady = lambda t: t[(t > g.stand_before_s + g.ramp_s) & (t < g.stand_before_s + g.ramp_s + g.travel_s - g.cycle_s)]  # noqa: E731
    a, b = steady(lifts[0]), steady(lifts[1])
    np.testing.assert_allclose(np.diff(a), g.cycle_s, atol=1.5 / g.fps)
    offset = (b[:, None] - a[None, :]) % g.cycle_s
    assert np.abs(offset.min(axis=1) - 0.5 * g.cycle_s).max() <= 1.5 / g.fps
    # at full speed a foot moves one stride (speed x stride period) per step
    x = plan.feet[:, 0, 0]
    lands = np.flatnonzero(np.diff(plan.contact[:, 0].astype(int)) == 1) + 1
    strides = np.diff(x[lands])[1:-3]
    np.testing.assert_allclose(strides[len(strides) // 2], -g.cycle_s, atol=0.02)


def test_gait_for_rejects_bad_values():
    with pytest.raises(ValueError, match="unknown step kind 'sideways'"):
        gait_for("sideways", 1.0)
    with pytest.raises(ValueError, match="speed must be positive"):
        gait_for("left", 0.0)
    fast, slow = gait_for("left", 1.2), gait_for("left", 0.4)
    assert fast.cycle_s == 0.5 and slow.cycle_s == 0.9  # clipped stride periods
    assert fast.swing_s + fast.side_gap_s <= 0.5 * fast.cycle_s + 1e-12


def test_ik_meets_the_plan_and_the_mirror_steps_the_other_way(character, standing):
    clips, report = synthesize_steps(character, standing, ("left",), (0.8,))
    assert [c.name for c in clips] == ["walk_sideways__synth_step_left_0p8", "walk_sideways__synth_step_left_0p8_mirror"]
    (entry,) = report
    assert entry["kept"] and entry["pelvis_error_m"] < 0.02 and entry["foot_error_m"] < 0.02
    assert entry["max_yaw_deg"] < 1.0 and entry["planted_slide_m"] < 0.005 and entry["lowest_body_m"] > 0.0
    np.testing.assert_allclose(entry["steady_velocity"], [0.0, 0.8], atol=0.02)
    left, right = clips
    assert left.qpos[-1, 1] - left.qpos[0, 1] > 2.0 and right.qpos[-1, 1] - right.qpos[0, 1] < -2.0
    assert abs(left.qpos[-1, 2] - 0.85) < 0.01  # stands at the probes' pelvis height
    assert {skill_label(c.name) for c in clips} == {"walk_sideways"}
    assert all("MIT" in c.licence for c in clips)  # the start pose's licence (the MIT long walk)


def test_cli_writes_loadable_clips_and_a_report(tmp_path, deepmimic_dir, character):
    out, report = tmp_path / "steps", tmp_path / "steps.json"
    main(["motion", "synth", "steps", "--out", str(out), "--kinds", "backward", "--speeds", "0.6", "--json", str(report),
          "--source", f"{deepmimic_dir}/long/humanoid3d_long_walk3.txt@17.7"])
    files = sorted(p.name for p in out.glob("*.npz"))
    assert files == ["walk_backward__synth_step_backward_0p6.npz", "walk_backward__synth_step_backward_0p6_mirror.npz"]
    clip = load_clip(out / files[0], character)
    assert clip.qpos[-1, 0] - clip.qpos[0, 0] < -1.5  # went backward
    data = json.loads(report.read_text())
    assert data["written"] == [f[:-4] for f in files] and data["clips"][0]["kind"] == "backward"
