"""`tasktokens adapt`: train a task token (task encoder) by PPO through the frozen BFM.

The checkpoint holds only what is trained (the encoder with its normaliser, and the critic); the
BFM it was trained on is named in the config and checked by character when loaded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import torch
from rsl_rl.models import MLPModel

from tasktokens.algos.ppo import PPOConfig, make_ppo
from tasktokens.eval.bfm import SHIPPED_BFM
from tasktokens.models.task_tokens import TaskEncoder, TaskTokenActor
from tasktokens.tasks import get_task
from tasktokens.tasks.base import TaskEnvConfig
from tasktokens.train.checkpoint import CheckpointError
from tasktokens.train.distill import load_bfm
from tasktokens.train.runner import Runner, RunnerConfig


@dataclass
class AdaptConfig:
    """Train a task token for one task on the frozen BFM."""

    task: str = "direction"
    """Registered task name (direction, steering, reach, ...)."""
    prior: bool = False
    """Add the task's hand-written goals beside the learned token (hybrid control)."""
    samples: int = 5_000_000
    """Environment steps to train for."""
    out: Path | None = None
    """Run folder (default: runs/tokens/<task>[_prior])."""
    resume: bool = False
    """Continue the run in --out from its last checkpoint."""
    bfm: Path = SHIPPED_BFM
    """The frozen BFM (default: the shipped one)."""
    num_envs: int = 512
    """Parallel environments."""
    encoder_hidden: tuple[int, ...] = (256, 256)
    """Task encoder MLP (paper: [256, 256])."""
    critic_hidden: tuple[int, ...] = (512, 256)
    """Critic MLP over proprioception and task observation."""
    ppo: PPOConfig = field(default_factory=lambda: PPOConfig(learning_rate=1e-4, schedule="fixed", learning_epochs=2, steps_per_env=16))
    """PPO settings: a fixed actor learning rate 5x the paper's 2e-5 and 2 epochs instead of 6 (the
    update through the transformer dominates CPU time)."""
    seed: int = 0
    torch_threads: int = 2

    def run_folder(self) -> Path:
        return self.out or Path("runs/tokens") / (self.task + ("_prior" if self.prior else ""))

    def run(self) -> Runner:
        torch.set_num_threads(self.torch_threads)
        torch.manual_seed(self.seed)
        runner = build_adapt_runner(self)
        if self.resume:
            runner.resume()
        runner.learn()
        return runner


class TokenRunner(Runner):
    """PPO runner that saves the encoder and critic only (never the frozen BFM)."""

    def tensors(self) -> dict[str, torch.Tensor]:
        enc = {f"encoder.{k}": v for k, v in self.alg.actor.encoder.state_dict().items()}
        critic = {f"critic.{k}": v for k, v in self.alg.critic.state_dict().items()}
        return enc | critic

    def load_tensors(self, tensors: dict[str, torch.Tensor]) -> None:
        self.alg.actor.encoder.load_state_dict({k[8:]: v for k, v in tensors.items() if k.startswith("encoder.")})
        self.alg.critic.load_state_dict({k[7:]: v for k, v in tensors.items() if k.startswith("critic.")})


def build_actor(cfg: AdaptConfig, env, bfm) -> TaskTokenActor:
    obs = env.get_observations()
    frames = bfm.cfg.num_goal_frames
    entities = len(env.character.conditionable_bodies) + 1
    prior = env.prior_fn(frames, entities) if cfg.prior else None
    encoder = TaskEncoder(env.num_task_obs, bfm.cfg.d_model, cfg.encoder_hidden)
    return TaskTokenActor(obs, bfm, encoder, prior)


def build_adapt_runner(cfg: AdaptConfig) -> TokenRunner:
    spec = get_task(cfg.task)
    if not Path(cfg.bfm).exists():
        raise CheckpointError(f"{cfg.bfm}: no BFM checkpoint; distil one with `tasktokens pretrain bfm` or pass --bfm PATH")
    env = spec.env_cls(spec.config_cls(env=TaskEnvConfig(num_envs=cfg.num_envs, seed=cfg.seed)))
    bfm, _meta = load_bfm(cfg.bfm, env.character)
    actor = build_actor(cfg, env, bfm)
    obs = env.get_observations()
    groups = {"actor": ["policy", "task"], "critic": ["policy", "task"]}
    critic = MLPModel(obs, groups, "critic", 1, hidden_dims=cfg.critic_hidden, obs_normalization=True)
    alg = make_ppo(actor, critic, obs, env.num_envs, env.num_actions, cfg.ppo)
    run_cfg = RunnerConfig(max_samples=cfg.samples, seed=cfg.seed)
    return TokenRunner(env, alg, run_cfg, cfg.run_folder(), cfg, env.character)
