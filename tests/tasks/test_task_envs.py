"""Task Tokens environments: registration, observations in the heading frame, commands, rewards
from the simulator state, falls and time-outs."""

import math

import pytest
import torch

from tasktokens import rotations as rot
from tasktokens.character import HUMANOID3D
from tasktokens.motion.motion_lib import MotionLib, data_root
from tasktokens.tasks import get_task
from tasktokens.tasks.base import TaskEnvConfig
from tasktokens.tasks.direction import DirectionConfig, next_yaw_speed
from tasktokens.tasks.reach import ReachConfig
from tasktokens.tasks.rewards import direction_reward, reach_reward, steering_reward
from tasktokens.tasks.steering import SteeringConfig

WALK = data_root() / "motions" / "deepmimic" / "clips" / "humanoid3d_walk.txt"


@pytest.fixture(scope="module")
def lib():
    return MotionLib.from_paths([WALK], HUMANOID3D)


def _env(name, lib, n=4, **kw):
    spec = get_task(name)
    cfg = spec.config_cls(env=TaskEnvConfig(num_envs=n, num_threads=1, **kw))
    return spec.env_cls(cfg, motion_lib=lib)


@pytest.mark.parametrize("name,cfg_cls,num_obs", [("direction", DirectionConfig, 3), ("steering", SteeringConfig, 5), ("reach", ReachConfig, 3)])
def test_registered_with_observation_sizes(lib, name, cfg_cls, num_obs):
    assert get_task(name).config_cls is cfg_cls
    env = _env(name, lib)
    obs = env.get_observations()
    assert obs["task"].shape == (4, num_obs) and obs["policy"].shape == (4, env.env.num_proprio)
    obs, reward, done, extras = env.step(torch.zeros(4, env.num_actions))
    assert reward.shape == (4,) and torch.isfinite(obs["task"]).all()


def test_direction_observation_is_in_the_heading_frame(lib):
    env = _env("direction", lib)
    yaw = rot.heading_angle(env.root_quat)
    env.target_yaw[:] = yaw + math.pi / 2  # 90 degrees to the left of where each root faces
    env.target_speed[:] = 2.0
    obs = env.task_obs()
    assert torch.allclose(obs, torch.tensor([[0.0, 1.0, 2.0]]).expand(4, 3), atol=1e-5)


def test_rewards_are_computed_from_the_simulator_state(lib):
    env = _env("steering", lib)
    env.sim.step(env.sim.pd_targets(torch.zeros(4, env.num_actions)))
    expected = steering_reward(env.root_velocity(), env.root_facing(), env.target_dir, env.target_speed, env.target_facing)
    assert torch.allclose(env.task_reward(), expected)
    d = _env("direction", lib)
    assert torch.allclose(d.task_reward(), direction_reward(d.root_velocity(), d.target_dir, d.target_speed))
    r = _env("reach", lib)
    assert torch.allclose(r.task_reward(), reach_reward(r.sim.body_pos[:, r.right_hand].float(), r.target))


def test_command_schedule_statistics():
    cfg = DirectionConfig()
    gen = torch.Generator().manual_seed(0)
    n = 20000
    yaw, speed = torch.zeros(n), torch.full((n,), 2.0)
    y, s = next_yaw_speed(yaw, speed, torch.zeros(n, dtype=torch.bool), cfg, gen)
    assert (s == 0).float().mean().item() == pytest.approx(cfg.stop_prob, abs=0.01)
    moving = s > 0
    assert s[moving].min() >= 1.0 and s[moving].max() <= 3.5
    small_turn = y.abs() <= 1.57
    assert small_turn.float().mean().item() == pytest.approx(0.8 + 0.2 * 0.5, abs=0.02)  # perturbations, plus random ones that land there
    y, s = next_yaw_speed(yaw, speed, torch.ones(n, dtype=torch.bool), cfg, gen)  # fresh: fully random
    assert y.min() < -3.0 and y.max() > 3.0


def test_reach_targets_are_around_the_root(lib):
    env = _env("reach", lib, n=64)
    offset = env.target - env.root_pos
    assert offset[:, :2].abs().max() <= 0.75 + 1e-6
    assert env.target[:, 2].min() >= 0.05 and env.target[:, 2].max() <= 1.5
    assert ((env.hold_steps >= 90) & (env.hold_steps <= 120)).all()


def test_fall_ends_the_episode_and_counts_a_failed_segment(lib):
    env = _env("direction", lib, n=2)
    qpos, qvel = env.sim.qpos.clone(), torch.zeros_like(env.sim.qvel)
    qpos[1, 2] = 0.12
    qpos[1, 3:7] = torch.tensor([0.7071068, 0.0, -0.7071068, 0.0], dtype=qpos.dtype)  # lying on its back
    env.sim.reset(torch.tensor([1]), qpos[1:2], qvel[1:2])
    _, _, done, extras = env.step(torch.zeros(2, env.num_actions))
    assert extras["fall"].tolist() == [False, True] and done[1] and not extras["time_outs"][1]
    assert env.segments.finished == 1 and env.segments.succeeded == 0
    assert env.episode_length_buf[1] == 0  # reset
    assert extras["segments"].tolist() == [1, 0]  # what the training progress counts as success


def test_each_step_reports_the_segments_it_judged(lib):
    env = _env("strike", lib, n=3, episode_steps=20)
    env.segments.ok[0] = True  # as if environment 0 had toppled its box: its segment succeeds
    reported = torch.zeros(2, dtype=torch.long)
    for _ in range(20):
        _, _, _, extras = env.step(torch.zeros(3, env.num_actions))
        reported += extras["segments"]
    assert reported.tolist() == [env.segments.finished, env.segments.succeeded]
    assert env.segments.finished >= 3 and env.segments.succeeded >= 1  # every episode ended (time-out or fall)


def test_time_out_after_episode_steps(lib):
    env = _env("reach", lib, n=1, episode_steps=3)
    outs = []
    for _ in range(3):
        _, _, done, extras = env.step(torch.zeros(1, env.num_actions))
        outs.append(bool(extras["time_outs"][0] or extras["fall"][0]))
    assert outs[-1] and not any(outs[:-1])


def test_strike_box_reward_and_topple(lib):
    from tasktokens.tasks.strike import TOPPLE_COS, strike_reward

    env = _env("strike", lib, n=3)
    assert env.task_obs().shape == (3, 15)
    dist = (env.box_pos()[:, :2] - env.root_pos[:, :2]).norm(dim=-1)
    assert ((dist >= 0.5 - 1e-4) & (dist <= 10.0 + 1e-4)).all()
    assert torch.allclose(env.box_up_z(), torch.ones(3)) and not env.toppled().any()
    # by hand: upright box, running at 1 m/s straight at it -> 0.4; toppled -> 1
    r = strike_reward(torch.tensor([1.0, 1.0, 0.0]), torch.tensor([[1.0, 0, 0], [0.5, 0, 0], [0, 0, 0]]),
                      torch.tensor([[1.0, 0.0]] * 3), torch.tensor([False, False, True]))
    assert torch.allclose(r, torch.tensor([0.4, 0.4 * math.exp(-4 * 0.25), 1.0]))
    # lay the box down: toppled, and the reward is 1
    q = env.sim.qpos.clone()
    q[0, env._box_q + 3 : env._box_q + 7] = torch.tensor([0.7071068, 0.7071068, 0.0, 0.0], dtype=q.dtype)
    q[0, env._box_q + 2] = 0.2
    env.sim.reset(torch.tensor([0]), q[:1], env.sim.qvel[:1].clone())
    assert env.toppled()[0] and env.box_up_z()[0] < TOPPLE_COS and env.task_reward()[0] == 1.0


def test_strike_forbidden_contact_ends_the_episode(lib):
    env = _env("strike", lib, n=1)
    q = env.sim.qpos.clone()
    q[0, env._box_q : env._box_q + 3] = env.sim.body_pos[0, env.character.body_index("torso")] + torch.tensor([0.25, 0.0, 0.0], dtype=q.dtype)
    q[0, env._box_q + 2] = 0.9  # a standing box against the chest
    env.sim.reset(torch.tensor([0]), q, torch.zeros_like(env.sim.qvel))
    _, _, done, extras = env.step(torch.zeros(1, env.num_actions))
    assert done[0] and extras["fall"][0]


def test_long_jump_starts_facing_x_and_rewards_by_hand(lib):
    from tasktokens.tasks.long_jump import long_jump_step_reward

    env = _env("long_jump", lib, n=3)
    assert torch.allclose(env.root_facing(), torch.tensor([[1.0, 0.0]] * 3), atol=1e-4)
    obs = env.task_obs()
    assert torch.allclose(obs[:, 0], torch.full((3,), 20.0), atol=0.05) and torch.allclose(obs[:, 2], torch.full((3,), 30.0), atol=0.05)
    assert obs[:, 3].sum() == 0
    r = long_jump_step_reward(torch.tensor([10.0, 10.0]), torch.tensor([9.9, 10.2]), torch.tensor([3.0, 3.0]), torch.tensor([0.9, 0.9]),
                              torch.tensor([False, True]), torch.tensor([0.0, 2.0]))
    assert torch.allclose(r, torch.tensor([0.1 + 0.03, 0.0 + 0.03 + 0.09 + 60.0]), atol=1e-5)


def test_long_jump_prior_reads_the_env_observation_and_runs_down_the_corridor(lib):
    """At the start (x = 0 on the centre line, facing +x) the prior asks for its speed straight
    along +x; it sees only the observation, so this checks the two agree on the layout."""
    env = _env("long_jump", lib, n=2)
    goals = env.prior_fn((1, 2, 4), 7)(env.get_observations()["policy"], env.task_obs())
    root = goals.frames[:, :, 6]
    assert torch.allclose(root[..., :2], torch.tensor([env.task_cfg.prior_speed, 0.0]).expand(2, 4, 2), atol=0.05)
    assert goals.skill is None


def test_long_jump_measures_a_flight_over_the_line(lib):
    """Hand-made foot contacts: a running stride before the line, then take-off at 19.8 m and
    landing at 21.9 m."""
    env = _env("long_jump", lib, n=1)
    both, none = torch.tensor([[True, True]]), torch.tensor([[False, False]])
    env.update_jump(both, torch.tensor([[15.0, 15.3]]))
    env.update_jump(none, torch.tensor([[15.8, 16.0]]))  # a running flight phase
    env.update_jump(both, torch.tensor([[16.5, 16.2]]))  # lands before the line: no jump
    assert not env.landed[0] and env.jump_length[0] == 0
    env.update_jump(torch.tensor([[True, False]]), torch.tensor([[19.8, 19.5]]))
    env.update_jump(none, torch.tensor([[20.5, 20.4]]))
    assert env.takeoff_ok[0] and not env.landed[0]
    env.update_jump(torch.tensor([[False, True]]), torch.tensor([[22.0, 21.9]]))
    assert env.landed[0] and env.jump_length[0] == pytest.approx(1.9, abs=1e-5)
    assert env.step_ok()[0]


def test_long_jump_foot_fault_gives_no_length(lib):
    env = _env("long_jump", lib, n=1)
    env.update_jump(torch.tensor([[True, False]]), torch.tensor([[20.3, 19.9]]))  # last contact past the line
    env.update_jump(torch.tensor([[False, False]]), torch.tensor([[20.8, 20.6]]))
    env.update_jump(torch.tensor([[True, True]]), torch.tensor([[22.5, 22.4]]))
    assert env.landed[0] and env.jump_length[0] == 0.0


def test_physics_scales_reach_the_simulator(lib):
    env = _env("direction", lib, n=2, gravity_scale=0.5, friction_scale=2.0, mass_scale=1.5)
    g = env.sim.batch.expanded("opt.gravity")
    assert g is not None and torch.allclose(torch.as_tensor(g[:, 2]), torch.full((2,), -9.81 * 0.5, dtype=torch.float64))
    fr = torch.as_tensor(env.sim.batch.expanded("geom_friction"))
    assert torch.allclose(fr[:, 0, 0], torch.full((2,), 2.0 * env.sim.model.geom_friction[0, 0], dtype=torch.float64))
    mass = torch.as_tensor(env.sim.batch.expanded("body_mass"))
    assert torch.allclose(mass[:, 1:].sum(-1), torch.full((2,), 45.0 * 1.5, dtype=torch.float64))


def test_direction_success_judges_the_windowed_root_velocity(lib):
    """The step rule reads the root velocity averaged over speed_window_steps steps, restarted at a
    reset; with a window of 1 it is the paper's per-step velocity."""
    env = _env("direction", lib, speed_window_steps=3)
    assert torch.allclose(env.root_velocity_window(), env.root_velocity())  # filled at the reset
    vels = []
    for _ in range(4):
        env.step(torch.zeros(4, env.num_actions))
        vels.append(env.root_velocity())
    assert torch.allclose(env.root_velocity_window(), torch.stack(vels[-3:]).mean(0), atol=1e-6)
    v = env.root_velocity_window()
    env.target_yaw[:] = torch.atan2(v[:, 1], v[:, 0])
    env.target_speed[:] = v[:, :2].norm(dim=-1).clamp_min(0.5)  # exactly the windowed speed (> floor)
    fast = v[:, :2].norm(dim=-1) > 0.5
    assert fast.any() and env.step_ok()[fast].all()
    env.target_speed[:] = 3.0 * v[:, :2].norm(dim=-1) + 1.0
    assert not env.step_ok().any()
    per_step = _env("direction", lib, speed_window_steps=1)
    per_step.step(torch.zeros(4, per_step.num_actions))
    assert torch.allclose(per_step.root_velocity_window(), per_step.root_velocity())


@pytest.mark.warp
@pytest.mark.parametrize("name", ["direction", "strike"])
def test_a_task_runs_unchanged_on_mujoco_warp(lib, name):
    """The same task, seed and actions on both physics backends (strike: its box scene and its
    box contact sensors): observations and rewards agree over 8 control steps."""
    pytest.importorskip("mujoco_warp", reason="the warp extra is not installed")
    envs = [_env(name, lib, n=2, sim_backend=b, warp_device="cpu") for b in ("mujoco", "warp")]
    actions = torch.linspace(-0.2, 0.2, envs[0].num_actions).expand(2, -1)
    for _ in range(8):
        (obs_m, rew_m, done_m, _), (obs_w, rew_w, done_w, _) = (env.step(actions) for env in envs)
        torch.testing.assert_close(obs_w["policy"], obs_m["policy"], atol=2e-3, rtol=0)
        torch.testing.assert_close(obs_w["task"], obs_m["task"], atol=2e-3, rtol=0)
        torch.testing.assert_close(rew_w, rew_m, atol=2e-3, rtol=0)
        assert torch.equal(done_w, done_m)


def test_unknown_task_lists_the_adaptable_tasks_only():
    from tasktokens.tasks import get_task

    with pytest.raises(KeyError) as err:
        get_task("nope")
    message = err.value.args[0]
    assert "direction" in message and "long_jump" in message and "tracking" not in message


def test_a_task_without_a_prior_says_which_methods_apply():
    from tasktokens.tasks.base import TaskEnv

    class NoPrior(TaskEnv):
        pass

    with pytest.raises(NotImplementedError, match="no hand-written prior.*--method task_tokens"):
        NoPrior.prior_fn(NoPrior.__new__(NoPrior), (1,), 7)
