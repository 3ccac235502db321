"""Synthesized standing reaches (motion/synth_reach.py, motion/reach_ik.py, cli/motion_synth.py)."""

from __future__ import annotations

import json

import mujoco
import numpy as np
import pytest

from tasktokens.cli.main import main
from tasktokens.cli.motion_synth import parse_source
from tasktokens.motion.clip import load_clip
from tasktokens.motion.labels import skill_label
from tasktokens.motion.reach_ik import FEET, IK_ANGLE_LIMITS, START_SLACK, IKSettings, ik_model
from tasktokens.motion.synth_reach import (
    StandingStart,
    canonical_start,
    draw_targets,
    hand_path,
    min_jerk,
    out_of_reach,
    stance_facts,
    synthesize_reaches,
)

FAST = IKSettings(iterations=10)
"""Fewer IK steps per frame than the command's 30: enough on a smooth path, and quicker."""


@pytest.fixture(scope="module")
def standing(character, deepmimic_dir) -> StandingStart:
    return parse_source(f"{deepmimic_dir}/long/humanoid3d_long_walk3.txt@17.7", character)


def body_track(character, qpos, bodies):
    """(T, len(bodies), 3) world positions of the bodies over a clip."""
    model = character.model()
    data = mujoco.MjData(model)
    ids = [model.body(b).id for b in bodies]
    out = []
    for q in qpos:
        data.qpos[:] = q
        mujoco.mj_kinematics(model, data)
        out.append(data.xpos[ids].copy())
    return np.array(out)


def test_min_jerk_profile():
    np.testing.assert_allclose(min_jerk(np.array([0.0, 0.5, 1.0])), [0.0, 0.5, 1.0], atol=1e-12)
    h = 1e-6  # one-sided differences at the ends: zero velocity
    assert abs(min_jerk(h) - min_jerk(0.0)) / h < 1e-6
    assert abs(min_jerk(1.0) - min_jerk(1.0 - h)) / h < 1e-6
    t = np.linspace(0.0, 1.0, 101)
    assert np.all(np.diff(min_jerk(t)) >= 0.0)  # never goes back
    np.testing.assert_allclose(min_jerk(t) + min_jerk(1.0 - t), 1.0, atol=1e-12)  # symmetric: the return is min-jerk too


def test_reach_and_its_mirror_hold_the_target_with_planted_feet(character, standing):
    target = np.array([0.45, -0.35, 1.0])
    clips, report = synthesize_reaches(character, [standing], target[None], settings=FAST)
    assert [c.name for c in clips] == ["reach__humanoid3d_long_walk3_000", "reach__humanoid3d_long_walk3_000_mirror"]
    right, left = clips
    assert all(skill_label(c.name) == "reach" for c in clips)
    assert "humanoid3d_long_walk3.txt frame 2124" in right.source and "synthesized reach to target (0.450, -0.350, 1.000)" in right.source
    assert right.licence == "MIT (DeepMimic)" and not right.loop and right.fps == 30.0
    hold = np.array([m["hold_error_m"] for m in report["clips"]])
    assert np.all(hold < 0.05)
    # measured independently of the report: the hand at the target at the clip's hold (frames
    # where it is nearest), the feet where they started throughout
    for clip, hand, t in ((right, "right_hand", target), (left, "left_hand", target * [1, -1, 1])):
        track = body_track(character, clip.qpos, [hand, *FEET])
        assert np.linalg.norm(track[:, 0] - t, axis=-1).min() < 0.05
        assert np.linalg.norm(track[:, 1:] - track[:1, 1:], axis=-1).max() < 0.02
    np.testing.assert_allclose(right.qpos[-1], canonical_start(standing.clip.qpos[standing.frame]))  # back to the start pose


def test_unreachable_targets_are_rejected_not_saved(character, standing):
    far = np.array([[3.0, 0.0, 1.0], [-0.5, 0.4, 1.0]])  # 3 m away; behind the left shoulder for the right hand
    clips, report = synthesize_reaches(character, [standing], far, settings=FAST)
    assert clips == [] and report["clips"] == []
    reasons = [r["reason"] for r in report["rejected"]]
    assert reasons[0].startswith("beyond reach") and reasons[1].startswith("behind the far side")
    stance = stance_facts(character.model(), canonical_start(standing.clip.qpos[standing.frame]))
    assert out_of_reach(np.array([stance["feet_centre"][0], stance["feet_centre"][1], 0.1]), stance).startswith("under the body")
    assert out_of_reach(np.array([0.4, -0.3, 1.0]), stance) is None


def test_targets_follow_the_reach_task_distribution():
    t = draw_targets(np.random.default_rng(0), 50)
    assert t.shape == (50, 3)
    assert np.all(np.abs(t[:, :2]) <= 0.75) and np.all((t[:, 2] >= 0.05) & (t[:, 2] <= 1.5))
    bins = np.floor((t - [-0.75, -0.75, 0.05]) / ([1.5, 1.5, 1.45]) * 50).astype(int)
    assert all(sorted(bins[:, k]) == list(range(50)) for k in range(3))  # one target in each of 50 bins per axis
    np.testing.assert_array_equal(t, draw_targets(np.random.default_rng(0), 50))  # seeded


def test_cross_body_path_goes_round_the_front():
    start, target = np.array([0.0, -0.3, 0.9]), np.array([-0.3, 0.5, 1.2])  # a straight line would cut the trunk
    path = hand_path(start, target, np.linspace(0.0, 1.0, 21), np.zeros(2))
    np.testing.assert_allclose(path[[0, -1]], [start, target], atol=1e-12)
    assert np.linalg.norm(path[:, :2], axis=1).min() >= 0.29  # stays out by the nearer end's radius
    assert path[10, 0] > 0.1  # in front of the trunk half way
    straight = hand_path(np.array([0.0, -0.3, 0.9]), np.array([0.5, -0.4, 1.0]), np.array([0.0, 0.5, 1.0]), np.zeros(2))
    np.testing.assert_allclose(straight[1], [0.25, -0.35, 0.95])


def test_command_writes_checked_clips_and_report(character, deepmimic_dir, tmp_path):
    out, report_path = tmp_path / "clips", tmp_path / "reach.json"
    source = f"{deepmimic_dir}/long/humanoid3d_long_walk3.txt@17.7"
    main(["motion", "synth", "reach", "--out", str(out), "--sources", source, "--targets", "3", "--ik-iterations", "10", "--json", str(report_path)])
    report = json.loads(report_path.read_text())
    summary = report["summary"]
    written = sorted(out.glob("*.npz"))
    assert len(written) == summary["clips_written"] == 2 * (3 - summary["targets_rejected"])
    assert summary["share_within_5cm"] == 1.0 and summary["max_foot_slide_m"] < 0.02 and summary["lowest_body_m"] >= 0.0
    assert report["check"]["loaded"] == len(written) and report["check"]["failed"] == []
    clip = load_clip(written[0], character)
    assert skill_label(clip.name) == "reach" and clip.licence == "MIT (DeepMimic)"


def test_ik_bounds_make_room_for_a_start_pose_past_them(character, standing):
    """A start pose beyond an IK bound (the Reallusion idles' necks) widens it, so the first
    frames do not snap the pose inside; within the bounds they stay as they are."""
    start = canonical_start(standing.clip.qpos[standing.frame])
    model = character.model()
    neck = model.jnt_qposadr[model.joint("neck").id]
    bent = start.copy()
    bent[neck : neck + 4] = [np.cos(0.6), np.sin(0.6), 0.0, 0.0]  # 1.2 rad about x
    j = model.joint("neck").id
    assert ik_model(character, start).jnt_range[j][1] == pytest.approx(IK_ANGLE_LIMITS["neck"])
    assert ik_model(character, bent).jnt_range[j][1] == pytest.approx(1.2 + START_SLACK)
