"""Starting a task token at its task's hand-written prior (`tasktokens adapt --clone-samples N`).

PPO from a zero-ish token searches from a point where the frozen BFM does not do the task at all
(docs/token-reach.md: the token can express what goals ask for; PPO is slow to find it). Cloning
first teaches the encoder to make the BFM act as it does under the task's prior goals: DAgger
through the frozen BFM, the token policy acting (deterministic means) so that the states are its
own, the label the BFM's action under the prior's goals with no token, the loss the mean squared
action error, gradients reaching the encoder only. PPO then improves on the prior's behaviour. The
cloned samples count toward the run's budget (--samples).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from tasktokens.models.task_tokens import TaskTokenActor

Tensor = torch.Tensor


@dataclass
class CloneStats:
    samples: int
    """Environment steps run while cloning."""
    first_mse: float
    """Mean squared action error (token policy vs prior labels) of the first iteration's updates."""
    last_mse: float
    """The same for the last iteration."""


def _visit(env, actor: TaskTokenActor, prior, steps: int) -> tuple[Tensor, Tensor, Tensor]:
    """Run the token policy for `steps` steps; returns proprioception (S, P), task observations
    (S, T) and the prior's action labels (S, nu) of every visited state."""
    bfm, encoder = actor.bfm, actor.encoder
    device = next(encoder.parameters()).device
    proprios, tasks, labels = [], [], []
    obs = env.get_observations()
    with torch.no_grad():
        for _ in range(steps):
            proprio, task = obs["policy"].float().to(device), obs["task"].float().to(device)
            prior_in = obs["prior"].float().to(device) if "prior" in obs.keys() else task
            labels.append(bfm.act(proprio, prior(proprio, prior_in)))
            proprios.append(proprio)
            tasks.append(task)
            obs, *_ = env.step(bfm.act(proprio, None, encoder(task)).cpu())
    return torch.cat(proprios), torch.cat(tasks), torch.cat(labels)


def _fit(actor: TaskTokenActor, optimizer: torch.optim.Optimizer, proprio: Tensor, task: Tensor, labels: Tensor, epochs: int,
         mini_batches: int) -> float:
    """Supervised epochs on the encoder; returns the mean mini-batch MSE."""
    bfm, encoder = actor.bfm, actor.encoder
    encoder.train()  # the normaliser learns only in training mode
    encoder.norm.update(task)
    total, count = 0.0, 0
    for _ in range(epochs):
        for idx in torch.randperm(task.shape[0]).chunk(mini_batches):
            loss = (bfm.act(proprio[idx], None, encoder(task[idx])) - labels[idx]).pow(2).mean()
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(encoder.parameters(), 1.0)
            optimizer.step()
            total, count = total + loss.item(), count + 1
    return total / count


def clone_prior_into_token(env, actor: TaskTokenActor, prior, samples: int, steps_per_env: int = 16, epochs: int = 2,
                           mini_batches: int = 4, learning_rate: float = 1e-3) -> CloneStats:
    """DAgger of the prior (proprio, prior input) -> Goals into actor's task encoder for about
    `samples` environment steps (whole iterations of steps_per_env x env.num_envs). Only the
    encoder changes (its own Adam, discarded afterwards); the BFM stays frozen."""
    if actor.encoder is None:
        raise ValueError("cloning into a token needs a task encoder (method task_tokens)")
    optimizer = torch.optim.Adam([p for p in actor.encoder.parameters() if p.requires_grad], lr=learning_rate)
    per_iteration = steps_per_env * env.num_envs
    iterations = max(1, -(-samples // per_iteration))
    mse = []
    for _ in range(iterations):
        proprio, task, labels = _visit(env, actor, prior, steps_per_env)
        mse.append(_fit(actor, optimizer, proprio, task, labels, epochs, mini_batches))
    return CloneStats(iterations * per_iteration, mse[0], mse[-1])
