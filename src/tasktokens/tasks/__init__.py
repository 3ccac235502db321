"""Tasks register themselves here by name; the CLI and trainers look them up, never test types.

A task module defines a config dataclass and an environment class, and calls
``register_task(name, config_cls)`` on the environment class. Three kinds of module register
tasks, all before the first lookup:

- the built-in ones, every module of this package (imported on the first lookup);
- plugins: the entry points of the ``tasktokens.tasks`` group of the installed distributions,
  each naming a module (``my_pkg.my_task``) or an object in one (``my_pkg.my_task:MyEnv``) whose
  import registers tasks (loaded once, lazily, on the first lookup);
- task modules named at run time (``--task-module my_pkg.my_task``, import_task_modules).

A task name is unique: a plugin cannot replace a built-in task. Each task a token is trained on
becomes the Gymnasium vector environment ``tasktokens/<Name>-v0`` as it registers (tasks/gym_ids.py).
docs/new-task.md has the contract.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
import traceback
from collections.abc import Iterable
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points

ENTRY_POINT_GROUP = "tasktokens.tasks"
"""Entry-point group of task plugins (a distribution's pyproject: [project.entry-points."tasktokens.tasks"])."""


class TaskRegistryError(ValueError):
    """A task plugin or task module that cannot be used, or a task name registered twice; the
    message names the culprit and the fix. A ValueError, so the CLI reports it in one line."""


@dataclass(frozen=True)
class TaskSpec:
    name: str
    env_cls: type
    config_cls: type


TASKS: dict[str, TaskSpec] = {}
_builtins_loaded = False
_plugins_loaded = False


def _qualname(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def _is_builtin(cls: type) -> bool:
    return cls.__module__.startswith(f"{__name__}.")


def register_task(name: str, config_cls: type):
    """Class decorator: make the environment class available as task `name`."""

    def wrap(env_cls: type) -> type:
        if not _is_builtin(env_cls):
            # a plugin imported before any lookup would otherwise take a built-in's name first,
            # and the built-in module would then fail to import with a confusing clash
            _import_builtins()
        old = TASKS.get(name)
        if old is not None and old.env_cls is not env_cls:
            raise TaskRegistryError(_clash_message(name, old.env_cls, env_cls))
        TASKS[name] = TaskSpec(name, env_cls, config_cls)
        if _is_adaptable(env_cls):
            from tasktokens.tasks.gym_ids import register_gym_env

            register_gym_env(name)
        return env_cls

    return wrap


def _clash_message(name: str, old: type, new: type) -> str:
    if _is_builtin(old):
        return (
            f"task {name!r} of {_qualname(new)} clashes with the built-in task {name!r} ({_qualname(old)}); give it another name"
        )
    return f"task {name!r} registered twice, by {_qualname(old)} and by {_qualname(new)}; task names must be unique"


def get_task(name: str) -> TaskSpec:
    """The task registered as `name` (built-in, plugin, or from an imported task module)."""
    load_tasks()
    try:
        return TASKS[name]
    except KeyError:
        # a KeyError, as before plugins existed; the CLI prints its message in one line
        raise KeyError(
            f"unknown task {name!r}; known: {', '.join(adaptable_task_names())} (a task of your own: install a package with a "
            f"{ENTRY_POINT_GROUP!r} entry point or pass --task-module MODULE; docs/new-task.md)"
        ) from None


def _is_adaptable(env_cls: type) -> bool:
    """A TaskEnv subclass (tasks/base.py is loaded whenever one exists: no import needed)."""
    base = sys.modules.get(f"{__name__}.base")
    task_env = getattr(base, "TaskEnv", None)
    return task_env is not None and issubclass(env_cls, task_env)


def adaptable_task_names() -> tuple[str, ...]:
    """The registered tasks a token is trained on (TaskEnv subclasses): not the tracker's
    internal tracking task."""
    return tuple(n for n in task_names() if _is_adaptable(TASKS[n].env_cls))


def task_names() -> tuple[str, ...]:
    """Every registered task name, sorted (built-ins, plugins, imported task modules)."""
    load_tasks()
    return tuple(sorted(TASKS))


def load_tasks() -> None:
    """Import the built-in tasks, then load the plugins (each only once)."""
    global _plugins_loaded
    _import_builtins()
    if _plugins_loaded:
        return
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        _load_plugin(ep)
    # only once every plugin loaded: a broken one fails every lookup (the same clear error) until
    # fixed, rather than its tasks silently going missing
    _plugins_loaded = True


def import_task_modules(names: Iterable[str]) -> None:
    """Import task modules named at run time (--task-module), after the built-in tasks."""
    _import_builtins()
    for name in names:
        try:
            importlib.import_module(name)
        except Exception as err:  # noqa: BLE001 - any failure of user code becomes one clear error
            raise TaskRegistryError(f"task module {name!r} failed to import: {_describe(err)}") from err


def _import_builtins() -> None:
    global _builtins_loaded
    if _builtins_loaded:
        return
    for mod in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{mod.name}")
    _builtins_loaded = True


def _load_plugin(ep: EntryPoint) -> None:
    """Load one entry point (import its module), reporting a failure by plugin and distribution."""
    try:
        ep.load()
    except Exception as err:  # noqa: BLE001 - any failure of user code becomes one clear error
        dist = ep.dist.name if getattr(ep, "dist", None) is not None else "an unknown distribution"
        raise TaskRegistryError(
            f"task plugin {ep.name!r} = {ep.value!r} (entry point group {ENTRY_POINT_GROUP!r}) of the distribution "
            f"{dist!r} failed to load: {_describe(err)}; fix or uninstall {dist!r}"
        ) from err


def _describe(err: Exception) -> str:
    """The error and where in user code it was raised (the CLI shows no traceback)."""
    if isinstance(err, TaskRegistryError):
        return str(err)
    frames = traceback.extract_tb(err.__traceback__)
    where = (
        f" (at {frames[-1].filename}:{frames[-1].lineno})"
        if frames and not isinstance(err, (SyntaxError, ModuleNotFoundError))
        else ""
    )
    return f"{type(err).__name__}: {err}{where}"
