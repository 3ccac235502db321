"""Task Tokens: a small task encoder turns the task observation into one extra token of the
frozen BFM's transformer; the policy is the BFM's decoder at z = mu_prior with the BFM's fixed std.

The actor plugs into rsl_rl's PPO as an ``MLPModel`` whose head is the encoder + frozen BFM.
Only the encoder (and its running normaliser) changes during training: every BFM tensor is frozen
(requires_grad False, eval mode, normalisers not updated), and gradients reach the encoder through
the transformer and the decoder.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from rsl_rl.models import MLPModel
from rsl_rl.modules import EmpiricalNormalization
from tensordict import TensorDict
from torch import nn

from tasktokens.models.bfm import BFM, Goals
from tasktokens.tasks.goal_helpers import check_near_frames

Tensor = torch.Tensor
PriorFn = Callable[[Tensor, Tensor], Goals]
"""(proprioception (N, P), raw task observation (N, T), or the task's prior observation (N, K)
when it has one) -> hand-written goals (a prior)."""


def actor_groups(obs: TensorDict) -> list[str]:
    """The observation groups a Task Tokens actor reads: policy and task, then prior when the task
    gives its prior an input of its own (TaskEnv.prior_obs)."""
    return ["policy", "task", *(["prior"] if "prior" in obs.keys() else [])]


class TaskEncoder(nn.Module):
    """Running mean/std normaliser + MLP -> one token of the BFM's width.

    zero_init: start the output layer at zero, so the untrained token is the zero token and the
    adapted policy starts as the BFM itself (as ControlNet's zero convolutions and LoRA's zero B
    do). PyTorch's default initialisation gives a token of RMS ~0.19 that already makes the frozen
    BFM fall: docs/bfm-and-task-tokens.md, "The untrained token".

    output_rms > 0: the token is rescaled to this root-mean-square value over its d_model entries
    (the MLP then chooses only its direction). Goal tokens of BFM v4 have RMS 0.09-0.33 while PPO
    tokens grow to about 0.75; the first layer reads every token through a LayerNorm, but later
    layers see the token's own residual, whose size sets how much attention can change it
    (docs/token-reach.md measures the option; 0, the default, leaves the output as it is)."""

    def __init__(self, num_task_obs: int, d_model: int, hidden: tuple[int, ...] = (256, 256), zero_init: bool = False,
                 output_rms: float = 0.0):
        super().__init__()
        if output_rms < 0:
            raise ValueError(f"TaskEncoder output_rms {output_rms}: give a positive RMS, or 0 to leave the token's scale free")
        if output_rms > 0 and zero_init:
            raise ValueError("TaskEncoder: a zero output has no direction to rescale; use zero_init or output_rms, not both")
        self.output_rms = output_rms
        self.norm = EmpiricalNormalization(num_task_obs)
        sizes = [num_task_obs, *hidden, d_model]
        layers: list[nn.Module] = []
        for a, b in zip(sizes[:-1], sizes[1:], strict=True):
            layers += [nn.Linear(a, b), nn.ELU()]
        self.mlp = nn.Sequential(*layers[:-1])
        if zero_init:
            nn.init.zeros_(self.mlp[-1].weight)
            nn.init.zeros_(self.mlp[-1].bias)

    def forward(self, task_obs: Tensor) -> Tensor:
        """(N, T) -> (N, 1, d_model)."""
        token = self.mlp(self.norm(task_obs))
        if self.output_rms > 0:  # eps keeps a (rare) all-zero output finite
            token = self.output_rms * token * torch.rsqrt(token.pow(2).mean(dim=-1, keepdim=True) + 1e-12)
        return token[:, None, :]


def freeze(bfm: BFM) -> BFM:
    """Eval mode (normalisers frozen) and no gradients for any BFM weight."""
    bfm.eval()
    for p in bfm.parameters():
        p.requires_grad_(False)
    return bfm


class TaskTokenActor(MLPModel):
    """rsl_rl actor: obs["policy"] (proprioception) + obs["task"] -> BFM action (Gaussian, fixed std:
    the BFM's own unless action_std is given). The encoder sees obs["task"] only; the prior sees
    obs["prior"] when the observations have it, else obs["task"]."""

    def __init__(
        self,
        obs: TensorDict,
        bfm: BFM,
        encoder: TaskEncoder | None,
        prior: PriorFn | None = None,
        action_std: float | None = None,
        shift_penalty: float = 0.0,
    ):
        num_actions = bfm.action_log_std.numel()
        groups = {"actor": actor_groups(obs), "critic": actor_groups(obs)}
        std = float(bfm.action_std[0]) if action_std is None else action_std
        super().__init__(
            obs,
            groups,
            "actor",
            num_actions,
            hidden_dims=(1,),
            obs_normalization=False,
            distribution_cfg={"class_name": "GaussianDistribution", "init_std": std, "learn_std": False},
        )
        if encoder is None and prior is None:
            raise ValueError("a Task Tokens policy needs a task encoder, a prior, or both")
        self.num_proprio = obs["policy"].shape[-1]
        num_task = obs["task"].shape[-1] if "prior" in obs.keys() else None
        self.mlp = _BFMHead(freeze(bfm), encoder, prior, self.num_proprio, shift_penalty, num_task)

    @property
    def bfm(self) -> BFM:
        return self.mlp.bfm

    @property
    def encoder(self) -> TaskEncoder | None:
        return self.mlp.encoder

    def train(self, mode: bool = True):
        super().train(mode)
        self.mlp.bfm.eval()  # the BFM stays in eval mode: its normalisers never update
        return self

    def update_normalization(self, obs: TensorDict) -> None:
        if self.encoder is not None and self.training:
            self.encoder.norm.update(obs["task"])


class _BFMHead(nn.Module):
    """latent = [proprioception, raw task observation] -> action mean through the frozen BFM; with
    num_task, latent = [proprioception, task observation (num_task), prior observation]: the
    encoder gets the task observation, the prior the prior observation. The prior's goals must
    keep the near-frame mask rule (tasks/goal_helpers.py check_near_frames).

    shift_penalty W > 0 adds the gradient of W * mean over samples and latent dimensions of
    ((mu_tok - mu_zero) / sigma)^2 to whatever gradient PPO's loss sends to mu_tok: mu_tok is the
    prior's mean with the task token, mu_zero and sigma = exp(logvar / 2) the prior's with a zero
    token in its place (same goals), held constant. It keeps the token from moving the prior far
    from where the BFM acts without it (benchmarks/token_prior_shift.py)."""

    def __init__(
        self,
        bfm: BFM,
        encoder: TaskEncoder | None,
        prior: PriorFn | None,
        num_proprio: int,
        shift_penalty: float = 0.0,
        num_task: int | None = None,
    ):
        super().__init__()
        self.bfm, self.encoder, self.prior, self.num_proprio = bfm, encoder, prior, num_proprio
        self.shift_penalty, self.num_task = shift_penalty, num_task

    def forward(self, latent: Tensor) -> Tensor:
        proprio, task = latent[:, : self.num_proprio], latent[:, self.num_proprio :]
        prior_in = task
        if self.num_task is not None:  # the prior's own input follows the task observation
            task, prior_in = task[:, : self.num_task], task[:, self.num_task :]
        token = self.encoder(task) if self.encoder is not None else None
        goals = None
        if self.prior is not None:
            goals = self.prior(proprio, prior_in)
            check_near_frames(goals.frames)
        mu, _ = self.bfm.prior(proprio, goals, token)
        if token is not None and mu.requires_grad and self.shift_penalty > 0:
            with torch.no_grad():
                mu_zero, logvar_zero = self.bfm.prior(proprio, goals, torch.zeros_like(token))
                grad = 2.0 * self.shift_penalty * (mu.detach() - mu_zero) / logvar_zero.exp() / mu.numel()
            mu.register_hook(lambda g: g + grad)
        return self.bfm.decode(proprio, mu)


def trainable_parameters(module: nn.Module) -> int:
    """Number of parameters that receive gradients."""
    return sum(p.numel() for p in module.parameters() if p.requires_grad)
