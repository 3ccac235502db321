"""Tasks register themselves here by name; the CLI and trainers look them up, never test types.

A task module defines a config dataclass and an environment class, and calls
``register_task(name, config_cls)`` on the environment class. Importing this package imports
every task module so the registry is complete.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass


@dataclass(frozen=True)
class TaskSpec:
    name: str
    env_cls: type
    config_cls: type


TASKS: dict[str, TaskSpec] = {}


def register_task(name: str, config_cls: type):
    """Class decorator: make the environment class available as task `name`."""

    def wrap(env_cls: type) -> type:
        if name in TASKS and TASKS[name].env_cls is not env_cls:
            raise ValueError(f"task {name!r} registered twice")
        TASKS[name] = TaskSpec(name, env_cls, config_cls)
        return env_cls

    return wrap


def get_task(name: str) -> TaskSpec:
    _import_all()
    try:
        return TASKS[name]
    except KeyError:
        raise KeyError(f"unknown task {name!r}; known: {sorted(TASKS)}") from None


def _import_all() -> None:
    for mod in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{mod.name}")
