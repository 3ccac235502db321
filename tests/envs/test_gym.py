"""Gymnasium: every task is a registered vector environment that runs with random actions; the ids
and the report's columns come from the task registry."""

import subprocess
import sys
from pathlib import Path

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


def test_gym_ids_and_report_columns_come_from_the_task_registry(monkeypatch):
    """A task registered at run time becomes a Gymnasium environment and a report column with no
    edit of tasktokens; the built-in ids that `import tasktokens` registers without loading torch
    are the registry's built-in tasks."""
    from dataclasses import dataclass, field

    from tasktokens import tasks
    from tasktokens.eval.compare import PAPER_ORDER, ReportConfig, has_prior_cells, report_tasks
    from tasktokens.tasks.base import TaskEnv, TaskEnvConfig
    from tasktokens.tasks.gym_ids import declared_tasks, gym_env_id

    tasks.load_tasks()
    assert set(declared_tasks(Path(tasks.__file__).parent)) == set(tasks.adaptable_task_names()) == set(PAPER_ORDER)
    monkeypatch.setattr(tasks, "TASKS", dict(tasks.TASKS))

    @dataclass
    class HopConfig:
        env: TaskEnvConfig = field(default_factory=TaskEnvConfig)

    try:
        tasks.register_task("hop_scotch", HopConfig)(type("HopScotchEnv", (TaskEnv,), {"num_task_obs": 1}))
        assert gym_env_id("hop_scotch") == "tasktokens/HopScotch-v0"
        assert gymnasium.registry["tasktokens/HopScotch-v0"].kwargs == {"task": "hop_scotch"}
        assert tasktokens.GYM_TASKS["hop_scotch"] == "HopScotch" and tasktokens.GYM_TASKS["long_jump"] == "LongJump"
        assert report_tasks() == (*PAPER_ORDER, "hop_scotch") and ReportConfig().tasks == report_tasks()
        assert not has_prior_cells("hop_scotch") and has_prior_cells("reach") and not has_prior_cells("strike")
    finally:
        gymnasium.registry.pop("tasktokens/HopScotch-v0", None)


def test_import_tasktokens_registers_the_built_in_ids_without_loading_torch():
    code = (
        "import sys, gymnasium, tasktokens; print(sorted(k for k in gymnasium.registry if k.startswith('tasktokens/'))); "
        "print('torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split("\n")
    ids = [f"tasktokens/{n}-v0" for n in ("Direction", "LongJump", "Reach", "Steering", "Strike")]
    assert out[0] == str(ids) and out[1] == "False"
