"""tasktokens: adapt behavior foundation models of simulated humanoids to new tasks."""

import os

# MuJoCo picks its GL backend when first imported; headless machines need EGL (software Mesa
# works). Users with a display can set MUJOCO_GL themselves.
os.environ.setdefault("MUJOCO_GL", "egl")

__version__ = "0.1.0"


def _register_gym_envs() -> None:
    """The built-in tasks' Gymnasium ids, from the names their modules declare (no torch import;
    tasks/gym_ids.py); plugins' ids follow when the plugins load."""
    from pathlib import Path

    try:
        import gymnasium  # noqa: F401
    except ImportError:  # Gymnasium is optional for the library itself
        return
    from tasktokens.tasks.gym_ids import declared_tasks, register_gym_env

    for task in declared_tasks(Path(__file__).parent / "tasks"):
        register_gym_env(task)


def register_gym_envs() -> dict[str, str]:
    """Load every task (built-ins, plugins, imported task modules) and register each one a token is
    trained on with Gymnasium; returns {task: id} (e.g. {"long_jump": "tasktokens/LongJump-v0"})."""
    from tasktokens.tasks import adaptable_task_names
    from tasktokens.tasks.gym_ids import gym_env_id, register_gym_env

    return {task: gym_env_id(task) for task in adaptable_task_names() if register_gym_env(task)}


def __getattr__(name: str):
    if name == "GYM_TASKS":  # {task: Name of tasktokens/<Name>-v0}, from the registry (loads the tasks)
        from tasktokens.tasks import adaptable_task_names
        from tasktokens.tasks.gym_ids import gym_name

        return {task: gym_name(task) for task in adaptable_task_names()}
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


_register_gym_envs()
