"""The clip gait prior (tasks/clip_prior.py): goal frames turned about the root, the goal table of
a clip, motion matching, the speed asked for, and its place in the direction prior."""

from __future__ import annotations

import math

import pytest
import torch

from tasktokens import rotations as rot
from tasktokens.character import HUMANOID3D
from tasktokens.envs.goals import GOAL_FEATURES, goal_frame_from_reference
from tasktokens.envs.observations import compute_proprioception
from tasktokens.motion.motion_lib import MotionLib, data_root
from tasktokens.tasks import clip_prior as cp
from tasktokens.tasks.priors import direction_prior, goal_times

JOG = data_root() / "motions" / "deepmimic" / "clips" / "humanoid3d_jog.txt"
DT = 1.0 / 30
NEAR = (1, 2, 4)
ENTITIES = len(HUMANOID3D.conditionable_bodies) + 1


@pytest.fixture(scope="module")
def gait() -> cp.ClipGait:
    """Every calibrated rate, feedback SPEED_FEEDBACK."""
    return cp.ClipGait.from_data(HUMANOID3D, goal_times(NEAR, DT), DT, cp.GaitSpec(cp.JOG_CLIP, cp.GAIT_RATES, cp.GAIT_SPEEDS))


@pytest.fixture(scope="module")
def lib() -> MotionLib:
    return MotionLib.from_paths([JOG], HUMANOID3D)


def test_turning_a_goal_frame_by_hand():
    frame = torch.zeros(1, 1, 2, GOAL_FEATURES)
    frame[0, 0, 0] = torch.tensor([1.0, 0.0, 0.5, 1.0, 0.0, 0.0, 0.0, 0.0, 1.0])  # body 1 m ahead, upright, facing x
    frame[0, 0, 1, :5] = torch.tensor([2.0, 0.0, 0.9, 1.0, 0.0])  # root: 2 m/s along x, height 0.9, no heading change
    out = cp.turn_goal_frames(frame, torch.tensor([[math.pi / 2]]))
    expected_body = torch.tensor([0.0, 1.0, 0.5, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0])
    expected_root = torch.tensor([0.0, 2.0, 0.9, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0])
    torch.testing.assert_close(out[0, 0, 0], expected_body, atol=1e-6, rtol=0)
    torch.testing.assert_close(out[0, 0, 1], expected_root, atol=1e-6, rtol=0)


def test_turning_equals_goals_of_a_reference_turned_about_the_root(lib):
    """turn_goal_frames(goals, a) = the goals of the same reference rotated by a about the
    character's root (vertical axis)."""
    body_idx = torch.tensor(HUMANOID3D.body_indices(HUMANOID3D.conditionable_bodies))
    cur = lib.state(torch.zeros(3, dtype=torch.long), torch.tensor([0.1, 0.3, 0.5]))
    ref = lib.state(torch.zeros(3, dtype=torch.long), torch.tensor([0.4, 0.6, 0.9]))
    a = torch.tensor([0.7, -1.2, 2.5])
    q = rot.quat_from_yaw(a)  # (3, 4)
    root = cur.body_pos[:, :1]
    b = ref.body_pos.shape[1]
    turned_pos = root + rot.quat_rotate(q[:, None].expand(-1, b, -1), ref.body_pos - root)
    turned_quat = rot.quat_mul(q[:, None].expand(-1, b, -1), ref.body_quat)
    turned_vel = rot.quat_rotate(q, ref.body_lin_vel[:, 0])
    direct = goal_frame_from_reference(cur.body_pos[:, 0], cur.body_quat[:, 0], turned_pos, turned_quat, turned_vel, body_idx)
    plain = goal_frame_from_reference(cur.body_pos[:, 0], cur.body_quat[:, 0], ref.body_pos, ref.body_quat, ref.body_lin_vel[:, 0], body_idx)
    out = cp.turn_goal_frames(plain[:, None], a[:, None])[:, 0]
    torch.testing.assert_close(out, direct, atol=1e-5, rtol=0)


LIN = 1 + 3 * 14 + 6 * 15
"""Where the root's linear velocity _h sits in the proprioception (15 bodies)."""


def _at_frame(lib, i: int):
    """Proprioception (1, P) of a character exactly at jog frame i, the unit direction (1, 2) _h
    it travels in and its speed along it."""
    cur = lib.state(torch.zeros(1, dtype=torch.long), torch.tensor([i * DT]))
    proprio = compute_proprioception(cur.body_pos, cur.body_quat, cur.body_lin_vel, cur.body_ang_vel)
    vel_h = proprio[:, LIN : LIN + 2]
    return proprio, vel_h / vel_h.norm(dim=-1, keepdim=True), float(vel_h.norm())


def test_a_character_at_a_clip_frame_gets_that_frames_goals(gait, lib):
    """Exactly at jog frame i, commanded along its own travel at the speed v for which v +
    SPEED_FEEDBACK (v - s) is rate k's calibrated speed: the goals are frame i's at rate k, turned
    toward the command, every channel visible."""
    i, k = 7, 3
    proprio, direction, s = _at_frame(lib, i)
    v = (cp.GAIT_SPEEDS[k] + cp.SPEED_FEEDBACK * s) / (1 + cp.SPEED_FEEDBACK)
    frames = gait.goal_frames(proprio, direction, torch.tensor([v]))
    assert frames.shape == (1, len(NEAR) + 1, ENTITIES, GOAL_FEATURES + 2) and bool((frames[..., -2:] == 1).all())
    times = goal_times(NEAR, DT)
    body_idx = torch.tensor(HUMANOID3D.body_indices(HUMANOID3D.conditionable_bodies))
    table = cp.clip_goal_table(lib, 0, times * cp.GAIT_RATES[k], DT, body_idx)
    angle = torch.clamp(torch.atan2(direction[:, 1], direction[:, 0])[:, None], -2.0 * times, 2.0 * times)  # TURN_RATE 2 rad/s
    expected = cp.turn_goal_frames(table.goals[i : i + 1], angle)
    torch.testing.assert_close(frames[..., :-2], expected, atol=1e-4, rtol=0)


def test_the_speed_asked_for_interpolates_and_grows_with_the_lag(gait, lib):
    """Between two calibrated speeds the goals interpolate linearly; for the same command, the
    slower the character already is, the further ahead the goals reach (SPEED_FEEDBACK)."""
    proprio, direction, s = _at_frame(lib, 12)
    fb = cp.SPEED_FEEDBACK

    def command(asked: float) -> torch.Tensor:  # the command whose asked speed is `asked`
        return torch.tensor([(asked + fb * s) / (1 + fb)])

    lo, hi = cp.GAIT_SPEEDS[2], cp.GAIT_SPEEDS[3]
    f_lo, f_hi, f_mid = (gait.goal_frames(proprio, direction, command(a)) for a in (lo, hi, (lo + hi) / 2))
    torch.testing.assert_close(f_mid, (f_lo + f_hi) / 2, atol=1e-5, rtol=0)
    pelvis_far = [float(gait.goal_frames(proprio, direction, torch.tensor([v]))[0, -1, 0, 0]) for v in (s, s + 0.3)]
    assert pelvis_far[1] > pelvis_far[0] + 0.05  # commanded 0.3 m/s above its speed: asked 0.6 more


def test_a_stronger_feedback_asks_what_a_weaker_one_asks_of_a_faster_command(gait, lib):
    """With feedback k the command v asks v + k (v - s): feedback 2 at v gives the goals feedback
    1 gives at v' = (3v - s) / 2 (both ask 3v - 2s), for a character at speed s."""
    proprio, direction, s = _at_frame(lib, 12)
    strong = cp.ClipGait.from_data(HUMANOID3D, goal_times(NEAR, DT), DT, cp.GaitSpec(cp.JOG_CLIP, cp.GAIT_RATES, cp.GAIT_SPEEDS, 2.0))
    v = s + 0.25  # asks s + 0.75 with feedback 2: between calibrated speeds, not clamped
    assert cp.GAIT_SPEEDS[0] < s + 0.75 < cp.GAIT_SPEEDS[-1]
    torch.testing.assert_close(strong.goal_frames(proprio, direction, torch.tensor([v])),
                               gait.goal_frames(proprio, direction, torch.tensor([(3 * v - s) / 2])), atol=1e-5, rtol=0)


def test_gait_options_pick_the_rates_up_to_the_top_one():
    legacy = cp.LEGACY_GAIT.spec()
    assert legacy.rates == (1.0, 1.2, 1.4, 1.6, 1.8, 2.0) and legacy.speeds[-1] == 3.61 and legacy.speed_feedback == 1.0
    fast = cp.GaitOptions(top_rate=2.8, speed_feedback=2.0).spec()
    assert fast.rates[-2:] == (2.4, 2.8) and len(fast.speeds) == 8 and fast.speed_feedback == 2.0
    assert cp.GaitOptions(top_rate=2.2).spec().rates[-1] == 2.0  # between rates: the one below
    with pytest.raises(ValueError, match="below the slowest"):
        cp.GaitOptions(top_rate=0.5).spec()


def test_the_top_rate_caps_what_a_far_behind_character_is_shown(lib):
    """A command far above the character's speed asks more than any calibrated speed: the legacy
    gait shows rate 2.0's goals, the fast one rate 2.8's (further ahead)."""
    proprio, direction, _ = _at_frame(lib, 12)
    times = goal_times(NEAR, DT)
    frames = {}
    for name, opts in (("legacy", cp.LEGACY_GAIT), ("fast", cp.GaitOptions(2.8, 2.0))):
        g = cp.ClipGait.from_data(HUMANOID3D, times, DT, opts.spec())
        frames[name] = g.goal_frames(proprio, direction, torch.tensor([3.5]))
    body_idx = torch.tensor(HUMANOID3D.body_indices(HUMANOID3D.conditionable_bodies))
    for name, rate in (("legacy", 2.0), ("fast", 2.8)):
        table = cp.clip_goal_table(lib, 0, times * rate, DT, body_idx)
        idx = torch.cdist(cp.match_features(proprio, HUMANOID3D.num_bodies), table.features).argmin(dim=-1)
        angle = torch.clamp(torch.atan2(direction[:, 1], direction[:, 0])[:, None], -2.0 * times, 2.0 * times)
        torch.testing.assert_close(frames[name][..., :-2], cp.turn_goal_frames(table.goals[idx], angle), atol=1e-4, rtol=0)
    assert float(frames["fast"][0, -1, 0, 0]) > float(frames["legacy"][0, -1, 0, 0]) + 0.1  # far pelvis goal further ahead


def test_direction_prior_uses_the_clip_gait_only_for_fast_commands(gait, lib):
    cur = lib.state(torch.zeros(2, dtype=torch.long), torch.tensor([0.1, 0.2]))
    proprio = compute_proprioception(cur.body_pos, cur.body_quat, cur.body_lin_vel, cur.body_ang_vel)
    task = torch.tensor([[1.0, 0.0, 1.5], [0.0, 1.0, 3.0]])  # slow ahead, fast to the left
    plain = direction_prior(NEAR, ENTITIES, DT)(proprio, task)
    mixed = direction_prior(NEAR, ENTITIES, DT, clip_gait=gait)(proprio, task)
    torch.testing.assert_close(mixed.frames[0], plain.frames[0])  # 1.5 m/s: the root goals
    assert bool((mixed.frames[1, ..., -2:] == 1).all())  # 3 m/s: every body, both channels
    assert not bool((plain.frames[1, :, :-1, -2:] == 1).any())  # root goals show no body
    # turning left: the far frame's pelvis goal lies to the left (+y) of the root
    assert float(mixed.frames[1, -1, 0, 1]) > 0.5


def test_priors_without_a_clip_gait_refuse_it():
    from tasktokens.tasks import get_task
    from tasktokens.tasks.base import TaskEnvConfig

    spec = get_task("reach")
    env = spec.env_cls(spec.config_cls(env=TaskEnvConfig(num_envs=1, num_threads=1)))
    with pytest.raises(ValueError, match="no clip gait"):
        env.prior_fn(NEAR, ENTITIES, (), clip_gait=cp.GaitOptions())


def test_steering_and_long_jump_priors_take_the_clip_gait(gait, lib):
    from tasktokens.tasks.priors import long_jump_prior, steering_prior

    cur = lib.state(torch.zeros(1, dtype=torch.long), torch.tensor([0.1]))
    proprio = compute_proprioception(cur.body_pos, cur.body_quat, cur.body_lin_vel, cur.body_ang_vel)
    steer = torch.tensor([[1.0, 0.0, 2.5, 0.0, 1.0]])  # 2.5 m/s ahead, facing left (the token's part)
    jump = torch.tensor([[15.0, 0.0, 25.0, 0.0]])  # line 15 m ahead on the corridor axis
    for goals in (steering_prior(NEAR, ENTITIES, DT, clip_gait=gait)(proprio, steer), long_jump_prior(NEAR, ENTITIES, DT, clip_gait=gait)(proprio, jump)):
        assert bool((goals.frames[..., -2:] == 1).all())
        assert float(goals.frames[0, -1, 0, 0]) > 1.0  # the far frame's pelvis goal is well ahead along +x


RUN = data_root() / "motions" / "deepmimic" / "clips" / "humanoid3d_run.txt"


def test_a_one_rate_gait_shows_that_rate_whatever_the_speed():
    """run_gait(r): a character at run frame i gets frame i's goals at rate r for any commanded
    speed (no interpolation, no speed feedback), straight ahead: no turn."""
    run = MotionLib.from_paths([RUN], HUMANOID3D)
    times = goal_times(NEAR, DT)
    gait = cp.ClipGait.from_data(HUMANOID3D, times, DT, cp.run_gait(2.5))
    i = 9
    cur = run.state(torch.zeros(1, dtype=torch.long), torch.tensor([i * DT]))
    proprio = compute_proprioception(cur.body_pos, cur.body_quat, cur.body_lin_vel, cur.body_ang_vel)
    body_idx = torch.tensor(HUMANOID3D.body_indices(HUMANOID3D.conditionable_bodies))
    expected = cp.clip_goal_table(run, 0, times * 2.5, DT, body_idx).goals[i : i + 1]
    ahead = torch.tensor([[1.0, 0.0]])
    for speed in (0.5, 3.0, 9.0):
        frames = gait.goal_frames(proprio, ahead, torch.tensor([speed]))
        torch.testing.assert_close(frames[..., :-2], expected, atol=1e-4, rtol=0)
    with pytest.raises(ValueError, match="one increasing calibrated speed per rate"):
        cp.ClipGait(run, 0, times, DT, body_idx, HUMANOID3D.num_bodies, rates=(1.0, 2.0), speeds=(3.0,))


def test_the_long_jump_prior_runs_on_the_run_clip_at_its_rate():
    """long_jump's --prior-clips shows the run clip at LongJumpConfig.prior_gait_rate (its flights
    are longer than the jog's): straight down the corridor, a character at run frame i gets the
    run table's frame i at that rate."""
    from tasktokens.tasks import get_task
    from tasktokens.tasks.base import TaskEnvConfig

    spec = get_task("long_jump")
    cfg = spec.config_cls(env=TaskEnvConfig(num_envs=1, num_threads=1))
    cfg.prior_gait_rate = 2.0
    env = spec.env_cls(cfg)
    prior = env.prior_fn(NEAR, ENTITIES, (), clip_gait=cp.GaitOptions())
    run = MotionLib.from_paths([RUN], HUMANOID3D)
    i = 4
    cur = run.state(torch.zeros(1, dtype=torch.long), torch.tensor([i * DT]))
    proprio = compute_proprioception(cur.body_pos, cur.body_quat, cur.body_lin_vel, cur.body_ang_vel)
    task = torch.tensor([[15.0, 0.0, 25.0, 0.0]])  # on the centre line, facing +x, line 15 m ahead
    body_idx = torch.tensor(HUMANOID3D.body_indices(HUMANOID3D.conditionable_bodies))
    times = goal_times(NEAR, DT)
    expected = cp.clip_goal_table(run, 0, times * 2.0, DT, body_idx).goals[i : i + 1]
    frames = prior(proprio, task).frames[..., :-2]
    torch.testing.assert_close(frames, expected, atol=1e-4, rtol=0)
    other_rate = cp.clip_goal_table(run, 0, times * 2.5, DT, body_idx).goals[i : i + 1]
    assert float((frames - other_rate).abs().max()) > 0.05  # the rate is the config's
