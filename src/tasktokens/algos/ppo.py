"""PPO from rsl_rl (rsl-rl-lib): its PPO, RolloutStorage (GAE, minibatches, clipped losses) and
MLPModel; this module only turns the project's typed config into those objects.
docs/rl-library.md says why rsl_rl rather than TorchRL.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # rsl_rl (and torch) load when a model is built, not when the CLI parses PPOConfig
    from rsl_rl.algorithms import PPO
    from rsl_rl.models import MLPModel
    from tensordict import TensorDict
    from torch import nn


@dataclass
class PPOConfig:
    """PPO hyper-parameters (rsl_rl names)."""

    steps_per_env: int = 16
    """Rollout length per environment and iteration."""
    # fewer than the paper's 6: the update dominates CPU time
    learning_epochs: int = 3
    """Passes over each rollout."""
    mini_batches: int = 4
    """Minibatches per epoch."""
    clip_param: float = 0.2
    """PPO's clip range of the probability ratio."""
    gamma: float = 0.99
    """Discount factor."""
    lam: float = 0.95
    """GAE lambda."""
    value_loss_coef: float = 1.0
    """Weight of the value loss."""
    # rsl_rl's clipped value loss lets a state's value move at most clip_param (0.2, in return
    # units) per iteration from what the rollout saw, so a new critic needs tens of iterations to
    # reach returns of 10-40. Without it the direction main job's token learnt less (training
    # success 0.26 against 0.35 at 1M samples; docs/task-results.md).
    clipped_value_loss: bool = True
    """Clip the value update to clip_param around the rollout's values (rsl_rl's default)."""
    entropy_coef: float = 0.0
    """No entropy bonus: the action std is fixed."""
    learning_rate: float = 3e-4
    """Adam learning rate (the start of the adaptive schedule)."""
    max_grad_norm: float = 1.0
    """Gradient norm clip."""
    schedule: str = "adaptive"
    """"adaptive" (KL-driven learning rate) or "fixed"."""
    # 0.01 drove the learning rate to its 1e-5 floor with a fixed action std of 0.2 over 28 actions
    # (measured on the tracker).
    desired_kl: float = 0.03
    """Target KL per update of the adaptive schedule."""


@dataclass
class ActorCriticConfig:
    """MLP actor and critic."""

    actor_hidden: tuple[int, ...] = (512, 256, 256)
    critic_hidden: tuple[int, ...] = (512, 256)
    activation: str = "elu"
    action_std: float = 0.2
    """Fixed Gaussian action std (action units)."""
    obs_normalization: bool = True
    """Running mean/std normalisation of the observations (frozen at evaluation)."""
    critic_obs: tuple[str, ...] = field(default_factory=lambda: ("policy",))
    """Observation groups of the critic."""


def build_actor_critic(obs: TensorDict, num_actions: int, models: ActorCriticConfig) -> tuple[MLPModel, MLPModel]:
    """rsl_rl MLP actor (observation group "policy", fixed-std Gaussian) and critic."""
    from rsl_rl.models import MLPModel

    groups = {"actor": ["policy"], "critic": list(models.critic_obs)}
    actor = MLPModel(
        obs,
        groups,
        "actor",
        num_actions,
        hidden_dims=models.actor_hidden,
        activation=models.activation,
        obs_normalization=models.obs_normalization,
        distribution_cfg={"class_name": "GaussianDistribution", "init_std": models.action_std, "learn_std": False},
    )
    critic = MLPModel(obs, groups, "critic", 1, hidden_dims=models.critic_hidden, activation=models.activation, obs_normalization=models.obs_normalization)
    return actor, critic


def build_ppo(obs: TensorDict, num_actions: int, num_envs: int, ppo: PPOConfig, models: ActorCriticConfig,
              multi_gpu_cfg: dict | None = None) -> PPO:
    """rsl_rl PPO over the actor and critic of build_actor_critic (on the CPU)."""
    actor, critic = build_actor_critic(obs, num_actions, models)
    return make_ppo(actor, critic, obs, num_envs, num_actions, ppo, "cpu", multi_gpu_cfg)


def make_ppo(actor: MLPModel, critic: MLPModel, obs: TensorDict, num_envs: int, num_actions: int, ppo: PPOConfig, device: str = "cpu",
             multi_gpu_cfg: dict | None = None) -> PPO:
    """rsl_rl PPO (with its rollout storage) over given actor and critic models, moved to `device`
    (the environments stay on the CPU; Runner.collect moves observations and actions across).
    multi_gpu_cfg: rsl_rl's, under torchrun (train/distributed.py): gradients averaged over ranks.
    Its optimizer holds only the parameters that require gradients (rsl_rl's holds every one: the
    frozen BFM's and the fixed action std too)."""
    from rsl_rl.algorithms import PPO
    from rsl_rl.storage import RolloutStorage

    actor, critic = actor.to(device), critic.to(device)
    storage = RolloutStorage("rl", num_envs, ppo.steps_per_env, obs.to(device), [num_actions], device)
    alg = PPO(
        actor,
        critic,
        storage,
        num_learning_epochs=ppo.learning_epochs,
        num_mini_batches=ppo.mini_batches,
        clip_param=ppo.clip_param,
        gamma=ppo.gamma,
        lam=ppo.lam,
        value_loss_coef=ppo.value_loss_coef,
        use_clipped_value_loss=ppo.clipped_value_loss,
        entropy_coef=ppo.entropy_coef,
        learning_rate=ppo.learning_rate,
        max_grad_norm=ppo.max_grad_norm,
        schedule=ppo.schedule,
        desired_kl=ppo.desired_kl,
        device=device,
        multi_gpu_cfg=multi_gpu_cfg,
    )
    alg.optimizer = type(alg.optimizer)(parameters_to_train(actor, critic), lr=ppo.learning_rate)
    return alg


def parameters_to_train(*modules: nn.Module) -> list[nn.Parameter]:
    """The parameters of the modules that require gradients, in the order rsl_rl's PPO lists
    them (each module's parameters() in turn)."""
    return [p for m in modules for p in m.parameters() if p.requires_grad]


def state_over_trainable(saved: dict, params: list[nn.Parameter]) -> dict:
    """An optimizer state dict saved over every one of params (one group: rsl_rl's own optimizer,
    which PPO runs used before 2026-12-06) re-indexed onto those that require gradients, as
    make_ppo's optimizer holds them; any other state dict unchanged. Frozen parameters never had a
    gradient, so they have no state to drop."""
    groups = saved["param_groups"]
    keep = [i for i, p in enumerate(params) if p.requires_grad]
    if len(groups) != 1 or len(groups[0]["params"]) != len(params) or len(keep) == len(params):
        return saved
    old_ids = groups[0]["params"]
    new_id = {old_ids[i]: n for n, i in enumerate(keep)}
    state = {new_id[k]: v for k, v in saved["state"].items() if k in new_id}
    return {"state": state, "param_groups": [{**groups[0], "params": list(range(len(keep)))}]}
