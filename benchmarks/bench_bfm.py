"""BFM forward and input-gradient backward cost, for choosing its size.

Usage: .venv/bin/python benchmarks/bench_bfm.py [--batch 4096] [--sizes 128x3 ...]
For each size: frozen weights (requires_grad False), eval mode, a batch of proprioception, and
  - "adapt" sequences: proprioception + task token (+ one prior goal token, or the four goal
    frames that the root priors fill: a hybrid run), gradient to the task token only (what Task
    Tokens training back-propagates through);
  - "distill" sequences: proprioception + 4 goal tokens + skill token, weight gradients on.
Prints samples/s of forward and of forward + backward, and the Task Tokens budget
1 / (1/sim + 1/forward + epochs/forward_backward) with sim = 20,000 env steps/s (bench sim).
"""

from __future__ import annotations

import argparse
import time

import torch

from tasktokens.envs.goals import GOAL_FEATURES, apply_goal_mask
from tasktokens.envs.observations import proprioception_size
from tasktokens.models.bfm import BFM, BFMConfig, Goals

P, E, NU, POST = proprioception_size(15), 7, 28, 540


def _goals(n: int, frames: int, skill: bool) -> Goals:
    raw = torch.randn(n, frames, E, GOAL_FEATURES)
    mask = torch.ones(n, frames, E, 2, dtype=torch.bool)
    return Goals(apply_goal_mask(raw, mask), torch.rand(n, frames), torch.zeros(n, dtype=torch.long) if skill else None)


def _rate(fn, n: int, seconds: float = 2.0) -> float:
    fn()
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        fn()
        count += 1
    return count * n / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--batch", type=int, default=4096)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--sizes", nargs="+", default=["64x2", "128x2", "128x3", "192x3", "256x3"], help="d_model x layers")
    args = parser.parse_args()
    torch.set_num_threads(2)
    n = args.batch
    print(f"batch {n}, torch {torch.__version__}, {torch.get_num_threads()} threads")
    print("d_model layers | adapt tokens | fwd/s | fwd+bwd/s | task-token budget/s | distill fwd+bwd/s")
    for d, layers in (tuple(int(v) for v in size.split("x")) for size in args.sizes):
        cfg = BFMConfig(d_model=d, num_layers=layers, num_heads=4, num_skills=16)
        bfm = BFM(cfg, P, E, POST, NU).eval()
        for p in bfm.parameters():
            p.requires_grad_(False)
        proprio = torch.randn(n, P)
        for goal_frames in (0, 1, cfg.num_goal_frames):
            goals = _goals(n, goal_frames, False) if goal_frames else None
            f, fb = _adapt_rates(bfm, proprio, goals, d)
            budget = 1.0 / (1 / 20_000 + 1 / f + args.epochs / fb)
            distill = f"{_distill_rate(BFM(cfg, P, E, POST, NU).train(), proprio):,.0f}" if not goal_frames else ""
            print(f"{d:>7} {layers:>6} | {2 + goal_frames:>12} | {f:>7,.0f} | {fb:>9,.0f} | {budget:>19,.0f} | {distill}")


def _adapt_rates(bfm: BFM, proprio: torch.Tensor, goals: Goals | None, d: int) -> tuple[float, float]:
    """Forward, and forward + backward to the task token, samples/s."""
    n = proprio.shape[0]
    token = torch.zeros(n, 1, d, requires_grad=True)

    def fwd():
        with torch.no_grad():
            bfm.act(proprio, goals, token)

    def fwd_bwd():
        bfm.act(proprio, goals, token).sum().backward()

    return _rate(fwd, n), _rate(fwd_bwd, n)


def _distill_rate(train: BFM, proprio: torch.Tensor) -> float:
    """Forward + weight backward with 4 goal tokens and a skill token, samples/s."""
    goals = _goals(proprio.shape[0], 4, True)

    def step():
        train.act(proprio, goals).sum().backward()

    return _rate(step, proprio.shape[0])


if __name__ == "__main__":
    main()
