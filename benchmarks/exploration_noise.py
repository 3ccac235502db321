"""How long the frozen BFM stays up under PPO's exploration noise.

Usage: .venv/bin/python benchmarks/exploration_noise.py [--task reach] [--envs 64] [--bfm PATH]
       [--token zero|untrained|untrained_zero_init]
Starts a task's episodes (locomotion reference states, as in training) and runs the shipped BFM
with a task token for 300 steps, adding Gaussian noise of each std to the action means, as PPO's
rollouts do. The token: zero (default), or the output of a freshly initialised task encoder
(seed 0), with PyTorch's default initialisation (untrained: RMS ~0.19, not near zero) or its
output layer at zero (untrained_zero_init, `adapt --encoder-zero-init`: the zero token).
Prints the mean number of steps before the first fall (300 = never fell) and the share of
environments that never fell. The BFM's own fixed std
exp(-2.9) = 0.055 is what the paper explores with; if the BFM cannot stand that noise, training
episodes end in falls long before a task's success window (reach judges from step 60 of each
target) and PPO learns mostly from falling.
"""

from __future__ import annotations

import argparse
import math

import torch

from tasktokens.eval.bfm import SHIPPED_BFM
from tasktokens.models.loading import load_bfm
from tasktokens.models.task_tokens import TaskEncoder
from tasktokens.tasks import get_task
from tasktokens.tasks.base import TaskEnvConfig


def steps_before_fall(task: str, std: float, envs: int, bfm_path, steps: int = 300, seed: int = 3, token: str = "zero") -> tuple[float, float]:
    """(mean steps of each environment's first episode (a time-out counts as `steps`), share of
    environments that never fell)."""
    spec = get_task(task)
    env = spec.env_cls(spec.config_cls(env=TaskEnvConfig(num_envs=envs, num_threads=1, episode_steps=steps, seed=seed)))
    bfm, _ = load_bfm(bfm_path, env.character)
    gen = torch.Generator().manual_seed(seed)
    torch.manual_seed(0)
    encoder = TaskEncoder(env.num_task_obs, bfm.cfg.d_model, zero_init=token == "untrained_zero_init")
    running, life = torch.ones(envs, dtype=torch.bool), torch.zeros(envs)
    obs = env.get_observations()
    with torch.inference_mode():
        for _ in range(steps):
            tok = torch.zeros(envs, 1, bfm.cfg.d_model) if token == "zero" else encoder(obs["task"])
            mean = bfm.act(obs["policy"], None, tok)
            obs, _r, done, _e = env.step(mean + std * torch.randn(mean.shape, generator=gen))
            life += running.float()
            running &= ~done
    return float(life.mean()), float((life >= steps).float().mean())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", default="reach")
    parser.add_argument("--envs", type=int, default=64)
    parser.add_argument("--bfm", default=str(SHIPPED_BFM))
    parser.add_argument("--stds", type=float, nargs="+", default=[0.0, 0.01, 0.02, 0.035, math.exp(-2.9)])
    parser.add_argument("--token", choices=["zero", "untrained", "untrained_zero_init"], default="zero")
    args = parser.parse_args()
    torch.set_num_threads(1)
    print(f"| action noise std | mean steps before the first fall ({args.task}, {args.envs} envs, 300 max, {args.token} token) | never fell |")
    print("| --- | --- | --- |")
    for std in args.stds:
        mean, share = steps_before_fall(args.task, std, args.envs, args.bfm, token=args.token)
        print(f"| {std:.3f} | {mean:.0f} | {share:.2f} |", flush=True)


if __name__ == "__main__":
    main()
