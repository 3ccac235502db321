"""`tasktokens adapt`'s defaults: per task (the main job is the direction hybrid), the token alone
with --no-prior, and a resumed run's own prior."""

import json

from tasktokens.cli.main import parse
from tasktokens.train.adapt_config import LEGACY_SETTINGS, TASK_RECIPES, AdaptConfig


def test_the_main_job_is_the_direction_recipe():
    cfg = parse(["adapt"])
    recipe = TASK_RECIPES["direction"]
    assert (cfg.task, cfg.method, cfg.prior, cfg.prior_clips) == ("direction", "task_tokens", True, True)
    assert (cfg.samples, cfg.ppo.learning_rate, cfg.critic_learning_rate) == (recipe.samples, recipe.learning_rate, recipe.critic_learning_rate)
    assert (cfg.samples, cfg.ppo.learning_rate, cfg.critic_learning_rate) == (1_500_000, 2e-4, 1e-3)
    assert cfg.ppo.schedule == "fixed"  # which a critic rate of its own needs
    assert cfg.ppo.learning_epochs == AdaptConfig().ppo.learning_epochs  # the rest of PPO unchanged
    assert str(cfg.run_folder()) == "runs/tokens/direction_prior"


def test_flags_override_the_recipe_and_no_prior_gives_the_token_alone():
    assert parse(["adapt", "--ppo.learning-rate", "3e-4", "--samples", "100"]).ppo.learning_rate == 3e-4
    assert parse(["adapt", "--no-prior"]) == AdaptConfig(prior=False)  # the token alone, as before
    assert parse(["adapt", "--method", "lora"]) == AdaptConfig(method="lora")
    strike = parse(["adapt", "--task=strike"])
    assert strike == AdaptConfig(task="strike")  # tasks without a recipe keep AdaptConfig's
    assert parse(["adapt", "--task", "strike", "--prior"]).prior is True


def _saved_run(folder, **fields):
    folder.mkdir(parents=True)
    (folder / "config.json").write_text(json.dumps({"task": "direction", "method": "task_tokens", **fields}))
    return folder


def test_resume_goes_on_beside_the_runs_own_prior(tmp_path):
    alone = _saved_run(tmp_path / "alone", prior=False, prior_clips=False)
    cfg = parse(["adapt", "--resume", "--out", str(alone)])
    assert (cfg.prior, cfg.prior_clips) == (False, False)
    assert cfg.critic_learning_rate == 0.0  # saved before the setting existed: the critic at the PPO rate
    assert (cfg.samples, cfg.ppo.learning_rate) == (2_500_000, 3e-4)  # a token-alone run: the common defaults, not the recipe
    hybrid = _saved_run(tmp_path / "hybrid", prior=True, prior_clips=True, critic_learning_rate=1e-3, samples=99)
    cfg = parse(["adapt", "--resume", "--out", str(hybrid), "--samples", "3000000"])
    assert (cfg.prior, cfg.critic_learning_rate, cfg.ppo.learning_rate, cfg.samples) == (True, 1e-3, 2e-4, 3_000_000)
    old = _saved_run(tmp_path / "old", prior=True)  # saved before prior_clips and the gait existed
    cfg = parse(["adapt", "--resume", f"--out={old}"])
    assert (cfg.prior, cfg.prior_clips, cfg.prior_gait_top_rate) == (True, False, LEGACY_SETTINGS["prior_gait_top_rate"])
    assert parse(["adapt", "--resume", "--out", str(old), "--prior-clips"]).prior_clips is True  # a flag still wins
    assert parse(["adapt", "--out", str(alone)]).prior is True  # not resuming: the recipe
    other = tmp_path / "other"
    other.mkdir()
    (other / "config.json").write_text(json.dumps({"task": "strike", "prior": False}))
    assert parse(["adapt", "--resume", "--out", str(other)]).prior is True  # another task's run: no effect


def test_legacy_gait_settings_match_the_clip_prior():
    from tasktokens.tasks.clip_prior import LEGACY_GAIT

    assert LEGACY_SETTINGS["prior_gait_top_rate"] == LEGACY_GAIT.top_rate
    assert LEGACY_SETTINGS["prior_gait_feedback"] == LEGACY_GAIT.speed_feedback
