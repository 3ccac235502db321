"""Tasks from outside the package: a `tasktokens.tasks` entry-point plugin and `--task-module`,
trained and evaluated through the CLI, and the errors for unknown tasks, broken plugins and name
clashes. The plugin's prior reads a pelvis height that its token never sees (TaskEnv.prior_obs).

The plugin is docs/new-task.md's example (its pyproject.toml and module, read from the doc, so
the doc's code is what is tested). It is "installed" the way pip would leave it, without touching
the shared venv: a site folder on sys.path holding the distribution's .dist-info (METADATA and
the entry_points.txt pip writes from the pyproject), and the package folder on sys.path (what an
editable install's .pth adds). importlib.metadata finds it there like any installed
distribution, so the real entry-point discovery runs; pip itself would write into the venv that
other processes share, and take seconds.
"""

from __future__ import annotations

import json
import re
import sys
import tomllib
from pathlib import Path

import gymnasium
import pytest

from tasktokens import tasks
from tasktokens.character import HUMANOID3D
from tasktokens.cli.main import main
from tasktokens.train.checkpoint import CONFIG, WEIGHTS, load_weights

DOC = Path(__file__).resolve().parents[2] / "docs" / "new-task.md"
MODULES = ("my_tasks", "touch_module", "broken_tasks", "clash_tasks")
"""Every module these tests create (forgotten after each test)."""
TINY = [
    "--samples",
    "32",
    "--num-envs",
    "4",
    "--encoder-hidden",
    "32",
    "--critic-hidden",
    "32",
    "--ppo.steps-per-env",
    "4",
    "--ppo.mini-batches",
    "2",
    "--ppo.learning-epochs",
    "1",
    "--ppo.schedule",
    "fixed",
    "--torch-threads",
    "1",
    "--sim-threads",
    "1",
    "--eval-episodes",
    "0",
    "--no-video",
]
"""tests/train/test_adapt.py _adapt's settings: 2 PPO iterations of 16 samples."""


def doc_block(lang: str) -> str:
    """The first ```lang block of docs/new-task.md."""
    found = re.search(rf"^```{lang}\n(.*?)^```", DOC.read_text(), re.S | re.M)
    assert found, f"{DOC} has no ```{lang} block"
    return found.group(1)


def write_package(root: Path, pyproject: str, module: str, source: str) -> Path:
    """A one-module distribution folder: pyproject.toml and <module>.py."""
    root.mkdir(parents=True)
    (root / "pyproject.toml").write_text(pyproject)
    (root / f"{module}.py").write_text(source)
    return root


def plugin_pyproject(dist: str, module: str, entry: str) -> str:
    return (
        f'[project]\nname = "{dist}"\nversion = "0.1.0"\n\n[project.entry-points."tasktokens.tasks"]\n{entry} = "{module}"\n\n'
        f'[tool.setuptools]\npy-modules = ["{module}"]\n'
    )


def install(pkg: Path, site: Path, monkeypatch) -> None:
    """What `pip install -e pkg` leaves for importlib.metadata and the import system, on sys.path
    for this test only: <name>-<version>.dist-info with METADATA and entry_points.txt (written
    from the pyproject, as pip does), and the package folder itself."""
    project = tomllib.loads((pkg / "pyproject.toml").read_text())["project"]
    info = site / f"{project['name'].replace('-', '_')}-{project['version']}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {project['name']}\nVersion: {project['version']}\n")
    groups = [
        f"[{group}]\n" + "".join(f"{k} = {v}\n" for k, v in eps.items()) for group, eps in project.get("entry-points", {}).items()
    ]
    (info / "entry_points.txt").write_text("\n".join(groups))
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.syspath_prepend(str(pkg))
    monkeypatch.setattr(tasks, "_plugins_loaded", False)  # installed before the next lookup, as before a new process


def forget(monkeypatch, *names: str) -> None:
    """Forget the test's task modules, their tasks and the loaded plugins, as a new process would."""
    for name in names:
        sys.modules.pop(name, None)
    monkeypatch.setattr(tasks, "TASKS", {k: v for k, v in tasks.TASKS.items() if v.env_cls.__module__ not in names})
    monkeypatch.setattr(tasks, "_plugins_loaded", False)


@pytest.fixture
def registry(monkeypatch):
    """The registry with the built-in tasks only, restored (and the test's modules and Gymnasium
    ids forgotten) after."""
    tasks.load_tasks()
    forget(monkeypatch, *MODULES)
    yield
    for name in MODULES:
        sys.modules.pop(name, None)
    gymnasium.registry.pop("tasktokens/Touch-v0", None)


def run_cli(argv: list[str], capsys) -> str:
    """main(argv) expected to fail as a user error: its one-line message."""
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("tasktokens: error: ") and "\n" not in err and "Traceback" not in err
    return err


def test_plugin_task_trains_and_evaluates_through_the_cli(tmp_path, tiny_bfm, registry, monkeypatch):
    pkg = write_package(tmp_path / "my-tasks", doc_block("toml"), "my_tasks", doc_block("python"))
    install(pkg, tmp_path / "site", monkeypatch)
    spec = tasks.get_task("touch")  # found through the entry point alone
    assert spec.env_cls.__module__ == "my_tasks" and Path(sys.modules["my_tasks"].__file__).is_relative_to(tmp_path)
    assert gymnasium.registry["tasktokens/Touch-v0"].kwargs == {"task": "touch"}  # a Gymnasium environment too
    out = tmp_path / "tok"
    main(["adapt", "--task", "touch", "--prior", "--out", str(out), "--bfm", str(tiny_bfm), *TINY])
    saved = json.loads((out / CONFIG).read_text())
    assert saved["task"] == "touch" and saved["prior"] and saved["task_modules"] == []
    tensors, _ = load_weights(out / WEIGHTS, HUMANOID3D)  # the token's encoder read the 2 task entries, not the pelvis height
    assert tensors["actor.mlp.encoder.mlp.0.weight"].shape[1] == 2 and tensors["actor.mlp.encoder.norm._mean"].shape[-1] == 2
    main(
        [
            "eval",
            "task",
            "--task",
            "touch",
            "--method",
            "task_tokens_prior",
            "--token",
            str(out / WEIGHTS),
            "--episodes",
            "2",
            "--episode-steps",
            "30",
            "--json",
            str(tmp_path / "eval.json"),
        ]
    )
    report = json.loads((tmp_path / "eval.json").read_text())
    assert report["task"] == "touch" and report["method"] == "task_tokens_prior" and report["samples_trained"] == 32
    assert 0.0 <= report["success_rate"] <= 1.0 and report["trainable_params"] > 0
    assert "speed_window_steps" not in report  # touch does not read the speed window


def test_task_module_is_saved_with_the_token_and_imported_again(tmp_path, tiny_bfm, registry, monkeypatch):
    write_package(tmp_path / "src", "", "touch_module", doc_block("python"))
    monkeypatch.syspath_prepend(str(tmp_path / "src"))  # importable, but no distribution: no entry point
    out = tmp_path / "tok"
    main(["adapt", "--task", "touch", "--task-module", "touch_module", "--out", str(out), "--bfm", str(tiny_bfm), *TINY])
    assert json.loads((out / CONFIG).read_text())["task_modules"] == ["touch_module"]
    forget(monkeypatch, "touch_module")  # a new process: evaluating the token imports its module
    main(
        [
            "eval",
            "task",
            "--task",
            "touch",
            "--token",
            str(out / WEIGHTS),
            "--episodes",
            "2",
            "--episode-steps",
            "10",
            "--json",
            str(tmp_path / "eval.json"),
        ]
    )
    assert json.loads((tmp_path / "eval.json").read_text())["task"] == "touch"
    forget(monkeypatch, "touch_module")  # and so does resuming the run
    main(["adapt", "--task", "touch", "--resume", "--out", str(out), "--bfm", str(tiny_bfm), *TINY[2:], "--samples", "48"])
    assert json.loads((out / CONFIG).read_text())["task_modules"] == ["touch_module"]


def test_unknown_task_lists_built_in_and_plugin_tasks(tmp_path, registry, monkeypatch, capsys):
    install(
        write_package(tmp_path / "my-tasks", doc_block("toml"), "my_tasks", doc_block("python")), tmp_path / "site", monkeypatch
    )
    err = run_cli(["eval", "task", "--task", "tuoch", "--method", "prior_only"], capsys)
    assert "unknown task 'tuoch'" in err and "touch" in err and "reach" in err and "--task-module" in err


def test_a_plugin_that_fails_to_import_is_named_with_its_distribution(tmp_path, registry, monkeypatch, capsys):
    source = "import torch\n\nraise RuntimeError('no targets today')\n"
    install(
        write_package(tmp_path / "broken", plugin_pyproject("broken-tasks", "broken_tasks", "wobble"), "broken_tasks", source),
        tmp_path / "site",
        monkeypatch,
    )
    err = run_cli(["eval", "task", "--task", "reach", "--method", "prior_only"], capsys)
    assert "task plugin 'wobble' = 'broken_tasks'" in err and "distribution 'broken-tasks'" in err
    assert "RuntimeError: no targets today" in err and "broken_tasks.py:3" in err
    err = run_cli(
        ["eval", "task", "--task", "reach", "--task-module", "no_such_tasks"], capsys
    )  # (plugins load after task modules)
    assert "task module 'no_such_tasks' failed to import: ModuleNotFoundError" in err


CLASH = """from dataclasses import dataclass, field

from tasktokens.tasks import register_task
from tasktokens.tasks.base import TaskEnv, TaskEnvConfig


@dataclass
class MyReachConfig:
    env: TaskEnvConfig = field(default_factory=TaskEnvConfig)


@register_task("reach", MyReachConfig)
class MyReachEnv(TaskEnv):
    num_task_obs = 3
"""


def test_a_plugin_cannot_take_a_built_in_task_name(tmp_path, registry, monkeypatch, capsys):
    builtin = tasks.get_task("reach").env_cls
    write_package(tmp_path / "clash", plugin_pyproject("clash-tasks", "clash_tasks", "reach"), "clash_tasks", CLASH)
    monkeypatch.syspath_prepend(str(tmp_path / "clash"))
    err = run_cli(["eval", "task", "--task", "reach", "--task-module", "clash_tasks"], capsys)
    assert "clash_tasks.MyReachEnv clashes with the built-in task 'reach'" in err
    sys.modules.pop("clash_tasks", None)
    install(tmp_path / "clash", tmp_path / "site", monkeypatch)  # the same module as an installed plugin
    with pytest.raises(tasks.TaskRegistryError, match=r"distribution 'clash-tasks'.*clashes with the built-in task 'reach'"):
        tasks.get_task("direction")
    assert tasks.TASKS["reach"].env_cls is builtin
