"""Time of one `tasktokens adapt` iteration (rollout, then PPO update) under the main job's
settings, with the policy's forward in the rollout on 1 or 2 torch threads.

    .venv/bin/python benchmarks/adapt_iteration.py [--iterations 3] [--learning-epochs 2] [--rounds 2]

Builds the main job's runner (`tasktokens adapt` with no options: direction beside its prior on the
shipped BFM), warms up one iteration, then alternates the thread settings for --rounds rounds of
--iterations iterations each and prints seconds per iteration. Nothing is saved.
"""

from __future__ import annotations

import argparse
import dataclasses
import tempfile
import time
from pathlib import Path

import torch

from tasktokens.train.adapt import build_adapt_runner
from tasktokens.train.adapt_config import AdaptConfig


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--iterations", type=int, default=3)
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--learning-epochs", type=int, default=None, help="PPO epochs (default: the main job's)")
    args = p.parse_args()
    cfg = AdaptConfig.cli_default([])
    if args.learning_epochs is not None:
        cfg = dataclasses.replace(cfg, ppo=dataclasses.replace(cfg.ppo, learning_epochs=args.learning_epochs))
    with tempfile.TemporaryDirectory() as tmp:
        cfg = dataclasses.replace(cfg, out=Path(tmp), eval_episodes=0, video=False)
        torch.set_num_threads(cfg.torch_threads)
        runner = build_adapt_runner(cfg)
        runner._rollout()
        runner.update()
        print(f"{cfg.task}, prior={cfg.prior}, {runner.batch_size:,} samples per iteration, {cfg.ppo.learning_epochs} epoch(s), "
              f"update on {cfg.torch_threads} thread(s)")
        for _ in range(args.rounds):
            for threads in (1, 2):
                runner.rollout_threads = threads
                rollout = update = 0.0
                for _ in range(args.iterations):
                    t0 = time.perf_counter()
                    runner._rollout()
                    t1 = time.perf_counter()
                    runner.update()
                    rollout, update = rollout + t1 - t0, update + time.perf_counter() - t1
                n = args.iterations
                print(f"rollout threads {threads}: rollout {rollout / n:.3f} s, update {update / n:.3f} s, "
                      f"{runner.batch_size * n / (rollout + update):,.0f} samples/s")


if __name__ == "__main__":
    main()
