"""Clip labels from names (motion/labels.py)."""

from __future__ import annotations

from tasktokens.motion.clip import find_clip_files
from tasktokens.motion.labels import LOCOMOTION_KEYWORDS, is_locomotion
from tasktokens.motion.motion_lib import data_root


def test_locomotion_by_label_matches_the_names_of_the_data():
    """Judged on the skill label, every clip of ../shared/data is locomotion exactly when its name
    holds a keyword (the rule before `motion convert --skill` existed)."""
    names = [p.stem for p in find_clip_files([data_root() / "motions" / "deepmimic"])]
    assert len(names) > 70
    for n in names:
        assert is_locomotion(n) == any(k in n for k in LOCOMOTION_KEYWORDS), n


def test_skill_balance_gives_every_skill_the_same_mass():
    from tasktokens.motion.labels import skill_balance

    w = skill_balance(["reach", "reach", "reach", "reach", "walk", "idle"])
    assert w.tolist() == [0.25, 0.25, 0.25, 0.25, 1.0, 1.0]
