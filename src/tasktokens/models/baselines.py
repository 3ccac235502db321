"""Baselines beside Task Tokens, as actors for the same PPO (issue: baselines and comparison).

- fine_tune: the Task Tokens actor with every BFM weight trainable (normalisers stay frozen).
- lora: the Task Tokens actor plus low-rank adapters on the BFM's transformer feed-forward and
  decoder layers (weight parametrisations W + B A * alpha / r, B zero at the start, so training
  starts from the BFM; the base weights stay frozen).
- ppo_scratch: an MLP policy over proprioception and task observation, no BFM.

Every actor saves only what it trains (``saved_state``), never a frozen BFM.
"""

from __future__ import annotations

import torch
from rsl_rl.models import MLPModel
from tensordict import TensorDict
from torch import nn
from torch.nn.utils import parametrize

from tasktokens.models.task_tokens import TaskTokenActor


class LowRankDelta(nn.Module):
    """Parametrisation W -> W + B A * scale with trainable A (r, in) and B (out, r)."""

    def __init__(self, out_features: int, in_features: int, rank: int, alpha: float):
        super().__init__()
        self.A = nn.Parameter(torch.randn(rank, in_features) / in_features**0.5)
        self.B = nn.Parameter(torch.zeros(out_features, rank))
        self.scale = alpha / rank

    def forward(self, weight: torch.Tensor) -> torch.Tensor:
        return weight + (self.B @ self.A) * self.scale


def add_lora(module: nn.Module, rank: int = 8, alpha: float = 16.0) -> int:
    """Low-rank adapters on every nn.Linear of the BFM's transformer feed-forward layers and its
    decoder (attention projections are packed MHA weights and are left alone); returns how many."""
    count = 0
    bfm = module
    targets = [m for layer in bfm.prior_transformer.layers for m in (layer.linear1, layer.linear2)]
    targets += [m for m in bfm.decoder if isinstance(m, nn.Linear)]
    for linear in targets:
        out_f, in_f = linear.weight.shape
        parametrize.register_parametrization(linear, "weight", LowRankDelta(out_f, in_f, rank, alpha))
        count += 1
    return count


def unfreeze(actor: TaskTokenActor) -> TaskTokenActor:
    """fine_tune: every BFM weight trainable (eval mode kept: the normalisers do not update)."""
    for p in actor.bfm.parameters():
        p.requires_grad_(True)
    return actor


def scratch_actor(obs: TensorDict, num_actions: int, hidden: tuple[int, ...] = (512, 256, 128), init_std: float = 0.3) -> MLPModel:
    """ppo_scratch: MLP over proprioception and task observation, learnt Gaussian std."""
    groups = {"actor": ["policy", "task"], "critic": ["policy", "task"]}
    return MLPModel(obs, groups, "actor", num_actions, hidden_dims=hidden, obs_normalization=True,
                    distribution_cfg={"class_name": "GaussianDistribution", "init_std": init_std, "learn_std": True})


def saved_state(actor: nn.Module) -> dict[str, torch.Tensor]:
    """What a trained actor saves: for a BFM-based actor the encoder (with its normaliser) and
    the BFM entries that were trained (all for fine_tune, the adapters for lora); otherwise all."""
    state = actor.state_dict()
    if not isinstance(actor, TaskTokenActor):
        return state
    trained = {f"mlp.bfm.{n}" for n, p in actor.bfm.named_parameters() if p.requires_grad}
    return {k: v for k, v in state.items() if k.startswith("mlp.encoder.") or k in trained}


def load_saved_state(actor: nn.Module, state: dict[str, torch.Tensor]) -> None:
    """Inverse of saved_state (the frozen BFM comes from its own checkpoint)."""
    missing, unexpected = actor.load_state_dict(state, strict=False)
    if unexpected:
        raise ValueError(f"checkpoint has tensors this actor does not: {unexpected[:5]}")
    expected = saved_state(actor).keys()
    absent = [k for k in expected if k not in state]
    if absent:
        raise ValueError(f"checkpoint lacks tensors this actor trains: {absent[:5]}")
