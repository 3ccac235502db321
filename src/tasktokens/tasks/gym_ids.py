"""Gymnasium ids of the tasks, derived from the task registry: every task a token is trained on
(a TaskEnv subclass: built-in, plugin or from a task module) is the vector environment
``tasktokens/<Name>-v0`` (envs/gym.py), Name its task name in CamelCase (long_jump -> LongJump).

tasks.register_task registers the id of each such task as it registers the task. ``import
tasktokens`` registers the built-in tasks' ids before they are imported (their import loads torch
and MuJoCo, seconds), from the names their modules declare (declared_tasks); a plugin's id comes
when the plugins load (any task lookup, ``tasktokens.register_gym_envs()``, or gymnasium's
``"tasktokens.envs.gym:tasktokens/<Name>-v0"`` form, which imports envs/gym.py first). Light: no
torch, and Gymnasium only when it is installed.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

NAMESPACE = "tasktokens"


def gym_name(task: str) -> str:
    """The task name in CamelCase: long_jump -> LongJump."""
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[_\-\s]+", task) if part)


def gym_env_id(task: str) -> str:
    """tasktokens/<Name>-v0."""
    return f"{NAMESPACE}/{gym_name(task)}-v0"


def register_gym_env(task: str) -> str | None:
    """Register task as a Gymnasium vector environment unless its id is registered already; the
    id, or None without Gymnasium (optional) or for a name that makes no valid Gymnasium id."""
    try:
        import gymnasium
    except ImportError:
        return None
    env_id = gym_env_id(task)
    if env_id not in gymnasium.registry:
        try:
            gymnasium.register(id=env_id, vector_entry_point="tasktokens.envs.gym:make_vector", kwargs={"task": task})
        except gymnasium.error.Error:
            return None
    return env_id


def declared_tasks(folder: Path) -> tuple[str, ...]:
    """The names that the modules of a folder register for tokens, read from their source without
    importing them: each class decorated ``@register_task("name", ...)`` that derives from
    another class (TaskEnv or a task; tasks/tracking.py's TrackingEnv derives from none).
    tests/envs/test_gym.py checks that these are the built-in tasks the registry holds."""
    names = []
    for path in sorted(folder.glob("*.py")):
        source = path.read_text()
        if "@register_task(" not in source:
            continue
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.ClassDef) and node.bases:
                names += [name for d in node.decorator_list if (name := _registered_name(d)) is not None]
    return tuple(names)


def _registered_name(decorator: ast.expr) -> str | None:
    """ "name" of a ``register_task("name", ...)`` decorator, else None."""
    if (
        isinstance(decorator, ast.Call)
        and isinstance(decorator.func, ast.Name)
        and decorator.func.id == "register_task"
        and decorator.args
    ):
        first = decorator.args[0]
        if isinstance(first, ast.Constant) and isinstance(first.value, str):
            return first.value
    return None
