"""The task API a new task is written against (docs/new-task.md): a task without __init__, the
fall flags its reward reads, the prior's own observation that the token never sees, the near-frame
rule of priors, and the speed window reported only for the tasks that read it."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
import torch

from tasktokens.character import HUMANOID3D
from tasktokens.eval.export import ExportablePolicy
from tasktokens.eval.report_runs import same_success_rule
from tasktokens.eval.task import TaskEval, speed_window
from tasktokens.models.bfm import BFM, BFMConfig, Goals
from tasktokens.models.task_tokens import TaskEncoder, TaskTokenActor
from tasktokens.motion.motion_lib import MotionLib, data_root
from tasktokens.tasks import get_task
from tasktokens.tasks.base import TaskEnv, TaskEnvConfig
from tasktokens.tasks.goal_helpers import entity_frames, goal_row, root_height_goal
from tasktokens.tasks.priors import goal_times

WALK = data_root() / "motions" / "deepmimic" / "clips" / "humanoid3d_walk.txt"
SECRET = 7.25
"""A value only the prior may see."""


@dataclass
class ToyConfig:
    env: TaskEnvConfig = field(default_factory=TaskEnvConfig)
    command_steps: int = 50


class ToyEnv(TaskEnv):
    """No __init__: the base keeps the config before init_commands reads it."""

    num_task_obs = 2
    success_rule = 0.5

    def init_commands(self) -> None:
        self.steps_per_command = self.task_cfg.command_steps
        self.target = torch.zeros(self.num_envs, 2)

    def resample_commands(self, ids: torch.Tensor) -> None:
        self.target[ids] = torch.rand(ids.numel(), 2, generator=self.gen)

    def command_due(self) -> torch.Tensor:
        return self.command_age >= self.task_cfg.command_steps

    def task_obs(self) -> torch.Tensor:
        return self.target.clone()

    def prior_obs(self) -> torch.Tensor:
        return torch.cat([self.task_obs(), torch.full((self.num_envs, 1), SECRET)], dim=-1)

    def task_reward(self) -> torch.Tensor:
        return torch.where(self.fallen, 0.0, 1.0)

    def step_ok(self) -> torch.Tensor:
        return torch.ones(self.num_envs, dtype=torch.bool)


class LateConfigEnv(ToyEnv):
    """The old ordering trap: a TaskEnvConfig passed on without setting task_cfg first."""

    def __init__(self, cfg: ToyConfig, motion_lib=None):
        super().__init__(cfg.env, motion_lib)


@pytest.fixture(scope="module")
def lib():
    return MotionLib.from_paths([WALK], HUMANOID3D)


def _toy(lib, n=2, cls=ToyEnv):
    return cls(ToyConfig(env=TaskEnvConfig(num_envs=n, num_threads=1), command_steps=40), motion_lib=lib)


def _bfm():
    torch.manual_seed(0)
    cfg = BFMConfig(d_model=32, num_layers=2, num_heads=2, latent_dim=8, decoder_hidden=(64,), posterior_hidden=(64,))
    return BFM(cfg, 223, 7, 30, 28)


def test_a_task_without_init_gets_its_config_before_its_commands_are_drawn(lib):
    env = _toy(lib)
    assert env.task_cfg.command_steps == 40 and env.steps_per_command == 40 and env.cfg.num_envs == 2
    assert isinstance(env.segments.fraction, float) and env.segments.fraction == 0.5
    with pytest.raises(AttributeError, match=r"LateConfigEnv.task_cfg is not set: pass the task's config to TaskEnv.__init__"):
        _toy(lib, cls=LateConfigEnv)
    with pytest.raises(TypeError, match=r"with an `env: TaskEnvConfig` field"):
        ToyEnv(object(), motion_lib=lib)


def test_the_reward_reads_this_steps_fall_flags(lib):
    env = _toy(lib)
    qpos, qvel = env.character_state()
    qpos[0, 2] = 0.1  # environment 0: the pelvis in the floor, a fall at the next step
    env.start_from(torch.tensor([0]), qpos[:1], qvel[:1])
    _obs, reward, done, extras = env.step(torch.zeros(2, env.num_actions))
    assert extras["fall"].tolist() == [True, False] and done.tolist() == [True, False]
    assert reward.tolist() == [0.0, 1.0]  # 0 on the fall, computed in the same step


def test_the_prior_sees_its_own_observation_and_the_token_never_does(lib):
    env = _toy(lib)
    obs = env.get_observations()
    assert obs["task"].shape == (2, 2) and torch.equal(obs["prior"][:, 2], torch.full((2,), SECRET))
    seen: dict[str, torch.Tensor] = {}
    encoder = TaskEncoder(2, 32)
    encoder.register_forward_hook(lambda _m, args, _out: seen.__setitem__("encoder", args[0].clone()))
    bfm = _bfm()
    times = goal_times(bfm.cfg.near_steps, env.dt)

    def prior(proprio: torch.Tensor, given: torch.Tensor) -> Goals:
        seen["prior"] = given.clone()
        row = goal_row(translation=root_height_goal(proprio, given[:, 2] / 10))
        return Goals(entity_frames({6: row}, times.numel(), 7), times.expand(given.shape[0], -1))

    actor = TaskTokenActor(obs, bfm, encoder, prior)
    actor(obs)
    assert torch.equal(seen["encoder"], obs["task"]) and not (seen["encoder"] == SECRET).any()
    assert torch.equal(seen["prior"], obs["prior"])
    actor.update_normalization(obs)  # the encoder's normaliser is fitted on the task observation alone
    assert actor.encoder.norm._mean.shape[-1] == 2
    with pytest.raises(ValueError, match=r"ONNX export does not cover a prior with an input of its own"):
        ExportablePolicy(actor, obs["policy"], obs["task"])


def test_a_task_without_a_prior_observation_gives_the_prior_its_task_observation(lib):
    spec = get_task("reach")
    env = spec.env_cls(spec.config_cls(env=TaskEnvConfig(num_envs=2, num_threads=1)), motion_lib=lib)
    obs = env.get_observations()
    assert "prior" not in obs.keys()
    seen = []
    prior = env.prior_fn((1, 2, 4), 7)
    actor = TaskTokenActor(obs, _bfm(), TaskEncoder(3, 32), lambda p, t: seen.append(t.clone()) or prior(p, t))
    actor(obs)
    assert torch.equal(seen[0], obs["task"])


def test_a_prior_that_shows_a_goal_in_some_near_frames_only_is_refused(lib):
    env = _toy(lib)
    obs, bfm = env.get_observations(), _bfm()
    times = goal_times(bfm.cfg.near_steps, env.dt)

    def broken(proprio: torch.Tensor, given: torch.Tensor) -> Goals:
        frames = entity_frames({6: goal_row(translation=root_height_goal(proprio, 0.8))}, times.numel(), 7)
        frames = torch.cat([frames[:, :1], torch.zeros_like(frames[:, 1:2]), frames[:, 2:]], dim=1)  # off in near frame 1
        return Goals(frames, times.expand(given.shape[0], -1))

    actor = TaskTokenActor(obs, bfm, None, broken)
    with pytest.raises(ValueError, match=r"entity 6 .*translation in near frames \[0, 2\] but not in all 3"):
        actor(obs)


def test_the_speed_window_is_reported_only_for_the_tasks_that_read_it(lib, tiny_bfm):
    for name, reads in [("direction", True), ("steering", True), ("reach", False), ("strike", False), ("long_jump", False)]:
        assert get_task(name).env_cls.reads_speed_window is reads
    env = get_task("reach").env_cls(get_task("reach").config_cls(env=TaskEnvConfig(num_envs=1, num_threads=1)), motion_lib=lib)
    assert speed_window(env) == {}
    reach = TaskEval(task="reach", method="prior_only", bfm=tiny_bfm, episodes=2, episode_steps=5).evaluate()
    direction = TaskEval(
        task="direction", method="prior_only", bfm=tiny_bfm, episodes=2, episode_steps=5, speed_window_steps=3
    ).evaluate()
    assert "speed_window_steps" not in reach and direction["speed_window_steps"] == 3
    # the report's cache: a reach evaluation without the window is current, a direction one is not
    assert same_success_rule(reach) and not same_success_rule({"task": "direction", "success_rate": 0.5})
    assert not same_success_rule(direction) and same_success_rule(
        direction | {"speed_window_steps": TaskEnvConfig.speed_window_steps}
    )
    assert not same_success_rule({"success_rate": 0.5})  # no task named: judged before the window existed
