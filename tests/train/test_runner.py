"""Training runs: checkpoints, resume from the same iteration and optimizer state, wrong character."""

import dataclasses
from pathlib import Path

import pytest
import torch

from tasktokens.algos.ppo import ActorCriticConfig, PPOConfig
from tasktokens.character import HUMANOID3D
from tasktokens.motion.motion_lib import data_root
from tasktokens.tasks.tracking import TrackingConfig
from tasktokens.train.checkpoint import WEIGHTS, CheckpointError, load_state, load_weights
from tasktokens.train.runner import RunnerConfig
from tasktokens.train.tracker import TrackerTrainConfig

CLIP = data_root() / "motions" / "deepmimic" / "clips" / "humanoid3d_walk.txt"


def _config(out, samples, resume=False):
    return TrackerTrainConfig(
        out=out,
        resume=resume,
        env=TrackingConfig(motions=(CLIP,), num_envs=8, num_threads=1),
        ppo=PPOConfig(steps_per_env=4, mini_batches=2, learning_epochs=1),
        models=ActorCriticConfig(actor_hidden=(32,), critic_hidden=(32,)),
        runner=RunnerConfig(max_samples=samples),
        torch_threads=1,
    )


def _resumed_runner(cfg, out):
    from tasktokens.algos.ppo import build_ppo
    from tasktokens.tasks.tracking import TrackingEnv
    from tasktokens.train.runner import Runner

    env = TrackingEnv(cfg.env)
    alg = build_ppo(env.get_observations(), env.num_actions, env.num_envs, cfg.ppo, cfg.models)
    runner = Runner(env, alg, cfg.runner, out, cfg, HUMANOID3D)
    runner.resume()
    return runner


def test_resume_continues_iteration_and_optimizer_state(tmp_path):
    first = _config(tmp_path, 64).run()  # 2 iterations of 8 envs x 4 steps
    assert first.iteration == 2 and first.samples == 64
    saved_opt = first.alg.optimizer.state_dict()
    resumed = _config(tmp_path, 96, resume=True)
    runner = resumed.run()
    assert runner.iteration == 3 and runner.samples == 96
    # the resumed optimizer started from the saved moments: its step count went on from there
    k = next(iter(saved_opt["state"]))
    steps_before = saved_opt["state"][k]["step"]
    assert runner.alg.optimizer.state_dict()["state"][k]["step"] == steps_before + 2  # 1 epoch x 2 minibatches


def test_resume_loads_exactly_what_was_saved(tmp_path):
    first = _config(tmp_path, 32).run()
    runner = _resumed_runner(_config(tmp_path, 32, resume=True), tmp_path)
    for k, v in first.alg.actor.state_dict().items():
        assert torch.equal(v, runner.alg.actor.state_dict()[k]), k
    a, b = first.alg.optimizer.state_dict()["state"], runner.alg.optimizer.state_dict()["state"]
    assert all(torch.equal(a[i]["exp_avg"], b[i]["exp_avg"]) for i in a)
    assert runner.iteration == first.iteration
    assert torch.equal(runner.env.fail_rate, first.env.fail_rate)


@pytest.mark.parametrize("schedule", ["fixed", "adaptive"])
def test_resume_learning_rate_is_the_configs_under_a_fixed_schedule_and_the_runs_under_adaptive(tmp_path, schedule):
    """`--resume --ppo.learning-rate X` anneals a fixed-schedule run (tokens); an adaptive run
    (the tracker) goes on from the rate it had adapted to, whatever the config says."""
    import json

    _config(tmp_path, 32).run()
    state_path = tmp_path / "train_state.json"
    state = json.loads(state_path.read_text())
    state["learning_rate"] = 1.234e-4  # as if the schedule had moved it
    state_path.write_text(json.dumps(state))
    cfg = _config(tmp_path, 64, resume=True)
    cfg = dataclasses.replace(cfg, ppo=dataclasses.replace(cfg.ppo, schedule=schedule, learning_rate=5e-5))
    runner = _resumed_runner(cfg, tmp_path)
    want = 5e-5 if schedule == "fixed" else 1.234e-4
    assert runner.learning_rate == pytest.approx(want)
    assert all(g["lr"] == pytest.approx(want) for g in runner.alg.optimizer.param_groups)


def test_resume_without_checkpoint_is_a_clear_error(tmp_path):
    with pytest.raises(CheckpointError, match="nothing to resume"):
        _config(tmp_path / "empty", 32, resume=True).run()


def test_resume_refuses_weights_and_state_of_different_checkpoints(tmp_path):
    """Weights re-shipped beside an older training state would continue with the old optimizer
    and counters: refused, naming both sample counts, and nothing in the folder is touched."""
    import shutil

    _config(tmp_path / "short", 32).run()
    _config(tmp_path / "long", 64).run()
    for name in ("train_state.json", "train_state.safetensors"):
        shutil.copy2(tmp_path / "short" / name, tmp_path / "long" / name)
    before = (tmp_path / "long" / WEIGHTS).read_bytes()
    with pytest.raises(CheckpointError, match="at 64 samples but train_state.json at 32"):
        _config(tmp_path / "long", 96, resume=True).run()
    assert (tmp_path / "long" / WEIGHTS).read_bytes() == before


def test_checkpoint_for_another_character_is_refused(tmp_path):
    _config(tmp_path, 32).run()
    other = dataclasses.replace(HUMANOID3D, name="smpl")
    with pytest.raises(CheckpointError, match="humanoid3d"):
        load_weights(tmp_path / WEIGHTS, other)


def test_corrupt_checkpoint_is_a_clear_error(tmp_path):
    bad = tmp_path / WEIGHTS
    bad.write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match=str(bad)):
        load_weights(bad, HUMANOID3D)


def test_sigterm_saves_a_checkpoint_and_exits(tmp_path):
    """A background run stopped with SIGTERM writes its checkpoint before it exits."""
    import os
    import signal
    import subprocess
    import sys
    import time

    cmd = [sys.executable, "-m", "tasktokens.cli.main", "pretrain", "tracker", "--out", str(tmp_path), "--env.motions", str(CLIP),
           "--env.num-envs", "8", "--env.num-threads", "1", "--ppo.steps-per-env", "4", "--ppo.mini-batches", "2",
           "--models.actor-hidden", "32", "--models.critic-hidden", "32", "--runner.max-samples", "100000000", "--torch-threads", "1"]
    log = tmp_path / "log.txt"
    with open(log, "w") as f:
        proc = subprocess.Popen(cmd, stdout=f, stderr=subprocess.STDOUT, env=os.environ | {"PYTHONUNBUFFERED": "1"})
    deadline = time.time() + 120
    while "it 3 " not in log.read_text() and time.time() < deadline and proc.poll() is None:
        time.sleep(0.2)
    assert proc.poll() is None, log.read_text()
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=60) == 0, log.read_text()
    state = load_state(tmp_path)
    assert state["iteration"] >= 3
    tensors, meta = load_weights(tmp_path / WEIGHTS, HUMANOID3D)
    assert meta["iteration"] == state["iteration"] and meta["config"]["env"]["num_envs"] == 8


def test_eval_and_video_of_a_tracker(tmp_path):
    from tasktokens.eval.tracker import PlayTracker, TrackerEval

    _config(tmp_path, 32).run()
    report = TrackerEval(motions=(CLIP,), episodes=3, checkpoint=tmp_path / WEIGHTS, num_envs=3, max_seconds=1.0, json=tmp_path / "e.json").run()
    assert set(report) >= {"success_rate", "locomotion_success_rate", "mpjpe_mm", "per_clip"}
    assert report["per_clip"]["humanoid3d_walk"]["episodes"] == 3 and (tmp_path / "e.json").exists()
    path = PlayTracker(clip="humanoid3d_walk", motions=(CLIP,), checkpoint=tmp_path / WEIGHTS, out=tmp_path / "t.gif", seconds=0.3).run()
    assert path.exists() and path.stat().st_size > 1000


def test_training_state_round_trip_without_pickles(tmp_path):
    from tasktokens.train.checkpoint import save_state

    opt = torch.optim.Adam([torch.nn.Parameter(torch.randn(3)), torch.nn.Parameter(torch.randn(2, 2))], lr=1e-3)
    sum(p.sum() for g in opt.param_groups for p in g["params"]).backward()
    opt.step()
    state = {"iteration": 7, "optimizer": opt.state_dict(), "rng": torch.get_rng_state(), "env": {"names": ["a", "b"], "rate": torch.ones(2)}}
    save_state(tmp_path, state)
    back = load_state(tmp_path)
    assert back["iteration"] == 7 and back["env"]["names"] == ["a", "b"] and torch.equal(back["env"]["rate"], torch.ones(2))
    assert torch.equal(back["rng"], state["rng"])
    fresh = torch.optim.Adam([torch.nn.Parameter(torch.zeros(3)), torch.nn.Parameter(torch.zeros(2, 2))], lr=5.0)
    fresh.load_state_dict(back["optimizer"])
    assert fresh.param_groups[0]["lr"] == 1e-3
    assert torch.equal(fresh.state_dict()["state"][1]["exp_avg_sq"], opt.state_dict()["state"][1]["exp_avg_sq"])


def test_saved_paths_inside_the_repo_stay_valid_in_another_clone(tmp_path, monkeypatch):
    from tasktokens.train.checkpoint import REPO_ROOT, repo_relative, resolve_saved_path

    shipped = REPO_ROOT / "checkpoints" / "tracker" / "checkpoint.safetensors"
    assert repo_relative(shipped) == "checkpoints/tracker/checkpoint.safetensors"
    assert repo_relative(tmp_path / "run") == str(tmp_path / "run")  # outside the repo: unchanged
    monkeypatch.chdir(tmp_path)  # relative paths that do not exist here resolve against the repo
    assert resolve_saved_path("checkpoints/tracker/checkpoint.safetensors") == shipped
    (tmp_path / "mine.safetensors").write_bytes(b"")
    assert resolve_saved_path("mine.safetensors") == Path("mine.safetensors")


def test_running_success_of_a_task_counts_segments_not_upright_episodes():
    from tasktokens.train.runner import TrainLoop

    loop = TrainLoop(env=None, cfg=RunnerConfig(), out=Path("unused"), full_config=None, character=None)
    loop._record_episodes(done_n=10, success_n=10, ret_sum=5.0, segments=(4000, 1000))
    assert loop.success_ema == 0.25  # 1000 of 4000 segments; every episode was upright
    assert loop.return_ema == pytest.approx(10 / 2000 * 0.5)  # return still per episode, smoothed
    loop._record_episodes(done_n=4000, success_n=1000, ret_sum=0.0)  # a tracker: per episode
    assert loop.success_ema == 0.25
