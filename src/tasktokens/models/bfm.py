"""The behavior foundation model: a masked, goal-conditioned transformer in the style of
MaskedMimic, sized for a CPU.

Tokens, in this order: the proprioception token; one goal token per goal frame (near frames and
one far frame); an optional skill token; extra tokens appended by callers (task tokens). Goal
frames carry masked channels (envs.goals); a goal token whose every mask bit is off is hidden
from attention, and tokens hidden for the whole batch are dropped from the sequence (same output,
less compute). The prior reads out at the proprioception token -> (mu, log-variance) of z; the
posterior (training only) sees the full future reference; the decoder maps (proprioception, z) to
the action mean; the action std is fixed.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from rsl_rl.modules import EmpiricalNormalization
from torch import nn

from tasktokens.envs.goals import GOAL_FEATURES

Tensor = torch.Tensor


@dataclass
class BFMConfig:
    """Sizes of the BFM (chosen by measurement: docs/benchmarks.md)."""

    d_model: int = 128
    """Token width."""
    num_layers: int = 3
    """Transformer layers of the prior."""
    num_heads: int = 4
    ff_mult: int = 4
    """Feed-forward width = ff_mult * d_model."""
    latent_dim: int = 64
    """Size of z."""
    num_goal_frames: int = 4
    """Goal tokens: the near frames plus one far frame."""
    near_steps: tuple[int, ...] = (1, 2, 4)
    """Control steps ahead of the near goal frames (the teacher's future_steps, recorded by
    distillation); hand-written priors place their goals at these times. One per near frame."""
    num_skills: int = 0
    """Skill labels with a learned embedding (0: no skill token)."""
    skill_names: tuple[str, ...] = ()
    """The skill labels in embedding order (motion/labels.py skill_label of the distilled clips):
    distillation records them, and load_bfm fills them from the "skills" metadata of checkpoints
    saved before this field. Hand-written priors pick skill tokens by name."""
    decoder_hidden: tuple[int, ...] = (512, 256)
    posterior_hidden: tuple[int, ...] = (512, 256)
    action_log_std: float = -2.9
    """Fixed log std of the Gaussian actions (paper: -2.9)."""

    def skill_id(self, label: str) -> int:
        """Embedding id of a skill label (for Goals.skill); a label the BFM lacks is an error."""
        if label not in self.skill_names:
            raise ValueError(f"skill {label!r} is not one of this BFM's skills {list(self.skill_names)}; pick one of those")
        return self.skill_names.index(label)


def _mlp(sizes: list[int]) -> nn.Sequential:
    layers: list[nn.Module] = []
    for a, b in zip(sizes[:-1], sizes[1:], strict=True):
        layers += [nn.Linear(a, b), nn.ELU()]
    return nn.Sequential(*layers[:-1])


@dataclass
class Goals:
    """Goal inputs of a batch of N."""

    frames: Tensor
    """(N, F, E, GOAL_FEATURES + 2) masked goal frames with their mask bits (envs.goals)."""
    times: Tensor
    """(N, F) seconds from now to each goal frame."""
    skill: Tensor | None = None
    """(N,) skill label ids, -1 for none; None for no skill token at all."""

    def to(self, device: torch.device | str) -> Goals:
        """The same goals on another torch device."""
        skill = None if self.skill is None else self.skill.to(device)
        return Goals(self.frames.to(device), self.times.to(device), skill)

    def visible(self) -> Tensor:
        """(N, F) bool: goal tokens with at least one mask bit on."""
        return self.frames[..., -2:].sum(dim=(-1, -2)) > 0


class BFM(nn.Module):
    """Prior (transformer), posterior (MLP, training only) and decoder (MLP)."""

    def __init__(self, cfg: BFMConfig, num_proprio: int, num_entities: int, num_posterior_obs: int, num_actions: int):
        super().__init__()
        if len(cfg.near_steps) != cfg.num_goal_frames - 1:
            raise ValueError(f"BFMConfig: near_steps {cfg.near_steps} must name one step per near goal frame ({cfg.num_goal_frames - 1})")
        self.cfg = cfg
        d = cfg.d_model
        self.proprio_norm = EmpiricalNormalization(num_proprio)
        self.proprio_embed = nn.Linear(num_proprio, d)
        self.goal_embed = nn.Linear(num_entities * (GOAL_FEATURES + 2) + 1, d)
        self.goal_slot = nn.Parameter(torch.zeros(cfg.num_goal_frames, d))
        self.skill_embed = nn.Embedding(cfg.num_skills, d) if cfg.num_skills > 0 else None
        layer = nn.TransformerEncoderLayer(d, cfg.num_heads, cfg.ff_mult * d, dropout=0.0, batch_first=True, norm_first=True, activation="gelu")
        self.prior_transformer = nn.TransformerEncoder(layer, cfg.num_layers, enable_nested_tensor=False)
        self.prior_out = nn.Sequential(nn.LayerNorm(d), nn.Linear(d, 2 * cfg.latent_dim))
        self.posterior_norm = EmpiricalNormalization(num_posterior_obs)
        self.posterior = _mlp([num_proprio + num_posterior_obs, *cfg.posterior_hidden, 2 * cfg.latent_dim])
        self.decoder = _mlp([num_proprio + cfg.latent_dim, *cfg.decoder_hidden, num_actions])
        self.register_buffer("action_log_std", torch.full((num_actions,), cfg.action_log_std))

    # --- tokens ------------------------------------------------------------------------------
    def tokens(self, proprio_n: Tensor, goals: Goals | None, extra_tokens: Tensor | None) -> tuple[Tensor, Tensor]:
        """(N, T, d) token sequence and (N, T) bool 'hidden' mask, before dropping."""
        n = proprio_n.shape[0]
        seq = [self.proprio_embed(proprio_n)[:, None, :]]
        hidden = [torch.zeros(n, 1, dtype=torch.bool, device=proprio_n.device)]
        if goals is not None:
            f = goals.frames.shape[1]
            flat = torch.cat([goals.frames.flatten(2), goals.times[..., None]], dim=-1)
            seq.append(self.goal_embed(flat) + self.goal_slot[:f])
            hidden.append(~goals.visible())
            if goals.skill is not None and self.skill_embed is not None:
                skill = goals.skill.clamp(min=0)
                seq.append(self.skill_embed(skill)[:, None, :])
                hidden.append((goals.skill < 0)[:, None])
        if extra_tokens is not None:  # always visible (task tokens)
            seq.append(extra_tokens)
            hidden.append(torch.zeros(n, extra_tokens.shape[1], dtype=torch.bool, device=proprio_n.device))
        return torch.cat(seq, dim=1), torch.cat(hidden, dim=1)

    def prior(self, proprio: Tensor, goals: Goals | None = None, extra_tokens: Tensor | None = None,
              keep: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """(mu, logvar) of the prior over z, each (N, latent_dim).

        keep: fixed indices (K,) of the tokens to keep, visible in every sample (an exported
        policy with a fixed prior); by default they are found from the batch."""
        seq, hidden = self.tokens(self.proprio_norm(proprio), goals, extra_tokens)
        if keep is None:
            keep = ~hidden.all(dim=0)  # tokens hidden in every sample: drop them, same output
            seq, hidden = seq[:, keep], hidden[:, keep]
            mask = hidden if hidden.any() else None
        else:
            seq, mask = seq.index_select(1, keep), None
        mu, logvar = self.prior_out(self._readout(seq, mask)).chunk(2, dim=-1)
        return mu, logvar.clamp(-10.0, 5.0)

    def _readout(self, seq: Tensor, mask: Tensor | None) -> Tensor:
        """The prior transformer's output at the proprioception token (N, d): what
        prior_transformer(seq, src_key_padding_mask=mask)[:, 0] gives, but the last layer is run
        for that one query only (its other outputs are never read). Same weights and arithmetic,
        equal up to float rounding. It pays most with many tokens: the long_jump hybrid (6 tokens:
        proprioception, 4 root goal frames, task token) trained at a median 1,733 samples/s
        against 1,360 (docs/benchmarks.md). Assumes the pre-norm, dropout-free layers built in
        __init__ (tests/models/test_bfm.py compares it with the whole transformer)."""
        *layers, last = self.prior_transformer.layers
        x = seq
        for layer in layers:
            x = _prenorm_layer(layer, x, x.shape[1], mask)
        return _prenorm_layer(last, x, 1, mask)[:, 0]

    def posterior_params(self, proprio: Tensor, posterior_obs: Tensor) -> tuple[Tensor, Tensor]:
        """(mu, logvar) of the posterior from the full future reference (training only)."""
        x = torch.cat([self.proprio_norm(proprio), self.posterior_norm(posterior_obs)], dim=-1)
        mu, logvar = self.posterior(x).chunk(2, dim=-1)
        return mu, logvar.clamp(-10.0, 5.0)

    def decode(self, proprio: Tensor, z: Tensor) -> Tensor:
        """Action mean (N, nu) from proprioception and z."""
        return self.decoder(torch.cat([self.proprio_norm(proprio), z], dim=-1))

    def act(self, proprio: Tensor, goals: Goals | None = None, extra_tokens: Tensor | None = None, keep: Tensor | None = None) -> Tensor:
        """Inference: action mean with z = mu of the prior."""
        mu, _ = self.prior(proprio, goals, extra_tokens, keep)
        return self.decode(proprio, mu)

    @property
    def action_std(self) -> Tensor:
        return self.action_log_std.exp()


def _prenorm_layer(layer: nn.TransformerEncoderLayer, x: Tensor, queries: int, mask: Tensor | None) -> Tensor:
    """One pre-norm, dropout-free encoder layer over x (N, T, d), output for its first `queries`
    tokens only (N, queries, d): all T for an inner layer, the readout token for the last."""
    h = layer.norm1(x)
    y = x[:, :queries] + _attention(layer.self_attn, h[:, :queries], h, mask)
    return y + layer.linear2(layer.activation(layer.linear1(layer.norm2(y))))


def _attention(attn: nn.MultiheadAttention, query: Tensor, seq: Tensor, mask: Tensor | None) -> Tensor:
    """attn(query, seq, seq, key_padding_mask=mask)[0] written out: (N, Q, d) queries over the
    (N, T, d) sequence, mask (N, T) True where hidden. Why by hand: on these short sequences (2-7
    tokens) PyTorch's CPU attention kernel took a quarter of a PPO update; the plain matrix
    products cut the direction hybrid's update from 3.9 to 2.7 s (docs/benchmarks.md), with the same weights."""
    d = seq.shape[-1]
    heads = attn.num_heads
    w, b = attn.in_proj_weight, attn.in_proj_bias
    q = nn.functional.linear(query, w[:d], b[:d]).unflatten(-1, (heads, -1)).transpose(1, 2)  # (N, H, Q, d/H)
    k, v = nn.functional.linear(seq, w[d:], b[d:]).unflatten(-1, (2 * heads, -1)).transpose(1, 2).chunk(2, dim=1)
    scores = q @ k.transpose(-1, -2) * (d // heads) ** -0.5  # (N, H, Q, T)
    if mask is not None:
        scores = scores.masked_fill(mask[:, None, None, :], float("-inf"))
    out = (scores.softmax(dim=-1) @ v).transpose(1, 2).flatten(2)  # (N, Q, d)
    return attn.out_proj(out)


def gaussian_kl(mu_q: Tensor, logvar_q: Tensor, mu_p: Tensor, logvar_p: Tensor) -> Tensor:
    """KL(q || p) of diagonal Gaussians, summed over the last dimension, (N,)."""
    var_q, var_p = logvar_q.exp(), logvar_p.exp()
    return 0.5 * (logvar_p - logvar_q + (var_q + (mu_q - mu_p).pow(2)) / var_p - 1.0).sum(-1)


def distillation_loss(bfm: BFM, proprio: Tensor, goals: Goals, posterior_obs: Tensor, teacher_actions: Tensor, beta: float,
                      generator: torch.Generator | None = None, prior_action_weight: float = 0.0) -> tuple[Tensor, dict[str, Tensor]]:
    """MSE(decoder(proprio, z ~ posterior), teacher action) + beta * KL(posterior || prior)
    + prior_action_weight * MSE(decoder(proprio, mu_prior), teacher action).

    The last term trains the inference path (`act` decodes z = mu_prior) directly; the KL alone
    only pulls the prior towards the posterior. parts["mse_prior"] is reported either way."""
    mu_q, logvar_q = bfm.posterior_params(proprio, posterior_obs)
    mu_p, logvar_p = bfm.prior(proprio, goals)
    eps = torch.randn(mu_q.shape, generator=generator, device=mu_q.device)
    z = mu_q + (0.5 * logvar_q).exp() * eps
    mse = (bfm.decode(proprio, z) - teacher_actions).pow(2).mean()
    kl = gaussian_kl(mu_q, logvar_q, mu_p, logvar_p).mean()
    with torch.set_grad_enabled(torch.is_grad_enabled() and prior_action_weight > 0):
        mse_prior = (bfm.decode(proprio, mu_p) - teacher_actions).pow(2).mean()
    loss = mse + beta * kl + prior_action_weight * mse_prior
    return loss, {"mse": mse.detach(), "kl": kl.detach(), "mse_prior": mse_prior.detach()}
