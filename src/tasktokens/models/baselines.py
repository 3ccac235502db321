"""Baselines beside Task Tokens, as actors for the same PPO (issue: baselines and comparison).

- fine_tune: the Task Tokens actor with every BFM weight trainable (normalisers stay frozen).
- lora: the Task Tokens actor plus low-rank adapters on the BFM's transformer feed-forward and
  decoder layers (weight parametrisations W + B A * alpha / r, B zero at the start, so training
  starts from the BFM; the base weights stay frozen).
- ppo_scratch: an MLP policy over proprioception and task observation, no BFM.
- latent_policy: PULSE-style: an MLP outputs a residual r to the frozen prior's mean, z = mu + r,
  and the frozen decoder acts; leaving the prior costs penalty * mean ||r||^2, added to PPO's loss
  through a gradient hook on r (the gradient of that term, without changing rsl_rl's PPO).

Every actor saves only what it trains (``saved_state``), never a frozen BFM.
"""

from __future__ import annotations

import torch
from rsl_rl.models import MLPModel
from rsl_rl.modules import EmpiricalNormalization
from tensordict import TensorDict
from torch import nn
from torch.nn.utils import parametrize

from tasktokens.models.task_tokens import TaskTokenActor, freeze


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


class _LatentHead(nn.Module):
    """latent = [proprioception, task observation] -> decoder(proprio, mu_prior + r)."""

    def __init__(self, bfm, num_proprio: int, num_task: int, hidden: tuple[int, ...], penalty: float):
        super().__init__()
        self.bfm, self.num_proprio, self.penalty = bfm, num_proprio, penalty
        self.norm = EmpiricalNormalization(num_proprio + num_task)
        sizes = [num_proprio + num_task, *hidden, bfm.cfg.latent_dim]
        layers: list[nn.Module] = []
        for a, b in zip(sizes[:-1], sizes[1:], strict=True):
            layers += [nn.Linear(a, b), nn.ELU()]
        self.residual = nn.Sequential(*layers[:-1])
        nn.init.zeros_(self.residual[-1].weight)  # start on the prior's mean
        nn.init.zeros_(self.residual[-1].bias)

    def forward(self, latent: torch.Tensor) -> torch.Tensor:
        proprio = latent[:, : self.num_proprio]
        mu, _ = self.bfm.prior(proprio)
        r = self.residual(self.norm(latent))
        if r.requires_grad and self.penalty > 0:
            # d/dr of penalty * mean_i ||r_i||^2, added to whatever gradient PPO's loss sends
            frozen_r = r.detach()
            r.register_hook(lambda g: g + 2.0 * self.penalty * frozen_r / frozen_r.shape[0])
        return self.bfm.decode(proprio, mu + r)


class LatentActor(MLPModel):
    """latent_policy actor for rsl_rl's PPO: actions from the frozen decoder at z = mu_prior + r."""

    def __init__(self, obs: TensorDict, bfm, hidden: tuple[int, ...] = (256, 256), penalty: float = 0.01, action_std: float | None = None):
        groups = {"actor": ["policy", "task"], "critic": ["policy", "task"]}
        num_actions = bfm.action_log_std.numel()
        std = float(bfm.action_std[0]) if action_std is None else action_std
        super().__init__(obs, groups, "actor", num_actions, hidden_dims=(1,), obs_normalization=False,
                         distribution_cfg={"class_name": "GaussianDistribution", "init_std": std, "learn_std": False})
        self.mlp = _LatentHead(freeze(bfm), obs["policy"].shape[-1], obs["task"].shape[-1], hidden, penalty)

    @property
    def bfm(self):
        return self.mlp.bfm

    def train(self, mode: bool = True):
        super().train(mode)
        self.mlp.bfm.eval()
        return self

    def update_normalization(self, obs: TensorDict) -> None:
        if self.training:
            self.mlp.norm.update(torch.cat([obs["policy"], obs["task"]], dim=-1))


def saved_state(actor: nn.Module) -> dict[str, torch.Tensor]:
    """What a trained actor saves: its trained parameters (the token encoder; for fine_tune every
    BFM weight, for lora the adapters) and its buffers outside the frozen BFM (normalisers); never
    the frozen BFM, which comes from its own checkpoint, nor fixed parameters (the action std)."""
    state = actor.state_dict()
    trained = {n for n, p in actor.named_parameters() if p.requires_grad}
    buffers = {n for n, _ in actor.named_buffers() if not n.startswith("mlp.bfm.")}
    return {k: v for k, v in state.items() if k in trained or k in buffers}


def load_saved_state(actor: nn.Module, state: dict[str, torch.Tensor]) -> None:
    """Inverse of saved_state (the frozen BFM comes from its own checkpoint)."""
    missing, unexpected = actor.load_state_dict(state, strict=False)
    if unexpected:
        raise ValueError(f"checkpoint has tensors this actor does not: {unexpected[:5]}")
    expected = saved_state(actor).keys()
    absent = [k for k in expected if k not in state]
    if absent:
        raise ValueError(f"checkpoint lacks tensors this actor trains: {absent[:5]}")
