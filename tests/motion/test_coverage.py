"""Corpus coverage measures (motion/coverage.py) on hand-made trajectories, and on real clips."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tasktokens.motion import coverage as cov

FPS = 30.0
BOX = ((-0.75, -0.75, 0.05), (0.75, 0.75, 1.5))


def yaw_quat(yaw) -> np.ndarray:
    """(T,) yaw -> (T, 4) rotations about world z, (w, x, y, z)."""
    yaw = np.asarray(yaw, dtype=float)
    return np.stack([np.cos(yaw / 2), 0 * yaw, 0 * yaw, np.sin(yaw / 2)], axis=-1)


def trajectory(seconds: float, velocity=(0.0, 0.0), yaw=0.0, yaw_rate=0.0, foot_z=None, hands_h=((0.3, -0.2, 1.0), (0.3, 0.2, 1.0))):
    """A root at 0.9 m moving at a constant world velocity, facing yaw (+ yaw_rate t); feet at
    foot_z (T, 2) (default on the floor); hands fixed in the heading frame (x, y from the root, z height)."""
    t = np.arange(round(seconds * FPS) + 1) / FPS
    pos = np.stack([velocity[0] * t, velocity[1] * t, np.full_like(t, 0.9)], axis=-1)
    yaws = yaw + yaw_rate * t
    c, s = np.cos(yaws)[:, None], np.sin(yaws)[:, None]
    hands = np.stack([np.concatenate([pos[:, :2] + np.concatenate([c * h[0] - s * h[1], s * h[0] + c * h[1]], axis=-1), np.full((len(t), 1), h[2])], axis=-1)
                      for h in hands_h], axis=1)
    feet = np.zeros((len(t), 2)) if foot_z is None else foot_z
    return cov.clip_frames(pos, yaw_quat(yaws), feet, hands, FPS)


def summary(frames):
    return cov.summarize(frames, BOX)


def test_sideways_motion():
    s = summary(trajectory(2.0, velocity=(0.0, 1.0)))  # facing +x, moving +y
    assert s["seconds"] == pytest.approx(2.0)
    assert s["seconds_sideways"] == pytest.approx(2.0)
    assert s["speed"]["max_lateral"] == pytest.approx(1.0)
    assert s["speed"]["max_forward"] == pytest.approx(0.0, abs=1e-9)
    assert s["seconds_backward"] == 0.0
    assert s["seconds_by_facing_motion_angle"]["60-120"] == pytest.approx(2.0)
    assert sum(s["seconds_by_speed"].values()) == pytest.approx(2.0)
    assert s["standing_seconds"] == 0.0


def test_facing_turned_moving_along_its_left_is_sideways_in_the_heading_frame():
    s = summary(trajectory(1.0, velocity=(-1.5, 0.0), yaw=-np.pi / 2))  # faces -y, moves -x: to its right
    assert s["seconds_sideways"] == pytest.approx(1.0)
    assert s["speed"]["max_lateral"] == pytest.approx(1.5)


def test_backward_motion():
    s = summary(trajectory(2.0, velocity=(-1.0, 0.0)))  # facing +x, moving -x
    assert s["seconds_backward"] == pytest.approx(2.0)
    assert s["speed"]["max_backward"] == pytest.approx(1.0)
    assert s["seconds_sideways"] == 0.0
    assert s["seconds_by_facing_motion_angle"]["120-180"] == pytest.approx(2.0)


def test_forward_motion_faces_the_motion():
    s = summary(trajectory(2.0, velocity=(0.0, 2.5), yaw=np.pi / 2))
    assert s["speed"]["max_forward"] == pytest.approx(2.5)
    assert s["seconds_by_facing_motion_angle"] == {"0-30": pytest.approx(2.0), "30-60": 0.0, "60-120": 0.0, "120-180": 0.0}
    assert s["seconds_by_speed"]["2-3"] == pytest.approx(2.0)


def test_flight_and_leap():
    """0.5 s on the ground, both feet 10 cm up for 0.4 s, 0.5 s on the ground, at 2 m/s."""
    t = np.arange(round(1.4 * FPS) + 1) / FPS
    air = (t >= 0.5 - 1e-9) & (t < 0.9 - 1e-9)
    assert air.sum() == 12
    s = summary(trajectory(1.4, velocity=(2.0, 0.0), foot_z=np.where(air[:, None], 0.1, 0.0) * np.ones((1, 2))))
    assert s["flight"]["count"] == 1
    assert s["flight"]["longest_seconds"] == pytest.approx(0.4)
    # last contact before to first contact after: 12 airborne frames + 1 step, 13 / 30 s at 2 m/s
    assert s["flight"]["longest_leap_m"] == pytest.approx(2.0 * 13 / FPS, abs=1e-3)
    assert s["standing_seconds"] == 0.0


def test_foot_leap_goes_from_the_front_foothold_to_the_back_one():
    """Feet 0.2 m ahead of and behind the root: take-off from the front one, landing on the back one."""
    T = round(1.4 * FPS) + 1
    air = (np.arange(T) >= 15) & (np.arange(T) < 27)
    root = np.stack([2.0 * np.arange(T) / FPS, np.zeros(T), np.full(T, 0.9)], axis=-1)
    feet = root[:, None] + np.array([[0.2, 0.1, -0.9], [-0.2, -0.1, -0.9]])
    low = np.where(air[:, None], 0.1, 0.0) * np.ones((1, 2))
    (seconds, leap, foot_leap), = cov.flights(low.min(axis=-1), root, FPS, feet, low)
    assert seconds == pytest.approx(0.4) and leap == pytest.approx(2.0 * 13 / FPS)
    assert foot_leap == pytest.approx(leap - 0.4)


def test_low_floating_feet_and_one_foot_up_are_no_flight():
    t = np.arange(round(1.4 * FPS) + 1)
    floating = np.where((t > 10) & (t < 30), 0.04, 0.0)[:, None] * np.ones((1, 2))  # above 3 cm, never above 5 cm
    assert summary(trajectory(1.4, velocity=(1.0, 0.0), foot_z=floating))["flight"]["count"] == 0
    one_up = np.stack([np.where((t > 10) & (t < 30), 0.3, 0.0), np.zeros(len(t))], axis=-1)
    assert summary(trajectory(1.4, velocity=(1.0, 0.0), foot_z=one_up))["flight"]["count"] == 0


def test_flight_cut_by_the_clip_end_is_left_out():
    air = np.arange(round(1.0 * FPS) + 1) > 20
    assert len(cov.flights(np.where(air, 0.2, 0.0), np.zeros((len(air), 3)), FPS)) == 0


def test_standing_and_hand_envelope():
    hands = ((0.3, -0.2, 1.0), (0.25, 0.15, 0.9))
    s = summary(trajectory(1.5, yaw=np.pi / 2, hands_h=hands))
    assert s["standing_seconds"] == pytest.approx(1.5)
    assert s["speed"]["max_planar"] == 0.0
    right, left = s["hands_standing"]["right"], s["hands_standing"]["left"]
    assert right["min"] == pytest.approx([0.3, -0.2, 1.0]) and right["max"] == pytest.approx([0.3, -0.2, 1.0])
    assert left["min"] == pytest.approx([0.25, 0.15, 0.9])
    # one point covers the few cell centres within 10 cm of the 30 x 30 x 29 cells
    assert 0 < right["coverage"]["0.1"] < 0.002


def test_walking_is_not_standing_nor_a_crouch_on_the_floor():
    assert summary(trajectory(1.0, velocity=(0.5, 0.0)))["standing_seconds"] == 0.0
    feet_up = np.full((31, 2), 0.2)  # still, but a foot is not on the ground
    assert summary(trajectory(1.0, foot_z=feet_up))["standing_seconds"] == 0.0


def test_turn_on_the_spot():
    s = summary(trajectory(4.0, yaw=3.0, yaw_rate=1.5))  # wraps past pi
    assert s["turning"]["max_yaw_rate"] == pytest.approx(1.5)
    assert s["turning"]["seconds_above"] == pytest.approx(4.0)
    assert s["turning"]["seconds_on_the_spot"] == pytest.approx(4.0)
    slow = summary(trajectory(2.0, velocity=(1.0, 0.0), yaw_rate=0.5))["turning"]
    assert slow["seconds_above"] == 0.0 and slow["max_yaw_rate"] == pytest.approx(0.5)


def test_upside_down_frames_have_no_heading():
    # a root rotated by pi about x: its x axis still lies on the ground, but it is upside down
    q = np.tile([0.0, 1.0, 0.0, 0.0], (5, 1))
    _, ok = cov.heading_yaw(q)
    assert not ok.any()
    assert cov.heading_yaw(yaw_quat(np.zeros(5)))[1].all()


def test_reach_coverage_counts_cells_near_points():
    lo, hi = (0.0, 0.0, 0.0), (1.0, 1.0, 1.0)
    assert cov.reach_coverage(np.zeros((0, 3)), lo, hi, 0.1) == 0.0
    grid = np.stack(np.meshgrid(*[np.arange(0.025, 1.0, 0.05)] * 3, indexing="ij"), axis=-1).reshape(-1, 3)
    assert cov.reach_coverage(grid, lo, hi, 0.01) == 1.0
    # a point at a cell centre with radius 0.06 covers it and its 6 face neighbours: 7 of 8000 cells
    assert cov.reach_coverage(np.array([[0.525, 0.525, 0.525]]), lo, hi, 0.06) == pytest.approx(7 / 8000)
    assert cov.reach_coverage(np.array([[5.0, 5.0, 5.0]]), lo, hi, 0.1) == 0.0  # outside the box


def test_geom_lowest_point_of_a_box_foot(character):
    m = character.model()
    geoms = cov.character_geoms(m)
    foot = character.body_index("right_foot")
    g = np.flatnonzero(geoms.body == foot)
    T, B = 1, character.num_bodies
    pos, quat = np.zeros((T, B, 3)), np.tile([1.0, 0.0, 0.0, 0.0], (T, B, 1))
    low = cov.geom_lowest_z(pos, quat, geoms)[0, g]
    # the MJCF's foot box: half-size z 0.0275 at z offset -0.0225
    assert low == pytest.approx([-0.0225 - 0.0275])


def test_real_clips(character, deepmimic_dir, tmp_path):
    """Through the command line: the walk goes forward at about 1 m/s and never backward; the
    jump flies; the kick strikes."""
    from tasktokens.cli.main import main

    clips = deepmimic_dir / "clips"
    out = tmp_path / "coverage.json"
    main(["motion", "coverage", *(str(clips / f"humanoid3d_{n}.txt") for n in ("walk", "jump", "kick")), "--json", str(out)])
    report = json.loads(out.read_text())
    assert report["clips"] == 3 and set(report["skills"]) == {"walk", "jump", "kick"}
    walk = report["skills"]["walk"]
    assert walk["seconds"] == pytest.approx(1.267, abs=1e-3)
    assert 0.9 < walk["speed"]["max_forward"] < 1.5
    assert walk["seconds_backward"] == 0.0 and walk["seconds_sideways"] == 0.0
    assert walk["seconds_by_facing_motion_angle"]["0-30"] == pytest.approx(walk["seconds"])
    assert walk["flight"]["count"] == 0 and walk["standing_seconds"] == 0.0
    jump = report["skills"]["jump"]["flight"]
    assert 0.4 < jump["longest_seconds"] < 0.8 and 0.5 < jump["longest_leap_m"] < jump["longest_foot_leap_m"] < 1.5
    tasks = report["tasks"]
    assert tasks["strike"]["skills"] == {"kick": pytest.approx(1.533, abs=1e-3)}
    assert tasks["long_jump"]["longest_foot_leap_skill"] == "jump" and tasks["long_jump"]["enough"] is False
    assert set(tasks) == {"direction", "steering", "reach", "strike", "long_jump"}
    assert report["seconds"] == pytest.approx(sum(s["seconds"] for s in report["skills"].values()), abs=1e-2)
