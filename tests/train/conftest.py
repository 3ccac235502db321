"""Small trained artefacts shared by the training tests: a teacher (tracker) and a BFM."""

import pytest

from tasktokens.models.bfm import BFMConfig
from tasktokens.train.checkpoint import WEIGHTS
from tasktokens.train.distill import DistillConfig
from tasktokens.train.runner import RunnerConfig
from tests.train.test_runner import _config


def _distill(tmp_path, teacher, samples):
    return DistillConfig(
        out=tmp_path, teacher=teacher, num_envs=8, steps_per_env=4, mini_batches=2, epochs=1,
        bfm=BFMConfig(d_model=32, num_layers=1, num_heads=2, latent_dim=8, decoder_hidden=(64,), posterior_hidden=(64,)),
        runner=RunnerConfig(max_samples=samples), torch_threads=1,
    )


@pytest.fixture(scope="session")
def teacher(tmp_path_factory):
    out = tmp_path_factory.mktemp("teacher")
    _config(out, 32).run()
    return out / WEIGHTS


@pytest.fixture(scope="session")
def tiny_bfm(tmp_path_factory, teacher):
    """Distilled on walk and jog, so that its skills include the gait tokens the direction and
    steering priors show (tasks/priors.py GAIT_SKILLS)."""
    from tests.train.test_runner import CLIP

    out = tmp_path_factory.mktemp("bfm")
    cfg = _distill(out, teacher, 32)
    cfg.motions = (CLIP, CLIP.parent / "humanoid3d_jog.txt")
    cfg.run()
    return out / WEIGHTS
