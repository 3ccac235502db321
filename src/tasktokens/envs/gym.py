"""Gymnasium vector environments of the tasks, for users' own RL code.

Every registered task a token is trained on is ``tasktokens/<Name>-v0`` (Name: the task name in
CamelCase; tasks/gym_ids.py, ``tasktokens.GYM_TASKS``): ``import tasktokens`` registers the
built-in ones, so that ``gymnasium.make_vec("tasktokens/Steering-v0", num_envs=64)`` works, and a
plugin's is registered when the plugins load: ``tasktokens.register_gym_envs()`` first, or
``gymnasium.make_vec("tasktokens.envs.gym:tasktokens/Touch-v0")`` (importing this module loads
them). Observations are
proprioception followed by the task observation (float32); actions are the character's absolute
PD actions in [-1, 1]. Environments reset themselves in the step that ends them (Gymnasium's
same-step autoreset); the final observation of an episode is not kept.
"""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import torch
from gymnasium.vector import AutoresetMode

from tasktokens import register_gym_envs
from tasktokens.tasks import get_task
from tasktokens.tasks.base import TaskEnvConfig


class TaskVectorEnv(gym.vector.VectorEnv):
    """A Task Tokens task as a Gymnasium VectorEnv (numpy in, numpy out)."""

    metadata = {"autoreset_mode": AutoresetMode.SAME_STEP, "render_modes": []}

    def __init__(self, task: str, num_envs: int = 16, num_threads: int = 2, episode_steps: int = 300, seed: int = 0):
        spec = get_task(task)
        self._cfg = dict(task=task, num_envs=num_envs, num_threads=num_threads, episode_steps=episode_steps)
        self.task_env = spec.env_cls(
            spec.config_cls(env=TaskEnvConfig(num_envs=num_envs, num_threads=num_threads, episode_steps=episode_steps, seed=seed))
        )
        self.num_envs = num_envs
        size = self.task_env.env.num_proprio + self.task_env.num_task_obs
        self.single_observation_space = gym.spaces.Box(-np.inf, np.inf, (size,), np.float32)
        self.single_action_space = gym.spaces.Box(-1.0, 1.0, (self.task_env.num_actions,), np.float32)
        self.observation_space = gym.vector.utils.batch_space(self.single_observation_space, num_envs)
        self.action_space = gym.vector.utils.batch_space(self.single_action_space, num_envs)

    def _obs(self, td) -> np.ndarray:
        return torch.cat([td["policy"], td["task"]], dim=-1).numpy().astype(np.float32)

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        if seed is not None:
            self.task_env.gen.manual_seed(seed)
        self.task_env.reset_envs(torch.arange(self.num_envs))
        return self._obs(self.task_env.get_observations()), {}

    def step(self, actions):
        td, reward, done, extras = self.task_env.step(torch.as_tensor(np.asarray(actions), dtype=torch.float32))
        truncated = extras["time_outs"]
        terminated = done & ~truncated
        return self._obs(td), reward.numpy(), terminated.numpy(), truncated.numpy(), {}


def make_vector(task: str, num_envs: int = 16, **kwargs) -> TaskVectorEnv:
    return TaskVectorEnv(task, num_envs=num_envs, **kwargs)


register_gym_envs()  # plugins' ids too (gymnasium's "tasktokens.envs.gym:<id>" form imports this module first)
