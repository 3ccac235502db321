"""Tracking task: reward terms at hand-made states, termination, sampling, fall rule."""

import dataclasses
import math

import pytest
import torch

from tasktokens import rotations as rot
from tasktokens.character import HUMANOID3D
from tasktokens.motion.motion_lib import MotionLib, MotionState, data_root
from tasktokens.tasks import get_task
from tasktokens.tasks.tracking import (
    TrackingConfig,
    TrackingEnv,
    TrackingRewardWeights,
    tracking_reward,
    unexpected_ground_contact,
)

CLIPS = data_root() / "motions" / "deepmimic" / "clips"


@pytest.fixture(scope="module")
def lib():
    return MotionLib.from_paths([CLIPS / "humanoid3d_walk.txt", CLIPS / "humanoid3d_run.txt"], HUMANOID3D)


def _ref(lib, n=3):
    return lib.state(torch.zeros(n, dtype=torch.long), torch.linspace(0.1, 0.6, n))


def _cur(ref: MotionState):
    return (ref.body_pos.clone(), ref.body_quat.clone(), ref.body_lin_vel.clone(), ref.body_ang_vel.clone())


def test_perfect_tracking_gives_the_maximum(lib):
    ref, w = _ref(lib), TrackingRewardWeights()
    reward, terms = tracking_reward(_cur(ref), ref, torch.zeros(3), w)
    assert torch.allclose(reward, torch.full((3,), 1.2), atol=1e-5)
    reward_p, _ = tracking_reward(_cur(ref), ref, torch.full((3,), 100.0), w)
    assert torch.allclose(reward_p, torch.full((3,), 1.2 - 100.0 * w.power), atol=1e-5)


def test_known_position_offset_gives_hand_computed_value(lib):
    ref, w = _ref(lib), TrackingRewardWeights()
    pos, quat, lin, ang = _cur(ref)
    pos[..., 0] += 0.1  # every body 10 cm along x: height unchanged
    reward, terms = tracking_reward((pos, quat, lin, ang), ref, torch.zeros(3), w)
    expected = 0.5 * math.exp(-100 * 0.01) + 0.3 + 0.1 + 0.1 + 0.2
    assert torch.allclose(reward, torch.full((3,), expected), atol=1e-5)
    assert torch.allclose(terms["pos"], torch.full((3,), math.exp(-1.0)), atol=1e-5)


def test_known_rotation_and_height_offsets(lib):
    ref, w = _ref(lib), TrackingRewardWeights()
    pos, quat, lin, ang = _cur(ref)
    turn = rot.quat_from_yaw(torch.tensor(0.2)).expand_as(quat)
    quat = rot.quat_mul(turn, quat)  # every body turned 0.2 rad
    _, terms = tracking_reward((pos, quat, lin, ang), ref, torch.zeros(3), w)
    assert torch.allclose(terms["rot"], torch.full((3,), math.exp(-10 * 0.04)), atol=1e-4)
    pos2 = pos.clone()
    pos2[:, 0, 2] += 0.05  # only the root 5 cm higher: height and position terms
    _, terms2 = tracking_reward((pos2, ref.body_quat, lin, ang), ref, torch.zeros(3), w)
    assert torch.allclose(terms2["height"], torch.full((3,), math.exp(-100 * 0.0025)), atol=1e-5)
    assert torch.allclose(terms2["pos"], torch.full((3,), math.exp(-100 * 0.0025 / 15)), atol=1e-5)


def test_unexpected_contact_rule():
    allowed = torch.zeros(15, dtype=torch.bool)
    allowed[[11, 14]] = True
    contacts = torch.zeros(3, 15, dtype=torch.bool)
    heights = torch.full((3, 15), 0.9)
    contacts[0, 11] = True  # a foot: fine
    contacts[1, 0] = True  # pelvis on the ground while the reference pelvis is up: fall
    contacts[2, 5] = True  # a hand on the ground where the reference hand is too (crawl)
    heights[2, 5] = 0.05
    assert unexpected_ground_contact(contacts, heights, allowed).tolist() == [False, True, False]


def test_task_is_registered():
    spec = get_task("tracking")
    assert spec.env_cls is TrackingEnv and spec.config_cls is TrackingConfig


def test_drift_terminates_and_clip_end_times_out(lib):
    env = TrackingEnv(TrackingConfig(num_envs=4, num_threads=1), motion_lib=lib)
    env.start_clips(torch.arange(4), torch.zeros(4, dtype=torch.long), torch.full((4,), 0.2))
    qpos = env.sim.qpos.clone()
    qpos[1, 0] += 1.0  # env 1 a metre away from its reference (termination at 0.5 m)
    env.sim.reset(torch.tensor([1]), qpos[1:2], env.sim.qvel[1:2].clone())
    _, reward, done, extras = env.step(torch.zeros(4, env.num_actions))
    assert done[1] and not extras["time_outs"][1]
    assert not done[0] and not done[2]
    assert reward[1] < reward[0]


def test_time_out_at_episode_length(lib):
    cfg = TrackingConfig(num_envs=2, num_threads=1, episode_seconds=0.2, termination_distance=1e9, fall_termination=False)
    env = TrackingEnv(cfg, motion_lib=lib)
    env.start_clips(torch.arange(2), torch.zeros(2, dtype=torch.long), torch.zeros(2))
    outs = [env.step(torch.zeros(2, env.num_actions))[3]["time_outs"] for _ in range(env.max_episode_length)]
    assert env.max_episode_length == 6
    assert not any(o.any() for o in outs[:-1]) and outs[-1].all()


@pytest.mark.parametrize("loop_clips", [True, False])
def test_looping_clip_runs_past_its_end_unless_played_once(lib, loop_clips):
    cfg = TrackingConfig(num_envs=1, num_threads=1, termination_distance=1e9, fall_termination=False, loop_clips=loop_clips)
    env = TrackingEnv(cfg, motion_lib=lib)
    assert bool(lib.loop[0])  # the walk loops ("wrap")
    start = float(lib.duration[0]) - 2.5 * env.dt  # its last frame is reached during the 3rd step
    env.start_clips(torch.zeros(1, dtype=torch.long), torch.zeros(1, dtype=torch.long), torch.tensor([start]))
    outs = [bool(env.step(torch.zeros(1, env.num_actions))[3]["time_outs"][0]) for _ in range(3)]
    assert outs == [False, False, not loop_clips]


def test_failing_clips_are_sampled_more(lib):
    env = TrackingEnv(TrackingConfig(num_envs=2, num_threads=1), motion_lib=lib)
    env.fail_rate[:] = torch.tensor([0.0, 1.0])
    clips = lib.sample_clips(20000, env.sampling_weights(), torch.Generator().manual_seed(0))
    share_run = (clips == 1).float().mean().item()
    assert share_run == pytest.approx(1.2 / 1.4, abs=0.02)


def test_curriculum_fades_in_non_locomotion_clips():
    clips = data_root() / "motions" / "deepmimic" / "clips"
    lib = MotionLib.from_paths([clips / "humanoid3d_walk.txt", clips / "humanoid3d_kick.txt"], HUMANOID3D)
    cfg = TrackingConfig(num_envs=2, num_threads=1, curriculum_samples=1000, curriculum_start=0.05)
    env = TrackingEnv(cfg, motion_lib=lib)
    env.fail_rate[:] = 1.0
    env.samples = 0
    assert env.sampling_weights().tolist() == pytest.approx([1.2, 1.2 * 0.05])
    env.samples = 500
    assert env.sampling_weights().tolist() == pytest.approx([1.2, 0.6])
    env.samples = 5000
    assert env.sampling_weights().tolist() == pytest.approx([1.2, 1.2])


def test_balanced_skills_share_the_sampling_mass():
    """Walk, its mirror-free copy as a second walk clip, and a kick: balanced, the two walks share
    one skill's weight."""
    clips = data_root() / "motions" / "deepmimic" / "clips"
    files = [clips / "humanoid3d_walk.txt", clips / "humanoid3d_kick.txt"]
    lib = MotionLib.from_paths(files, HUMANOID3D)
    lib = MotionLib(HUMANOID3D, [lib.clips[0], dataclasses.replace(lib.clips[0], name="walk__second_walk"), lib.clips[1]])
    cfg = TrackingConfig(num_envs=2, num_threads=1, curriculum_samples=0, balance_skills=True)
    assert TrackingEnv(cfg, motion_lib=lib).sampling_weights().tolist() == pytest.approx([0.1, 0.1, 0.2])
    cfg.balance_skills = False
    assert TrackingEnv(cfg, motion_lib=lib).sampling_weights().tolist() == pytest.approx([0.2, 0.2, 0.2])


@pytest.mark.parametrize("fall_termination", [True, False])
def test_a_fall_terminates_when_enabled(lib, fall_termination):
    cfg = TrackingConfig(num_envs=2, num_threads=1, termination_distance=1e9, fall_termination=fall_termination)
    env = TrackingEnv(cfg, motion_lib=lib)
    env.start_clips(torch.arange(2), torch.zeros(2, dtype=torch.long), torch.full((2,), 0.2))
    qpos, qvel = env.sim.qpos.clone(), torch.zeros_like(env.sim.qvel)
    qpos[1, 2] = 0.12  # env 1 lying on its back: pelvis and torso on the floor
    qpos[1, 3:7] = torch.tensor([0.7071068, 0.0, -0.7071068, 0.0], dtype=qpos.dtype)
    env.sim.reset(torch.tensor([1]), qpos[1:2], qvel[1:2])
    _, _, done, extras = env.step(torch.zeros(2, env.num_actions))
    assert extras["fall"].tolist() == [False, True]
    assert done.tolist() == [False, fall_termination]


def test_skill_weights_scale_a_skills_clips_and_refuse_unknown_skills():
    """On top of balancing: the kick clip gets 3x its balanced weight; a skill no clip has, or a
    factor of 0, is refused naming it; the distillation's flag parses into the same dict."""
    clips = data_root() / "motions" / "deepmimic" / "clips"
    lib = MotionLib.from_paths([clips / "humanoid3d_walk.txt", clips / "humanoid3d_kick.txt"], HUMANOID3D)
    lib = MotionLib(HUMANOID3D, [lib.clips[0], dataclasses.replace(lib.clips[0], name="walk__second_walk"), lib.clips[1]])
    cfg = TrackingConfig(num_envs=2, num_threads=1, curriculum_samples=0, balance_skills=True, skill_weights={"kick": 3.0})
    assert TrackingEnv(cfg, motion_lib=lib).sampling_weights().tolist() == pytest.approx([0.1, 0.1, 0.6])
    with pytest.raises(ValueError, match=r"\['jump'\], which no clip has; the clips' skills: \['kick', 'walk'\]"):
        TrackingEnv(dataclasses.replace(cfg, skill_weights={"jump": 2.0}), motion_lib=lib)
    with pytest.raises(ValueError, match="must be positive"):
        TrackingEnv(dataclasses.replace(cfg, skill_weights={"kick": 0.0}), motion_lib=lib)
    import tyro

    from tasktokens.train.distill import DistillConfig

    parsed = tyro.cli(DistillConfig, args=["--skill-weights", "walk_sideways", "4", "walk_backward", "2.5"])
    assert parsed.skill_weights == {"walk_sideways": 4.0, "walk_backward": 2.5}
