"""Shared fixtures: the character, the motion data folder (../shared/data), small clip sets, and
a small trained teacher (tracker) and BFM for the training and evaluation tests."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tasktokens.character import HUMANOID3D, Character
from tasktokens.motion.motion_lib import MotionLib, data_root


@pytest.fixture(scope="session", autouse=True)
def _run_in_scratch_dir(tmp_path_factory):
    """MuJoCo appends warnings to MUJOCO_LOG.TXT in the working directory; keep the tests'
    (some provoke unstable simulations on purpose) out of the checkout."""
    old = Path.cwd()
    os.chdir(tmp_path_factory.mktemp("cwd"))
    yield
    os.chdir(old)


@pytest.fixture(scope="session")
def character() -> Character:
    return HUMANOID3D


@pytest.fixture(scope="session")
def deepmimic_dir() -> Path:
    """../shared/data/motions/deepmimic (or $TASKTOKENS_DATA/motions/deepmimic)."""
    path = data_root() / "motions" / "deepmimic"
    assert path.is_dir(), f"motion data not found at {path}; set TASKTOKENS_DATA to the data folder"
    return path


@pytest.fixture(scope="session")
def walk_file(deepmimic_dir) -> Path:
    return deepmimic_dir / "clips" / "humanoid3d_walk.txt"


@pytest.fixture(scope="session")
def small_lib(character, deepmimic_dir) -> MotionLib:
    """Walk (looping, 30 Hz), run (looping) and kick (not looping): short clips only."""
    clips = deepmimic_dir / "clips"
    files = [clips / f"humanoid3d_{n}.txt" for n in ("walk", "run", "kick")]
    return MotionLib.from_paths(files, character)


@pytest.fixture(scope="session")
def teacher(tmp_path_factory):
    """A tracker trained for 32 samples (tests/train/test_runner.py's config)."""
    from tasktokens.train.checkpoint import WEIGHTS
    from tests.train.test_runner import _config

    out = tmp_path_factory.mktemp("teacher")
    _config(out, 32).run()
    return out / WEIGHTS


@pytest.fixture(scope="session")
def tiny_bfm(tmp_path_factory, teacher):
    """Distilled on walk and jog, so that its skills include the gait tokens the direction and
    steering priors show (tasks/priors.py GAIT_SKILLS)."""
    from tasktokens.train.checkpoint import WEIGHTS
    from tests.train.conftest import _distill
    from tests.train.test_runner import CLIP

    out = tmp_path_factory.mktemp("bfm")
    cfg = _distill(out, teacher, 32)
    cfg.motions = (CLIP, CLIP.parent / "humanoid3d_jog.txt")
    cfg.run()
    return out / WEIGHTS
