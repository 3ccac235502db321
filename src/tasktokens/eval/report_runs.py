"""The cached runs of `tasktokens report` (eval/compare.py): the settings a row trains with,
whether a cached run may be extended, which weights a stage's evaluation uses, and whether a cached
evaluation still holds."""

from __future__ import annotations

import json
from pathlib import Path

from tasktokens.tasks import adaptable_task_names, get_task
from tasktokens.tasks.base import TaskEnvConfig
from tasktokens.train.adapt_config import TASK_RECIPES, AdaptConfig, with_legacy_settings
from tasktokens.train.checkpoint import CONFIG, WEIGHTS, saved_samples, to_jsonable

RUN_ONLY = {"samples", "out", "resume", "eval_episodes", "video", "torch_threads", "rollout_threads", "sim_threads", "device"}
"""AdaptConfig fields that do not change what a cached run learnt."""
ADDED_SETTINGS = {"fine_tune_bfm_lr": lambda cfg: cfg.method == "fine_tune"}
"""AdaptConfig fields added after runs were cached whose old behaviour no value of the field gives,
and which runs' training they change: a cached run of those without the field was trained under
the old behaviour. Fields whose old behaviour is a value are in train/adapt_config.py LEGACY_SETTINGS
(LEGACY_PPO_SETTINGS)."""


def row_defaults(task: str, trained: str, prior: bool) -> AdaptConfig:
    """The settings a report row trains with before the report's own (budget, seed, BFM): the
    token beside the prior takes the task's recipe (TASK_RECIPES: its prior, e.g. direction's clip
    gait, and its learning rates), as `tasktokens adapt --task T` does, so the row measures the
    hybrid as the project ships it; the token alone and the baselines take AdaptConfig's common
    defaults."""
    common = AdaptConfig(task=task, method=trained, prior=prior)
    recipe = TASK_RECIPES.get(task)
    return recipe.apply(common) if trained == "task_tokens" and prior and recipe is not None else common


def check_cached_run(run: Path, cfg: AdaptConfig) -> None:
    """Refuse to extend or reuse a cached run trained with other settings than the report's now."""
    saved_path = run / CONFIG
    if not saved_path.exists():
        return
    saved, want = with_legacy_settings(json.loads(saved_path.read_text())), to_jsonable(cfg)
    differ = sorted(k for k in want if k not in RUN_ONLY and k in saved and saved[k] != want[k])
    differ += sorted(k for k, changes in ADDED_SETTINGS.items() if k not in saved and changes(cfg))
    if differ:
        raise ValueError(f"{run}: cached run trained with other settings ({', '.join(differ)}) than this report's; "
                         f"delete that folder to retrain it, or pass another --runs")


def stage_weights_name(samples: int) -> str:
    """File name of a run's weights kept as they were after training to `samples` (a stage)."""
    return f"weights_{samples}.safetensors"


def stage_weights(run: Path, samples: int, cache: Path) -> Path:
    """The weights a stage's evaluation must use: the stage's copy, or the run's latest weights
    when they are the ones the cached evaluation (cache) was made with. A run cached before
    stage copies were kept, whose stale evaluation of an earlier stage must be redone, is refused:
    evaluating its later weights would put them at the earlier sample count."""
    stage = run / stage_weights_name(samples)
    if stage.exists():
        return stage
    latest = saved_samples(run / WEIGHTS)
    evaluated = json.loads(cache.read_text()).get("samples_trained") if cache.exists() else None
    if evaluated in (None, latest):
        return run / WEIGHTS
    raise ValueError(f"{run}: {cache.name} (a stage at {samples:,} samples) must be re-evaluated, but the run keeps only its "
                     f"weights at {latest:,} samples; delete that folder so the report retrains it")


def same_success_rule(report: dict) -> bool:
    """Whether a cached evaluation judged success as evaluations do now: with today's speed window
    for a task that reads it (evaluations from before the window have none), and for the other
    tasks with or without the window in the report (eval/task.py speed_window)."""
    if "speed_window_steps" in report:
        return report["speed_window_steps"] == TaskEnvConfig.speed_window_steps
    task = report.get("task")
    return task in adaptable_task_names() and not get_task(task).env_cls.reads_speed_window
