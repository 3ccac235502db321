"""Which modules import which: loading a BFM or evaluating a token does not import the trainers
(models/loading.py, models/policies.py), and train/adapt.py and eval/task.py each import first in
a fresh interpreter (no import circle between them)."""

from __future__ import annotations

import pytest

from tests.fresh_interpreter import modules_after

TRAINERS = ("tasktokens.train.distill", "tasktokens.train.adapt", "tasktokens.train.runner")


def _modules_after(code: str) -> set[str]:
    """The tasktokens modules loaded after running `code` in a fresh interpreter."""
    return {m for m in modules_after(code) if m.startswith("tasktokens")}


def test_loading_a_bfm_imports_no_trainer():
    loaded = _modules_after("from tasktokens.models.loading import load_bfm")
    assert "tasktokens.models.bfm" in loaded
    assert not loaded & set(TRAINERS)


def test_evaluating_a_token_imports_no_trainer():
    loaded = _modules_after("import tasktokens.models.policies\nimport tasktokens.eval.task")
    assert not loaded & set(TRAINERS)


@pytest.mark.parametrize("module", ["tasktokens.train.adapt", "tasktokens.eval.task"])
def test_adapt_and_eval_task_each_import_first(module):
    assert module in _modules_after(f"import {module}")


def test_load_bfm_is_still_importable_from_the_distillation_trainer():
    from tasktokens.models.loading import load_bfm
    from tasktokens.train import distill

    assert distill.load_bfm is load_bfm


def test_bfm_config_takes_the_skills_of_checkpoints_saved_before_it_recorded_them():
    from tasktokens.models.bfm import BFMConfig
    from tasktokens.models.loading import bfm_config
    from tasktokens.train.checkpoint import to_jsonable

    saved = to_jsonable(BFMConfig(d_model=32))
    assert bfm_config({"bfm": saved, "skills": ["walk", "run"]}).skill_names == ("walk", "run")
    assert bfm_config({"bfm": to_jsonable(BFMConfig(skill_names=("jog",)))}).skill_names == ("jog",)
