"""The policy (actor) of each `tasktokens adapt` method, built on a task environment and the
frozen BFM, and the AdaptConfig a trained policy was saved with. Shared by training
(train/adapt.py) and evaluation (eval/task.py, eval/switch.py): evaluating a token does not import
the trainer, and the trainer imports the evaluation it runs after training."""

from __future__ import annotations

from tasktokens.models.baselines import LatentActor, add_lora, scratch_actor, unfreeze
from tasktokens.models.bfm import BFM
from tasktokens.models.task_tokens import TaskEncoder, TaskTokenActor
from tasktokens.train.adapt_config import AdaptConfig, with_legacy_settings
from tasktokens.train.checkpoint import from_jsonable


def task_prior(cfg: AdaptConfig, env, bfm: BFM):
    """The task's hand-written prior for this BFM's goal layout, with the BFM's skill labels when
    cfg.prior_skills and the clip gait cfg.gait_options() asks for (TaskEnv.prior_fn)."""
    entities = len(env.character.conditionable_bodies) + 1
    skills = bfm.cfg.skill_names if cfg.prior_skills else ()
    return env.prior_fn(bfm.cfg.near_steps, entities, skills, cfg.gait_options())


def _task_token_actor(cfg: AdaptConfig, env, bfm: BFM) -> TaskTokenActor:
    obs = env.get_observations()
    prior = task_prior(cfg, env, bfm) if cfg.prior else None
    encoder = TaskEncoder(env.num_task_obs, bfm.cfg.d_model, cfg.encoder_hidden, cfg.encoder_zero_init, cfg.token_rms)
    return TaskTokenActor(obs, bfm, encoder, prior, cfg.action_std, cfg.token_shift_penalty)


def _lora_actor(cfg: AdaptConfig, env, bfm: BFM) -> TaskTokenActor:
    actor = _task_token_actor(cfg, env, bfm)
    add_lora(actor.bfm)
    return actor


METHODS = {
    "task_tokens": _task_token_actor,
    "fine_tune": lambda cfg, env, bfm: unfreeze(_task_token_actor(cfg, env, bfm)),
    "lora": _lora_actor,
    "ppo_scratch": lambda cfg, env, bfm: scratch_actor(env.get_observations(), env.num_actions),
    "latent_policy": lambda cfg, env, bfm: LatentActor(
        env.get_observations(), bfm, cfg.encoder_hidden, cfg.latent_penalty, cfg.action_std
    ),
}
"""Actor builders by method: (config, env, BFM or None) -> actor for rsl_rl's PPO."""


def build_actor(cfg: AdaptConfig, env, bfm: BFM | None):
    return METHODS[cfg.method](cfg, env, bfm)


def needs_bfm(method: str) -> bool:
    return method != "ppo_scratch"


def saved_adapt_config(data: dict) -> AdaptConfig:
    """A token's saved config, with the legacy values (train/adapt_config.py with_legacy_settings) of the fields it predates."""
    return from_jsonable(AdaptConfig, with_legacy_settings(data))
