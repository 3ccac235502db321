"""`tasktokens pretrain tracker`: PPO on the tracking task."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

import torch

from tasktokens.algos.ppo import ActorCriticConfig, PPOConfig, build_ppo
from tasktokens.tasks.tracking import TrackingConfig, TrackingEnv
from tasktokens.train.distributed import finish_distributed, init_distributed
from tasktokens.train.runner import Runner, RunnerConfig


@dataclass
class TrackerTrainConfig:
    """Train the full-body tracker (the BFM's teacher)."""

    out: Path = Path("runs/tracker")
    """Run folder: checkpoint.safetensors, train_state.safetensors/.json, config.json, tb/."""
    resume: bool = False
    """Continue the run in --out from its last checkpoint."""
    env: TrackingConfig = field(default_factory=TrackingConfig)
    ppo: PPOConfig = field(default_factory=lambda: PPOConfig(gamma=0.95))
    """PPO settings; gamma 0.95 as DeepMimic's trackers (dense reward, shorter credit horizon)."""
    models: ActorCriticConfig = field(default_factory=ActorCriticConfig)
    runner: RunnerConfig = field(default_factory=RunnerConfig)
    torch_threads: int = 2
    """Threads of torch (MuJoCo's are env.num_threads; they take turns)."""

    def run(self) -> Runner:
        """Train; under torchrun data-parallel over the ranks (train/distributed.py), on the CPU."""
        torch.set_num_threads(self.torch_threads)
        torch.manual_seed(self.runner.seed)
        info, _ = init_distributed("cpu")
        env = TrackingEnv(replace(self.env, seed=self.env.seed + info.rank))
        alg = build_ppo(env.get_observations(), env.num_actions, env.num_envs, self.ppo, self.models, info.multi_gpu_cfg())
        runner = Runner(env, alg, self.runner, self.out, self, env.character, info)
        if self.resume:
            runner.resume()
        runner.learn()
        finish_distributed()
        return runner
