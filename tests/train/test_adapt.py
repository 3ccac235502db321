"""`tasktokens adapt`: a short Task Tokens run on a small distilled BFM."""

import pytest
import torch

from tasktokens.algos.ppo import PPOConfig
from tasktokens.character import HUMANOID3D
from tasktokens.train.adapt import AdaptConfig
from tasktokens.train.checkpoint import WEIGHTS, CheckpointError, load_weights
from tasktokens.train.distill import load_bfm


def _adapt(tmp_path, bfm, task="direction", prior=False, samples=32):
    return AdaptConfig(task=task, prior=prior, samples=samples, out=tmp_path, bfm=bfm, num_envs=4, encoder_hidden=(32,),
                       critic_hidden=(32,), ppo=PPOConfig(steps_per_env=4, mini_batches=2, learning_epochs=1, schedule="fixed"), torch_threads=1)


@pytest.mark.parametrize("task,prior", [("direction", False), ("steering", True), ("reach", True)])
def test_adapt_trains_and_saves_only_the_token(tmp_path, tiny_bfm, task, prior):
    runner = _adapt(tmp_path, tiny_bfm, task, prior).run()
    assert runner.iteration == 2
    tensors, meta = load_weights(tmp_path / WEIGHTS, HUMANOID3D)
    assert all(k.startswith(("encoder.", "critic.")) for k in tensors)
    assert meta["config"]["task"] == task and meta["config"]["prior"] == prior
    bfm, _ = load_bfm(tiny_bfm, HUMANOID3D)
    for k, v in bfm.state_dict().items():  # the BFM on disk and in the policy are the same
        assert torch.equal(v, runner.alg.actor.bfm.state_dict()[k])


def test_missing_bfm_is_a_clear_error(tmp_path):
    with pytest.raises(CheckpointError, match="pretrain bfm"):
        _adapt(tmp_path, tmp_path / "nope.safetensors").run()
