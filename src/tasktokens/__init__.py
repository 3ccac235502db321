"""tasktokens: adapt behavior foundation models of simulated humanoids to new tasks."""

import os

# MuJoCo picks its GL backend when first imported; headless machines need EGL (software Mesa
# works). Users with a display can set MUJOCO_GL themselves.
os.environ.setdefault("MUJOCO_GL", "egl")

__version__ = "0.1.0"

GYM_TASKS = {"direction": "Direction", "steering": "Steering", "reach": "Reach", "strike": "Strike", "long_jump": "LongJump"}
"""Tasks registered with Gymnasium as tasktokens/<Name>-v0 vector environments (envs/gym.py)."""


def _register_gym_envs() -> None:
    try:
        import gymnasium
    except ImportError:  # Gymnasium is optional for the library itself
        return
    for task, name in GYM_TASKS.items():
        env_id = f"tasktokens/{name}-v0"
        if env_id not in gymnasium.registry:
            gymnasium.register(id=env_id, vector_entry_point="tasktokens.envs.gym:make_vector", kwargs={"task": task})


_register_gym_envs()
