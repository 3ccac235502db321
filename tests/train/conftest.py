"""Helpers of the training tests (the small teacher and BFM fixtures are in tests/conftest.py)."""

from tasktokens.models.bfm import BFMConfig
from tasktokens.train.distill import DistillConfig
from tasktokens.train.runner import RunnerConfig


def _distill(tmp_path, teacher, samples):
    return DistillConfig(
        out=tmp_path, teacher=teacher, num_envs=8, steps_per_env=4, mini_batches=2, epochs=1,
        bfm=BFMConfig(d_model=32, num_layers=1, num_heads=2, latent_dim=8, decoder_hidden=(64,), posterior_hidden=(64,)),
        runner=RunnerConfig(max_samples=samples), torch_threads=1,
    )
