"""`tasktokens report` at a CI-sized budget: every requested cell, the keys, the plots, the cache."""

import dataclasses
import json

import pytest

from tasktokens.algos.ppo import PPOConfig
from tasktokens.eval.compare import ReportConfig, return_at, samples_to_90


def test_samples_to_90():
    curves = [[(10, 0.1), (20, 0.85), (30, 1.0)], [(10, 0.3), (20, 0.95), (30, 0.9)]]
    assert samples_to_90(curves) == 20  # means 0.2, 0.9, 0.95: 0.9 >= 0.9 * 0.95
    assert samples_to_90([[(10, 0.0), (20, 0.0)]]) is None


def test_return_at_takes_the_last_logged_value_up_to_the_stage():
    log = [(8, 1.0), (16, 2.5), (24, 3.0)]
    assert return_at(log, 16) == 2.5 and return_at(log, 23) == 2.5 and return_at(log, 100) == 3.0
    assert return_at(log, 7) != return_at(log, 7)  # nan: nothing logged yet


def _small(tmp_path, tiny_bfm, **kw) -> ReportConfig:
    args = dict(tasks=("reach", "strike"), methods=("task_tokens", "prior_only", "ppo_scratch"), samples=32, stages=2, seeds=1,
                episodes=2, episode_steps=20, num_envs=4, gravity=(0.5, 1.0), friction=(1.0,), mass=(1.0,), ood_episodes=2,
                bfm=tiny_bfm, runs=tmp_path / "runs", out_md=tmp_path / "results.md", out_json=tmp_path / "results.json",
                plots_dir=tmp_path / "plots", discussion=tmp_path / "discussion.md",
                adapt_overrides=dict(encoder_hidden=(32,), critic_hidden=(32,), torch_threads=1,
                                     ppo=PPOConfig(steps_per_env=4, mini_batches=2, learning_epochs=1)))
    return ReportConfig(**(args | kw))


def test_small_report(tmp_path, tiny_bfm):
    cfg = _small(tmp_path, tiny_bfm)
    (tmp_path / "discussion.md").write_text("## Comparison with the paper\n\nhand-written\n")
    results = cfg.run()
    saved = json.loads((tmp_path / "results.json").read_text())
    assert set(saved) >= {"success", "params", "samples_to_90", "ood", "naturalness", "plots"}
    assert set(saved["success"]["task_tokens"]) == {"reach", "strike"}
    assert set(saved["success"]["prior_only"]) == {"reach"}  # no hand-written goals for strike
    assert saved["params"]["prior_only"]["reach"] == 0 and saved["params"]["ppo_scratch"]["reach"] > 0
    assert [x for x, _ in saved["curves"]["task_tokens"]["reach"][0]] == [16, 32]
    from tasktokens.train.checkpoint import saved_samples  # each stage's weights kept for re-evaluation

    run = tmp_path / "runs" / "reach" / "seed0"
    assert [saved_samples(run / f"weights_{n}.safetensors") for n in (16, 32)] == [16, 32]
    # training return at the same sample counts, read back from the run's TensorBoard log
    assert [x for x, _ in saved["return_curves"]["ppo_scratch"]["strike"][0]] == [16, 32]
    assert all(r == r for _, r in saved["return_curves"]["task_tokens"]["reach"][0]) and "prior_only" not in saved["return"]
    assert set(saved["ood"]["gravity"]["task_tokens"]["reach"]) == {"0.5", "1.0"}
    steps = saved["ood_steps"]["gravity"]["task_tokens"]["reach"]  # time upright, out of episode_steps
    assert set(steps) == {"0.5", "1.0"} and all(0 < v <= 20 for v in steps.values())
    assert all((tmp_path / "plots" / f).exists() for f in ("convergence.png", "ood_gravity.png", "ood_friction.png", "ood_mass.png"))
    md = (tmp_path / "results.md").read_text()
    assert "| task_tokens |" in md and "32 samples per run" in md
    assert saved["bfm"] == str(tiny_bfm) and f"BFM: `{tiny_bfm}`" in md  # outside the repository: kept as given
    assert len(saved["commit"]) == 40 and all(c in "0123456789abcdef" for c in saved["commit"])  # the figures' commit
    assert md.rstrip().endswith("## Comparison with the paper\n\nhand-written")  # the discussion follows the tables
    again = cfg.run()  # everything cached: same numbers without training
    assert again["success"] == results["success"]


def test_keep_other_methods_re_runs_one_row_and_keeps_the_others_and_their_order(tmp_path, tiny_bfm):
    """After a fix to one method its row is re-run alone: the other rows stay bitwise, in their
    place, and the report says which row was re-run; a report of another budget is refused."""
    _small(tmp_path, tiny_bfm, methods=("task_tokens", "ppo_scratch", "prior_only"), gravity=(1.0,)).run()
    before = json.loads((tmp_path / "results.json").read_text())
    rerun = _small(tmp_path, tiny_bfm, methods=("ppo_scratch",), gravity=(1.0,), runs=tmp_path / "fresh_runs", keep_other_methods=True)
    after = rerun.run()
    for key in ("success", "curves", "params", "naturalness"):
        assert list(after[key]) == ["task_tokens", "ppo_scratch", "prior_only"]
        assert after[key]["task_tokens"] == before[key]["task_tokens"] and after[key]["prior_only"] == before[key]["prior_only"]
    assert after["ood"]["gravity"]["task_tokens"] == before["ood"]["gravity"]["task_tokens"]
    assert (tmp_path / "fresh_runs" / "reach_ppo_scratch" / "seed0").is_dir()  # trained again, not read from the old runs
    assert not (tmp_path / "fresh_runs" / "reach" / "seed0").exists()
    assert set(after["reruns"]) == {"ppo_scratch"}
    md = (tmp_path / "results.md").read_text()
    assert "Re-run later (`--keep-other-methods`): ppo_scratch" in md
    assert md.index("| task_tokens |") < md.index("| ppo_scratch |") < md.index("| prior_only |")
    saved = (tmp_path / "results.json").read_bytes()
    with pytest.raises(ValueError, match="re-run its methods with its own budget flags"):
        _small(tmp_path, tiny_bfm, methods=("ppo_scratch",), samples=64, keep_other_methods=True).run()
    with pytest.raises(ValueError, match=r"pass them all with --tasks"):
        _small(tmp_path, tiny_bfm, methods=("ppo_scratch",), tasks=("reach",), gravity=(1.0,), keep_other_methods=True).run()
    assert (tmp_path / "results.json").read_bytes() == saved


def test_a_cached_evaluation_judged_by_another_success_rule_is_redone(tmp_path):
    from tasktokens.tasks.base import TaskEnvConfig

    path = tmp_path / "eval.json"
    path.write_text(json.dumps({"success_rate": 0.9}))  # written before the speed window existed
    calls = []
    fresh = {"success_rate": 0.1, "speed_window_steps": TaskEnvConfig.speed_window_steps}
    assert ReportConfig._cached(path, lambda: calls.append(1) or fresh)["success_rate"] == 0.1
    assert ReportConfig._cached(path, lambda: calls.append(1) or {})["success_rate"] == 0.1  # now it is reused
    assert calls == [1]


def test_a_cached_run_trained_with_other_settings_is_refused(tmp_path):
    from tasktokens.eval.report_runs import check_cached_run
    from tasktokens.train.adapt import AdaptConfig
    from tasktokens.train.checkpoint import to_jsonable

    cfg = AdaptConfig(task="reach", samples=64, out=tmp_path)
    check_cached_run(tmp_path, cfg)  # nothing cached yet
    saved = to_jsonable(cfg) | {"samples": 32, "resume": True}  # a shorter run of the same settings: extended
    (tmp_path / "config.json").write_text(json.dumps(saved))
    check_cached_run(tmp_path, cfg)
    (tmp_path / "config.json").write_text(json.dumps(saved | {"encoder_hidden": [32]}))
    with pytest.raises(ValueError, match=r"encoder_hidden.*delete that folder"):
        check_cached_run(tmp_path, cfg)
    old = {k: v for k, v in saved.items() if k != "fine_tune_bfm_lr"}  # cached before the setting existed
    (tmp_path / "config.json").write_text(json.dumps(old))
    check_cached_run(tmp_path, cfg)  # task_tokens does not use it
    (tmp_path / "config.json").write_text(json.dumps(old | {"method": "fine_tune"}))
    with pytest.raises(ValueError, match="fine_tune_bfm_lr"):
        check_cached_run(tmp_path, AdaptConfig(task="reach", method="fine_tune", out=tmp_path))
    hybrid = {k: v for k, v in saved.items() if k != "prior_skills"} | {"prior": True}  # a prior run cached before prior_skills
    (tmp_path / "config.json").write_text(json.dumps(hybrid))
    check_cached_run(tmp_path, AdaptConfig(task="reach", prior=True, samples=64, out=tmp_path))  # trained as the default now trains
    with pytest.raises(ValueError, match="prior_skills"):
        check_cached_run(tmp_path, AdaptConfig(task="reach", prior=True, prior_skills=True, samples=64, out=tmp_path))
    # cached before ppo.clipped_value_loss and learning_rate_decay: trained as their defaults train
    before = {k: v for k, v in saved.items() if k != "learning_rate_decay"}
    before["ppo"] = {k: v for k, v in saved["ppo"].items() if k != "clipped_value_loss"}
    (tmp_path / "config.json").write_text(json.dumps(before))
    check_cached_run(tmp_path, cfg)
    with pytest.raises(ValueError, match="ppo"):
        check_cached_run(tmp_path, dataclasses.replace(cfg, ppo=dataclasses.replace(cfg.ppo, clipped_value_loss=False)))
    with pytest.raises(ValueError, match="learning_rate_decay"):
        check_cached_run(tmp_path, dataclasses.replace(cfg, learning_rate_decay=True))


def test_a_stale_stage_evaluation_uses_that_stage_s_weights_or_is_refused(tmp_path):
    """Re-evaluating stage 40,000 of a run whose only weights are at 122,880 samples would plot the
    final policy at 40,000 samples: the stage's copy is used, and without one the run is refused."""
    import torch
    from safetensors.torch import save_file

    from tasktokens.eval.report_runs import stage_weights

    save_file({"x": torch.zeros(1)}, str(tmp_path / "checkpoint.safetensors"), metadata={"samples": "122880"})
    cache = tmp_path / "eval_40000.json"
    cache.write_text(json.dumps({"success_rate": 0.0, "samples_trained": 40960}))  # stale, of an earlier stage
    with pytest.raises(ValueError, match=r"only its weights at 122,880 samples; delete that folder"):
        stage_weights(tmp_path, 40000, cache)
    last = tmp_path / "eval_120000.json"
    last.write_text(json.dumps({"success_rate": 0.0, "samples_trained": 122880}))  # the latest stage: its weights
    assert stage_weights(tmp_path, 120000, last) == tmp_path / "checkpoint.safetensors"
    save_file({"x": torch.ones(1)}, str(tmp_path / "weights_40000.safetensors"), metadata={"samples": "40960"})
    assert stage_weights(tmp_path, 40000, cache) == tmp_path / "weights_40000.safetensors"


def test_a_stage_stopped_by_sigterm_is_neither_kept_nor_evaluated(tmp_path, tiny_bfm, monkeypatch):
    """A report built in pieces: a training run stopped before its stage's samples (SIGTERM) ends
    the report; no stage weights or evaluation are cached for the part-trained stage, and the same
    command trains it on."""
    from tasktokens.train.adapt_config import AdaptConfig

    real_run = AdaptConfig.run

    def stopped(self):  # as if SIGTERM came halfway through the stage
        return real_run(self.__class__(**{**self.__dict__, "samples": self.samples // 2}))

    cfg = _small(tmp_path, tiny_bfm, tasks=("reach",), methods=("task_tokens",), gravity=(), friction=(), mass=())
    monkeypatch.setattr(AdaptConfig, "run", stopped)
    with pytest.raises(SystemExit, match="stopped at 16 of 32 samples"):  # stage 1 (16) is one whole iteration of 16
        cfg.run()
    run = tmp_path / "runs" / "reach" / "seed0"
    assert [p.name for p in run.glob("weights_*")] == ["weights_16.safetensors"]
    assert [p.name for p in run.glob("eval_*.json")] == ["eval_16.json"]
    monkeypatch.setattr(AdaptConfig, "run", real_run)
    saved = cfg.run()
    assert [x for x, _ in saved["curves"]["task_tokens"]["reach"][0]] == [16, 32]


def test_the_hybrid_row_trains_with_the_task_recipe_and_prior_only_shows_that_prior(tmp_path, tiny_bfm):
    """task_tokens_prior on direction trains as `tasktokens adapt` does (TASK_RECIPES: the clip gait,
    the critic's rate), and prior_only is evaluated with the same prior; a prior_only evaluation
    cached without the clip gait is redone."""
    from tasktokens.train.adapt_config import TASK_RECIPES

    small = dict(encoder_hidden=(32,), critic_hidden=(32,), torch_threads=1,
                 ppo=PPOConfig(steps_per_env=4, mini_batches=2, learning_epochs=1, schedule="fixed"))
    cfg = _small(tmp_path, tiny_bfm, tasks=("direction",), methods=("task_tokens_prior", "prior_only"), samples=16, stages=1,
                 gravity=(), friction=(), mass=(), adapt_overrides=small)
    cfg.run()
    recipe = TASK_RECIPES["direction"]
    saved = json.loads((tmp_path / "runs" / "direction_prior" / "seed0" / "config.json").read_text())
    assert (saved["prior"], saved["prior_clips"], saved["critic_learning_rate"]) == (True, recipe.prior_clips, recipe.critic_learning_rate)
    assert recipe.prior_clips and recipe.critic_learning_rate > 0  # what the row is meant to differ by
    cached = tmp_path / "runs" / "direction_prior_only" / "eval.json"
    report = json.loads(cached.read_text())
    assert report["prior_clips"] is True
    cached.write_text(json.dumps({k: v for k, v in report.items() if k not in ("prior_clips", "prior_gait")} | {"success_rate": 7.0}))
    assert cfg.run()["success"]["prior_only"]["direction"] != 7.0
    assert json.loads(cached.read_text())["prior_clips"] is True
    report = json.loads(cached.read_text())  # the clip gait with another top rate: redone too
    cached.write_text(json.dumps(report | {"prior_gait": report["prior_gait"] | {"top_rate": 2.0}, "success_rate": 7.0}))
    assert cfg.run()["success"]["prior_only"]["direction"] != 7.0
    assert json.loads(cached.read_text())["prior_gait"] == report["prior_gait"]


def test_task_tokens_gets_seeds_and_every_other_trained_row_seeds_other():
    """Issue 45's design: 3 seeds for Task Tokens, 2 for each baseline (fine-tuning included);
    the budget records which rows took --seeds, and a report from before says its own."""
    from tasktokens.eval.compare import OOD_KINDS, PER_METHOD, render_markdown

    cfg = ReportConfig(seeds=3, seeds_other=2)
    assert [cfg._seeds(m) for m in ("task_tokens", "task_tokens_prior", "fine_tune", "lora", "ppo_scratch")] == [3, 2, 2, 2, 2]
    assert cfg.budget()["seeded_rows"] == ["task_tokens"]
    empty = {key: {} for key in PER_METHOD} | {k: {kind: {} for kind in OOD_KINDS} for k in ("ood", "ood_steps")} | {"plots": {}}
    assert "3 seeds for task_tokens (2 otherwise)" in render_markdown(empty | {"budget": cfg.budget()}, cfg)
    legacy = {k: v for k, v in cfg.budget().items() if k != "seeded_rows"}
    assert "3 seeds for task_tokens and fine_tune (2 otherwise)" in render_markdown(empty | {"budget": legacy}, cfg)
