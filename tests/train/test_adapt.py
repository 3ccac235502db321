"""`tasktokens adapt`: a short Task Tokens run on a small distilled BFM."""

import dataclasses

import pytest
import torch

from tasktokens.algos.ppo import PPOConfig
from tasktokens.character import HUMANOID3D
from tasktokens.models.loading import load_bfm
from tasktokens.train.adapt import AdaptConfig
from tasktokens.train.checkpoint import WEIGHTS, CheckpointError, load_weights


def _adapt(tmp_path, bfm, task="direction", prior=False, samples=32, method="task_tokens", eval_episodes=0):
    return AdaptConfig(task=task, method=method, prior=prior, samples=samples, out=tmp_path, bfm=bfm, num_envs=4, encoder_hidden=(32,),
                       critic_hidden=(32,), ppo=PPOConfig(steps_per_env=4, mini_batches=2, learning_epochs=1, schedule="fixed"), torch_threads=1,
                       eval_episodes=eval_episodes, video=eval_episodes > 0)


@pytest.mark.parametrize("task,prior", [("direction", False), ("steering", True), ("reach", True), ("long_jump", True)])
def test_adapt_trains_and_saves_only_the_token(tmp_path, tiny_bfm, task, prior):
    runner = _adapt(tmp_path, tiny_bfm, task, prior).run()
    assert runner.iteration == 2
    tensors, meta = load_weights(tmp_path / WEIGHTS, HUMANOID3D)
    assert all(k.startswith(("actor.mlp.encoder.", "critic.")) for k in tensors)
    assert meta["config"]["task"] == task and meta["config"]["prior"] == prior
    bfm, _ = load_bfm(tiny_bfm, HUMANOID3D)
    for k, v in bfm.state_dict().items():  # the BFM on disk and in the policy are the same
        assert torch.equal(v, runner.alg.actor.bfm.state_dict()[k])


def test_adapt_ends_with_an_evaluation_a_video_and_a_verdict(tmp_path, tiny_bfm, capsys):
    """eval.json names its unit (command segments, how many) beside the share of whole episodes
    that succeeded; the progress log (not a terminal here) counts samples and time left; the run
    ends in one line."""
    import json

    _adapt(tmp_path, tiny_bfm, "steering", prior=True, eval_episodes=2).run()
    report = json.loads((tmp_path / "eval.json").read_text())
    assert report["task"] == "steering" and report["method"] == "task_tokens_prior" and report["episodes"] == 2
    assert report["samples_trained"] == 32
    assert report["success_unit"] == "command segment" and report["segments"] >= report["episodes"]
    assert 0 <= report["segments_succeeded"] <= report["segments"]
    assert report["success_rate"] == report["segments_succeeded"] / report["segments"]
    assert 0.0 <= report["episode_success_rate"] <= 1.0
    assert (tmp_path / "video.mp4").stat().st_size > 1000
    out = capsys.readouterr().out.strip().splitlines()
    assert "it 1/2 samples 16/32 (50.0%)" in out[0] and " left; return " in out[0]
    assert any(line.startswith("measured ") and "samples/s over the first 2 iterations: 32 samples take about" in line for line in out)
    assert out[-1].startswith(f"steering task_tokens_prior: success {report['success_rate']:.3f} per command segment "
                              f"({report['segments']} segments of 2 episodes; whole episodes {report['episode_success_rate']:.3f}) after 32 samples in ")
    assert out[-1].endswith(f" min; wrote {tmp_path}/{{checkpoint.safetensors,eval.json,video.mp4}}")


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


def test_ood_sweep_gives_each_group_its_physics_and_matches_single_evaluations(tmp_path, tiny_bfm):
    from tasktokens.eval.task import TaskEval, TaskSweep

    kw = dict(task="direction", method="prior_only", bfm=tiny_bfm, episode_steps=40)
    sweep = TaskSweep(kind="gravity", values=(0.0, 3.0), episodes=3, json=tmp_path / "s.json", **kw).run()
    steps = sweep["mean_episode_steps"]
    assert steps["0.0"] == 40 and steps["3.0"] < 40  # nothing falls without gravity; triple gravity fells the untrained BFM
    assert (tmp_path / "s.json").exists() and set(sweep["success_rate"]) == {"0.0", "3.0"}
    # a one-value sweep is the same evaluation as `eval task` at that scale (same seed and batch)
    for kind, key in (("gravity", "gravity_scale"), ("mass", "mass_scale")):
        one = TaskSweep(kind=kind, values=(1.6,), episodes=3, **kw).run()
        single = TaskEval(episodes=3, **{key: 1.6}, **kw).run()
        assert one["success_rate"]["1.6"] == single["success_rate"]
        assert one["mean_episode_steps"]["1.6"] == single["mean_episode_steps"]


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


@pytest.mark.parametrize("method", ["fine_tune", "lora", "ppo_scratch", "latent_policy"])
def test_baselines_train_save_what_they_train_and_evaluate(tmp_path, tiny_bfm, method):
    from tasktokens.eval.task import TaskEval

    runner = _adapt(tmp_path, tiny_bfm, "direction", method=method).run()
    tensors, meta = load_weights(tmp_path / WEIGHTS, HUMANOID3D)
    actor_keys = [k for k in tensors if k.startswith("actor.")]
    bfm, _ = load_bfm(tiny_bfm, HUMANOID3D)
    held = {id(p) for group in runner.alg.optimizer.param_groups for p in group["params"]}  # what it trains, nothing frozen
    assert held == {id(p) for p in [*runner.alg.actor.parameters(), *runner.alg.critic.parameters()] if p.requires_grad}
    if method == "fine_tune":  # every BFM weight is trained and saved, and it moved
        assert any(".bfm.prior_transformer." in k for k in actor_keys)
        moved = [k for k, v in bfm.named_parameters() if not torch.equal(v, dict(runner.alg.actor.bfm.named_parameters())[k])]
        assert moved
        bfm_group, rest = runner.alg.optimizer.param_groups  # the BFM at its own, lower rate
        assert bfm_group["lr"] == 2e-5 and rest["lr"] == 3e-4
        assert {id(p) for p in bfm_group["params"]} == {id(p) for p in runner.alg.actor.bfm.parameters()}
        encoder = {id(p) for p in runner.alg.actor.encoder.parameters()}
        assert encoder <= {id(p) for p in rest["params"]} and {id(p) for p in runner.alg.critic.parameters()} <= {id(p) for p in rest["params"]}
    elif method == "lora":  # only adapters are saved; the base weights are bitwise unchanged
        bfm_keys = [k for k in actor_keys if ".bfm." in k]
        assert bfm_keys and all(k.endswith((".A", ".B")) for k in bfm_keys)
        adapters = {id(p) for n, p in runner.alg.actor.bfm.named_parameters() if n.endswith((".A", ".B"))}
        assert adapters and {id(p) for p in runner.alg.actor.bfm.parameters()} & held == adapters
        base = runner.alg.actor.bfm.prior_transformer.layers[0].linear1.parametrizations.weight.original
        assert torch.equal(base, bfm.prior_transformer.layers[0].linear1.weight)
    else:  # ppo_scratch has no BFM; latent_policy saves its residual MLP, not the frozen BFM
        assert not any(".bfm." in k for k in actor_keys) and any(k.startswith("actor.mlp.") for k in actor_keys)
    rep = TaskEval(task="direction", method=method, token=tmp_path / WEIGHTS, episodes=2, episode_steps=5).run()
    assert rep["method"] == method and rep["trainable_params"] > 0
    with pytest.raises(ValueError, match="trained with method"):
        TaskEval(task="direction", method="task_tokens", token=tmp_path / WEIGHTS, episodes=2, episode_steps=5).run()


def test_lora_starts_from_the_bfm():
    from tasktokens.models.baselines import add_lora
    from tasktokens.models.bfm import BFM, BFMConfig

    torch.manual_seed(0)
    bfm = BFM(BFMConfig(d_model=32, num_layers=1, num_heads=2, latent_dim=8, decoder_hidden=(64,), posterior_hidden=(64,)), 223, 7, 30, 28).eval()
    proprio = torch.randn(4, 223)
    before = bfm.act(proprio)
    assert add_lora(bfm, rank=4) == 2 + 2  # feed-forward pair of the layer + decoder's two linears
    assert torch.allclose(bfm.act(proprio), before, atol=1e-6)  # B = 0: the adapters start as identity


def test_latent_penalty_gradient_is_that_of_the_squared_residual():
    from tasktokens.models.baselines import _LatentHead
    from tasktokens.models.bfm import BFM, BFMConfig

    torch.manual_seed(0)
    bfm = BFM(BFMConfig(d_model=32, num_layers=1, num_heads=2, latent_dim=8, decoder_hidden=(64,), posterior_hidden=(64,)), 223, 7, 30, 28).eval()
    for p in bfm.parameters():
        p.requires_grad_(False)
    head = _LatentHead(bfm, 223, 3, (16,), penalty=0.5)
    torch.nn.init.normal_(head.residual[-1].weight)  # a non-zero residual
    x = torch.randn(4, 226)
    head(x).sum().backward()
    with_hook = head.residual[-1].bias.grad.clone()
    head.zero_grad()
    head.penalty = 0.0
    out = head(x).sum()
    r = head.residual(head.norm(x))
    (out + 0.5 * r.pow(2).sum(-1).mean()).backward()
    assert torch.allclose(with_hook, head.residual[-1].bias.grad, atol=1e-5)


def test_resuming_a_token_through_another_bfm_is_refused_and_loses_nothing(tmp_path, tiny_bfm):
    """The default BFM changes when a newer one is shipped; a token resumed through a BFM other
    than its own would silently train a different policy. Another path to the same file is fine."""
    import dataclasses
    import re
    import shutil

    from safetensors import safe_open
    from safetensors.torch import load_file, save_file

    run = tmp_path / "tok"
    _adapt(run, tiny_bfm, samples=32).run()
    saved = (run / WEIGHTS).read_bytes()
    other = tmp_path / "other_bfm.safetensors"
    tensors = load_file(str(tiny_bfm))
    with safe_open(str(tiny_bfm), "pt") as f:
        metadata = f.metadata()
    name = next(k for k in tensors if k.endswith("weight"))
    tensors[name] = tensors[name] + 0.01  # a different BFM of the same shapes and character
    save_file(tensors, str(other), metadata=metadata)
    with pytest.raises(CheckpointError, match=re.escape(f"resume it with --bfm {tiny_bfm}")):
        dataclasses.replace(_adapt(run, other, samples=64), resume=True).run()
    assert (run / WEIGHTS).read_bytes() == saved
    copy = tmp_path / "copy_of_bfm.safetensors"
    shutil.copy(tiny_bfm, copy)
    runner = dataclasses.replace(_adapt(run, copy, samples=64), resume=True).run()
    assert runner.samples >= 64


def test_resumed_fine_tune_keeps_each_groups_rate_and_takes_a_new_one(tmp_path, tiny_bfm):
    """Resume used to set every parameter group to the saved single rate, so a resumed fine_tune
    trained the BFM at the encoder's 3e-4. Now the groups keep the config's rates, new ones too."""
    import dataclasses

    _adapt(tmp_path, tiny_bfm, method="fine_tune", samples=32).run()
    cfg = dataclasses.replace(_adapt(tmp_path, tiny_bfm, method="fine_tune", samples=64), resume=True)
    for bfm_lr, lr in ((2e-5, 3e-4), (1e-5, 1e-4)):
        cfg = dataclasses.replace(cfg, fine_tune_bfm_lr=bfm_lr, ppo=dataclasses.replace(cfg.ppo, learning_rate=lr))
        runner = cfg.run()
        bfm_group, rest = runner.alg.optimizer.param_groups
        assert (bfm_group["lr"], rest["lr"], runner.learning_rate) == (bfm_lr, lr, lr)
        cfg = dataclasses.replace(cfg, samples=runner.samples + 32)


def test_tokens_saved_before_prior_skills_load_without_skill_tokens_and_resume_only_so(tmp_path, tiny_bfm):
    """A hybrid token trained beside a prior without skill tokens must keep that prior: loading its
    config gives prior_skills False, and resuming it with skill tokens is refused, losing nothing."""
    import dataclasses
    import json

    from tasktokens.models.policies import saved_adapt_config
    from tasktokens.train.checkpoint import CONFIG

    assert saved_adapt_config({"task": "direction", "prior": True}).prior_skills is False
    assert saved_adapt_config({"task": "direction", "prior": True, "prior_skills": True}).prior_skills is True
    run = tmp_path / "tok"
    dataclasses.replace(_adapt(run, tiny_bfm, prior=True, samples=32), prior_skills=True).run()
    config = json.loads((run / CONFIG).read_text())
    assert config["prior_skills"] is True
    del config["prior_skills"]  # as saved before the setting existed
    (run / CONFIG).write_text(json.dumps(config))
    saved = (run / WEIGHTS).read_bytes()
    with pytest.raises(CheckpointError, match="resume it with --no-prior-skills"):
        dataclasses.replace(_adapt(run, tiny_bfm, prior=True, samples=64), resume=True, prior_skills=True).run()
    assert (run / WEIGHTS).read_bytes() == saved
    runner = dataclasses.replace(_adapt(run, tiny_bfm, prior=True, samples=64), resume=True).run()
    assert runner.samples >= 64


def test_fine_tune_refuses_a_schedule_that_would_reset_the_bfm_rate():
    from tasktokens.train.adapt import fine_tune_optimizer

    with pytest.raises(ValueError, match="schedule fixed"):
        fine_tune_optimizer(None, None, AdaptConfig(method="fine_tune", ppo=PPOConfig(schedule="adaptive")))


def test_adapt_and_eval_start_from_given_clips(tmp_path, tiny_bfm, walk_file):
    """--init-motions: the training episodes and the after-training evaluation start from those clips."""
    import json

    from tasktokens.motion.clip import load_clip, save_npz
    from tasktokens.motion.derive import hold_clip

    clip = tmp_path / "walk_hold.npz"
    save_npz(hold_clip(load_clip(walk_file, HUMANOID3D), 0.0, 0.6, 2.0), clip)
    cfg = _adapt(tmp_path / "run", tiny_bfm, "reach", eval_episodes=2)
    cfg.init_motions = (clip,)
    runner = cfg.run()
    assert runner.env.lib.names == ["humanoid3d_walk_hold"]
    report = json.loads((tmp_path / "run" / "eval.json").read_text())
    assert report["init_motions"] == [str(clip)]


def test_adapt_episode_steps_sets_the_training_episodes_and_is_saved(tmp_path, tiny_bfm):
    from tasktokens.train.adapt import build_adapt_runner

    cfg = _adapt(tmp_path, tiny_bfm, "long_jump", prior=True)
    cfg.episode_steps = 7
    runner = build_adapt_runner(cfg)
    assert runner.env.max_episode_length == 7
    runner.learn()
    _, meta = load_weights(tmp_path / WEIGHTS, HUMANOID3D)
    assert meta["config"]["episode_steps"] == 7


def test_adapt_with_the_clip_gait_records_it_and_eval_uses_it(tmp_path, tiny_bfm):
    """--prior-clips trains beside the clip gait (tasks/clip_prior.py), the saved config says so,
    and a token saved before the setting existed loads without it."""
    import dataclasses

    from tasktokens.eval.task import TaskEval
    from tasktokens.models.policies import saved_adapt_config
    from tasktokens.tasks.clip_prior import GaitOptions

    cfg = dataclasses.replace(_adapt(tmp_path, tiny_bfm, "direction", prior=True), prior_clips=True)
    cfg.run()
    _, meta = load_weights(tmp_path / WEIGHTS, HUMANOID3D)
    assert meta["config"]["prior_clips"] is True
    assert (meta["config"]["prior_gait_top_rate"], meta["config"]["prior_gait_feedback"]) == (2.8, 2.0)
    legacy = {k: v for k, v in meta["config"].items() if k != "prior_clips"}
    assert saved_adapt_config(legacy).prior_clips is False
    before_gait = {k: v for k, v in meta["config"].items() if not k.startswith("prior_gait_")}
    assert saved_adapt_config(before_gait).gait_options() == GaitOptions(top_rate=2.0, speed_feedback=1.0)
    report = TaskEval(task="direction", method="task_tokens_prior", token=tmp_path / WEIGHTS, episodes=2, episode_steps=20).run()
    assert report["samples_trained"] == 32
    prior_only = TaskEval(task="direction", method="prior_only", bfm=tiny_bfm, episodes=2, episode_steps=20, prior_clips=True).run()
    assert prior_only["prior_clips"] is True and prior_only["trainable_params"] == 0
    assert prior_only["prior_gait"] == {"top_rate": 2.8, "speed_feedback": 2.0}
    # a probe may swap the gait a token was trained beside: another gait moves a lagging fast command
    from tasktokens.eval.task import load_policy
    from tasktokens.tasks import get_task
    from tasktokens.tasks.base import TaskEnvConfig

    spec = get_task("direction")
    env = spec.env_cls(spec.config_cls(env=TaskEnvConfig(num_envs=8, num_threads=1)))
    obs = env.get_observations()
    fast = env.target_speed >= 3.0  # asks more than 3.84 m/s of a character at clip speed: beyond rate 2.0
    assert bool(fast.any()) and bool((~fast).any())
    with torch.inference_mode():
        own, same, legacy = (load_policy("direction", "task_tokens_prior", tmp_path / WEIGHTS, tiny_bfm, env, g)[0](obs)
                             for g in (None, GaitOptions(2.8, 2.0), GaitOptions(2.0, 1.0)))
    torch.testing.assert_close(own, same, atol=0, rtol=0)
    assert not torch.allclose(own[fast], legacy[fast])
    slow = env.target_speed < 2.0  # the root goals, whatever the gait
    assert bool(slow.any())
    torch.testing.assert_close(own[slow], legacy[slow], atol=0, rtol=0)


def test_a_run_whose_optimizer_held_the_frozen_bfm_resumes_with_its_state(tmp_path, tiny_bfm):
    """Runs saved before make_ppo's optimizer left out the frozen parameters (the BFM's: all of
    them in rsl_rl's optimizer) resume with each trained parameter's Adam moments."""
    import dataclasses

    from tasktokens.train.adapt import build_adapt_runner
    from tasktokens.train.checkpoint import load_state, save_state

    _adapt(tmp_path, tiny_bfm, samples=32).run()
    state = load_state(tmp_path)
    saved = state["optimizer"]
    cfg = dataclasses.replace(_adapt(tmp_path, tiny_bfm, samples=64), resume=True)
    runner = build_adapt_runner(cfg)
    every = [*runner.alg.actor.parameters(), *runner.alg.critic.parameters()]
    trained = [i for i, p in enumerate(every) if p.requires_grad]
    assert len(saved["param_groups"][0]["params"]) == len(trained) < len(every)
    legacy = {"state": {trained[k]: v for k, v in saved["state"].items()},
              "param_groups": [{**saved["param_groups"][0], "params": list(range(len(every)))}]}
    save_state(tmp_path, state | {"optimizer": legacy})
    runner.resume()
    for k, moments in saved["state"].items():
        assert torch.equal(runner.optimizer.state[every[trained[k]]]["exp_avg"], moments["exp_avg"])
    runner.learn()
    assert runner.samples >= 64


def test_cloning_the_prior_moves_only_the_token_toward_the_priors_actions(tmp_path, tiny_bfm):
    from tasktokens.train.adapt import build_adapt_runner
    from tasktokens.train.token_clone import _visit, clone_prior_into_token

    cfg = _adapt(tmp_path, tiny_bfm)
    runner = build_adapt_runner(cfg)
    actor, env = runner.alg.actor, runner.env
    bfm_before = {k: v.clone() for k, v in actor.bfm.state_dict().items()}
    encoder_before = {k: v.clone() for k, v in actor.encoder.state_dict().items()}
    prior = env.prior_fn(actor.bfm.cfg.near_steps, len(env.character.conditionable_bodies) + 1)
    torch.manual_seed(0)
    stats = clone_prior_into_token(env, actor, prior, samples=6 * 16 * env.num_envs, steps_per_env=16, learning_rate=3e-3)
    assert stats.samples == 6 * 16 * env.num_envs
    assert stats.last_mse < stats.first_mse  # the token policy's actions approach the prior's
    assert all(torch.equal(v, actor.bfm.state_dict()[k]) for k, v in bfm_before.items())  # frozen BFM bitwise unchanged
    assert any(not torch.equal(v, actor.encoder.state_dict()[k]) for k, v in encoder_before.items())
    proprio, task, labels = _visit(env, actor, prior, 2)
    assert proprio.shape[0] == task.shape[0] == labels.shape[0] == 2 * env.num_envs


def test_clone_samples_count_toward_the_budget_and_need_the_token_alone(tmp_path, tiny_bfm, capsys):
    from tasktokens.train.adapt import train_token

    runner = train_token(dataclasses.replace(_adapt(tmp_path, tiny_bfm, samples=96), clone_samples=64))
    assert "cloned the direction prior into the token: 64 samples" in capsys.readouterr().out
    assert runner.samples == 96  # 64 cloned + 2 PPO iterations of 16
    with pytest.raises(ValueError, match="--clone-samples clones the task's prior into the token alone"):
        train_token(dataclasses.replace(_adapt(tmp_path / "p", tiny_bfm, prior=True), clone_samples=64))


def test_curve_every_evaluates_the_checkpoint_and_the_card_shows_the_curve(tmp_path, tiny_bfm):
    import json

    from tasktokens.train.adapt import train_token
    from tasktokens.train.curve import SuccessCurve
    from tasktokens.train.model_card import Ship, ship

    cfg = dataclasses.replace(_adapt(tmp_path, tiny_bfm, samples=64), curve_every=32, curve_episodes=3)
    train_token(cfg)  # 4 iterations of 16 samples: points at 32 and 64
    data = json.loads((tmp_path / "curve.json").read_text())
    assert [p["samples"] for p in data["points"]] == [32, 64] and data["episodes"] == 3 and data["every"] == 32
    assert all(0.0 <= p["success_rate"] <= 1.0 and p["segments"] >= 3 and 0 < p["mean_episode_steps"] <= 300 for p in data["points"])
    resumed = SuccessCurve.load(tmp_path, 32, 3)
    assert not resumed.due(80) and resumed.due(96)  # the next point after a resume: at the next multiple
    (tmp_path / "eval.json").write_text(json.dumps({"success_rate": 0.5}))
    card = ship(Ship(run_dir=tmp_path, out=tmp_path / "shipped", eval_json=tmp_path / "eval.json", eval_command="x"))
    text = card.read_text()
    assert "### Learning curve" in text and "| 64 |" in text and (tmp_path / "shipped" / "curve.json").exists()


def test_curve_evaluations_leave_training_unchanged(tmp_path, tiny_bfm):
    """The curve's evaluations build networks (global RNG) between iterations; training must not see it."""
    from safetensors.torch import load_file

    from tasktokens.train.adapt import train_token

    train_token(_adapt(tmp_path / "plain", tiny_bfm, samples=64))
    train_token(dataclasses.replace(_adapt(tmp_path / "curve", tiny_bfm, samples=64), curve_every=16, curve_episodes=2))
    plain, curve = load_file(tmp_path / "plain" / WEIGHTS), load_file(tmp_path / "curve" / WEIGHTS)
    assert plain.keys() == curve.keys()
    assert all(torch.equal(plain[k], curve[k]) for k in plain)


def test_resuming_with_the_prior_switched_is_refused_and_loses_nothing(tmp_path, tiny_bfm):
    """A token learnt beside the prior's goals (or without any): resuming it the other way is refused."""
    run = tmp_path / "alone"
    _adapt(run, tiny_bfm, prior=False, samples=32).run()
    saved = (run / WEIGHTS).read_bytes()
    with pytest.raises(CheckpointError, match="trained with prior=False; resume it with --no-prior"):
        dataclasses.replace(_adapt(run, tiny_bfm, prior=True, samples=64), resume=True).run()
    assert (run / WEIGHTS).read_bytes() == saved


def test_critic_learning_rate_splits_the_optimizer_and_resumes_only_so(tmp_path, tiny_bfm):
    """--critic-learning-rate: the encoder at the PPO rate, the critic at its own; the frozen BFM in
    neither; a run saved with one group is not resumed with two."""
    run = tmp_path / "tok"
    cfg = dataclasses.replace(_adapt(run, tiny_bfm, samples=32), critic_learning_rate=1e-3)
    runner = cfg.run()
    actor_group, critic_group = runner.optimizer.param_groups
    assert (actor_group["lr"], critic_group["lr"]) == (cfg.ppo.learning_rate, 1e-3)
    assert {id(p) for p in actor_group["params"]} == {id(p) for p in runner.alg.actor.encoder.parameters()}
    assert {id(p) for p in critic_group["params"]} == {id(p) for p in runner.alg.critic.parameters()}
    assert dataclasses.replace(cfg, resume=True, samples=64).run().samples >= 64
    plain = tmp_path / "plain"
    _adapt(plain, tiny_bfm, samples=32).run()
    saved = (plain / WEIGHTS).read_bytes()
    with pytest.raises(CheckpointError, match="critic-learning-rate"):
        dataclasses.replace(_adapt(plain, tiny_bfm, samples=64), resume=True, critic_learning_rate=1e-3).run()
    assert (plain / WEIGHTS).read_bytes() == saved
    with pytest.raises(ValueError, match="schedule fixed"):
        dataclasses.replace(cfg, out=tmp_path / "x", ppo=PPOConfig(schedule="adaptive"), critic_learning_rate=1e-3).run()


def test_learning_rate_decay_scales_every_group_linearly_to_zero(tmp_path, tiny_bfm, monkeypatch):
    """--learning-rate-decay: the update after s of S samples runs at (1 - s/S) x each group's rate
    (4 updates of 16 samples in 64: 1, 3/4, 1/2, 1/4); the adaptive schedule is refused."""
    from rsl_rl.algorithms import PPO

    seen = []
    original = PPO.update

    def recording_update(alg):
        seen.append([group["lr"] for group in alg.optimizer.param_groups])
        return original(alg)

    monkeypatch.setattr(PPO, "update", recording_update)
    cfg = dataclasses.replace(_adapt(tmp_path / "tok", tiny_bfm, samples=64), critic_learning_rate=1e-3, learning_rate_decay=True)
    cfg.run()
    base = (cfg.ppo.learning_rate, 1e-3)
    assert seen == [pytest.approx([lr * k for lr in base]) for k in (1.0, 0.75, 0.5, 0.25)]
    with pytest.raises(ValueError, match="schedule fixed"):
        dataclasses.replace(cfg, out=tmp_path / "x", ppo=PPOConfig(schedule="adaptive")).run()


def test_clipped_value_loss_reaches_rsl_rl(tmp_path, tiny_bfm):
    runner = _adapt(tmp_path, tiny_bfm, samples=16).run()
    assert runner.alg.use_clipped_value_loss
    cfg = _adapt(tmp_path / "b", tiny_bfm, samples=16)
    runner = dataclasses.replace(cfg, ppo=dataclasses.replace(cfg.ppo, clipped_value_loss=False)).run()
    assert not runner.alg.use_clipped_value_loss


def test_rollouts_run_with_rollout_threads_and_updates_with_torch_threads(tmp_path, tiny_bfm, monkeypatch):
    from tasktokens.train.adapt import TokenRunner

    seen = {"collect": [], "update": []}
    collect, update = TokenRunner.collect, TokenRunner.update

    def recording(name, fn):
        def wrapper(self):
            seen[name].append(torch.get_num_threads())
            return fn(self)
        return wrapper

    monkeypatch.setattr(TokenRunner, "collect", recording("collect", collect))
    monkeypatch.setattr(TokenRunner, "update", recording("update", update))
    dataclasses.replace(_adapt(tmp_path, tiny_bfm, samples=32), torch_threads=2, rollout_threads=1).run()
    assert seen == {"collect": [1, 1], "update": [2, 2]}
    seen = {"collect": [], "update": []}
    dataclasses.replace(_adapt(tmp_path / "b", tiny_bfm, samples=32), torch_threads=1, rollout_threads=2).run()
    assert seen == {"collect": [2, 2], "update": [1, 1]}
