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


def test_eval_task_for_a_token_and_prior_only(tmp_path, tiny_bfm):
    from tasktokens.eval.task import TaskEval

    _adapt(tmp_path / "tok", tiny_bfm, "reach").run()
    rep = TaskEval(task="reach", token=tmp_path / "tok" / WEIGHTS, episodes=3, episode_steps=70, json=tmp_path / "r.json",
                   record=tmp_path / "rec.json").run()
    from tasktokens.viz.recording import load_recording

    rec = load_recording(tmp_path / "rec.json")
    assert len(rec["frames"]) >= 1 and rec["markers"][0]["kind"] == "sphere"
    assert rep["task"] == "reach" and rep["method"] == "task_tokens" and rep["samples_trained"] == 32
    assert 0 < rep["trainable_params"] <= 200_000 and 0.0 <= rep["success_rate"] <= 1.0
    prior_only = TaskEval(task="reach", method="prior_only", bfm=tiny_bfm, episodes=3, episode_steps=70).run()
    assert prior_only["trainable_params"] == 0
    with pytest.raises(ValueError, match="trained for task 'reach'"):
        TaskEval(task="direction", token=tmp_path / "tok" / WEIGHTS, episodes=2, episode_steps=5).run()


def test_play_task_writes_a_video(tmp_path, tiny_bfm):
    from tasktokens.eval.task import PlayTask

    path = PlayTask(task="direction", method="prior_only", bfm=tiny_bfm, out=tmp_path / "d.gif", steps=5).run()
    assert path.exists() and path.stat().st_size > 1000


@pytest.mark.parametrize("task,method", [("steering", "task_tokens_prior"), ("reach", "task_tokens")])
def test_onnx_export_matches_torch(tmp_path, tiny_bfm, task, method):
    from tasktokens.eval.export import ExportOnnx

    _adapt(tmp_path / "tok", tiny_bfm, task, prior=method == "task_tokens_prior").run()
    rep = ExportOnnx(task=task, method=method, token=tmp_path / "tok" / WEIGHTS, out=tmp_path / "p.onnx", check=True, check_steps=5,
                     check_envs=3, json=tmp_path / "x.json").run()
    assert (tmp_path / "p.onnx").exists() and rep["observations"] == 15
    assert rep["max_abs_action_error"] <= 1e-4
