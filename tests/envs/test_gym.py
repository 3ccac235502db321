"""Gymnasium: every task is a registered vector environment that runs with random actions."""

import gymnasium
import numpy as np
import pytest

import tasktokens  # noqa: F401  (registers the environments)


@pytest.mark.parametrize("env_id", ["tasktokens/Steering-v0", "tasktokens/Strike-v0"])
def test_make_vec_runs(env_id):
    env = gymnasium.make_vec(env_id, num_envs=3, num_threads=1, episode_steps=5)
    obs, info = env.reset(seed=0)
    assert obs.shape == env.observation_space.shape and obs.dtype == np.float32
    truncated_any = False
    for _ in range(6):
        obs, reward, terminated, truncated, info = env.step(env.action_space.sample())
        assert reward.shape == (3,) and np.isfinite(obs).all()
        truncated_any |= bool(truncated.any())
    assert truncated_any  # 5-step episodes time out
    env.close()


def test_all_tasks_registered():
    ids = {f"tasktokens/{n}-v0" for n in tasktokens.GYM_TASKS.values()}
    assert ids <= set(gymnasium.registry)
