"""HumanoidEnv: resets, steps, fall and failure flags."""

from __future__ import annotations

import math

import torch

from tasktokens import rotations as rot
from tasktokens.envs.humanoid_env import HumanoidEnv
from tasktokens.sim.batch_sim import SimConfig


def test_default_reset_and_step(character):
    env = HumanoidEnv(character, SimConfig(num_envs=4, num_threads=1))
    assert env.num_actions == 28 and env.num_proprio == 223
    env.reset_envs(torch.arange(4))
    assert torch.allclose(env.sim.qpos[:, 2], torch.tensor(0.9, dtype=torch.float64))
    obs, fallen, failed = env.step(torch.zeros(4, 28))
    assert obs.shape == (4, 223) and fallen.shape == failed.shape == (4,)
    assert not fallen.any() and not failed.any()


def test_lying_character_has_fallen(character):
    env = HumanoidEnv(character, SimConfig(num_envs=2, num_threads=1))
    q = env.default_qpos.expand(2, -1).clone()
    q[1, 2] = 0.12
    q[1, 3:7] = rot.quat_from_axis_angle(
        torch.tensor([0.0, 1.0, 0.0], dtype=torch.float64), torch.tensor(math.pi / 2, dtype=torch.float64)
    )
    env.reset_envs(torch.arange(2), q)
    for _ in range(5):
        _obs, fallen, failed = env.step(torch.zeros(2, 28))
    assert fallen.tolist() == [False, True] and not failed.any()


def test_numerical_failure_counts_as_done(character):
    env = HumanoidEnv(character, SimConfig(num_envs=2, num_threads=1))
    env.reset_envs(torch.arange(2))
    env.sim.qvel[0, 7] = float("inf")
    _obs, fallen, failed = env.step(torch.zeros(2, 28))
    assert failed.tolist() == [True, False] and fallen.tolist() == [True, False]
    env.reset_envs(torch.tensor([0]))
    _obs, fallen, failed = env.step(torch.zeros(2, 28))
    assert not failed.any() and not fallen.any()
