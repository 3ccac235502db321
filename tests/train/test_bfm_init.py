"""Starting a distillation run from another BFM (--init-from): weights carried over, skill
embedding rows matched by label."""

import dataclasses

import pytest
import torch

from tasktokens.character import HUMANOID3D
from tasktokens.models.bfm import BFM
from tasktokens.models.loading import load_bfm
from tasktokens.train.bfm_init import init_from_bfm, remap_skill_rows
from tasktokens.train.checkpoint import WEIGHTS
from tests.train.conftest import _distill


def test_skill_rows_are_matched_by_label_and_new_labels_start_at_the_mean():
    source = torch.tensor([[1.0, 0.0], [3.0, 2.0], [5.0, 4.0]])  # walk, run, jog
    rows = remap_skill_rows(source, ("walk", "run", "jog"), ("jog", "leap", "walk"))
    assert torch.equal(rows, torch.tensor([[5.0, 4.0], [3.0, 2.0], [1.0, 0.0]]))  # leap: mean (3, 2)


@pytest.fixture(scope="module")
def source_bfm(tmp_path_factory, teacher):
    out = tmp_path_factory.mktemp("source_bfm")
    _distill(out, teacher, 64).run()
    return out / WEIGHTS


def _student_with_skills(source, skills, **sizes):
    """A new student of the source's sizes (or `sizes` changed) with these skill labels, and the source."""
    bfm, meta = load_bfm(source, HUMANOID3D)
    cfg = dataclasses.replace(bfm.cfg, num_skills=len(skills), skill_names=tuple(skills), **sizes)
    return BFM(cfg, meta["num_proprio"], meta["num_entities"], meta["num_posterior_obs"], meta["num_actions"]), bfm


def test_init_from_copies_every_weight_and_maps_the_skills(source_bfm):
    student, source = _student_with_skills(source_bfm, ("leap", "walk"))
    report = init_from_bfm(student, source_bfm, HUMANOID3D)
    assert report == {"kept": ["walk"], "added": ["leap"], "dropped": []}
    src, dst = source.state_dict(), student.state_dict()
    for name, value in src.items():
        if name != "skill_embed.weight":
            assert torch.equal(dst[name], value), name  # normalisers included
    walk = src["skill_embed.weight"][source.cfg.skill_id("walk")]
    assert torch.equal(dst["skill_embed.weight"][1], walk)
    assert torch.allclose(dst["skill_embed.weight"][0], src["skill_embed.weight"].mean(0))


def test_init_from_a_bfm_of_other_sizes_names_the_tensor(source_bfm):
    small, _ = _student_with_skills(source_bfm, ("walk",), d_model=16, num_heads=2)
    with pytest.raises(ValueError, match=r"same sizes; goal_slot is \(4, 32\) there, \(4, 16\) here"):
        init_from_bfm(small, source_bfm, HUMANOID3D)


def test_a_run_started_with_init_from_begins_at_the_source_weights(tmp_path, teacher, source_bfm):
    cfg = dataclasses.replace(_distill(tmp_path, teacher, 32), init_from=source_bfm, learning_rate=0.0)
    cfg.run()
    trained, _ = load_bfm(tmp_path / WEIGHTS, HUMANOID3D)
    source, _ = load_bfm(source_bfm, HUMANOID3D)
    for (name, a), b in zip(trained.named_parameters(), source.parameters(), strict=True):
        assert torch.equal(a, b), name  # lr 0: still the source's parameters
