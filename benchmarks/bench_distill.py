"""Where the time of BFM distillation goes, and what bf16 updates save.

Usage: .venv/bin/python benchmarks/bench_distill.py [--iterations 3] [--teacher C] [--motions ...]
Builds the default `tasktokens pretrain bfm` runner (512 envs x 16 steps, 2 epochs x 16
mini-batches) and times its rollout (simulation, teacher labels, student actions) and its update
per iteration, in fp32 and in bf16 (--precision), plus one gradient step on a collected mini-batch
of 512 (the whole loss with the prior-path term; the prior transformer alone; the posterior and
decoder MLPs alone). Run it on an idle machine; results in
docs/benchmarks.md ("BFM distillation: where the time goes").
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import torch

from tasktokens.eval.tracker import SHIPPED_TRACKER
from tasktokens.train.distill import DistillConfig, DistillRunner


def time_iterations(runner: DistillRunner, iterations: int) -> tuple[float, float]:
    """Mean seconds of the rollout and of the update per iteration, after one warm-up."""
    rollout = update = 0.0
    for it in range(iterations + 1):
        t0 = time.perf_counter()
        runner._rollout()
        t1 = time.perf_counter()
        runner.update()
        t2 = time.perf_counter()
        if it:
            rollout, update = rollout + t1 - t0, update + t2 - t1
    return rollout / iterations, update / iterations


def time_parts(runner: DistillRunner, steps: int = 10) -> dict[str, float]:
    """Milliseconds per gradient step (forward + backward) on one collected mini-batch of 512:
    the whole loss, the prior transformer alone, the posterior and decoder MLPs alone."""
    from tasktokens.models.bfm import Goals, distillation_loss

    runner._rollout()
    proprio, goals, post, labels = runner._buffer[0]
    bfm = runner.bfm.train()
    autocast = runner.dcfg.precision == "bf16"

    def whole():
        return distillation_loss(bfm, proprio, goals, post, labels, runner.dcfg.beta, prior_action_weight=1.0)[0]

    def prior():
        mu, logvar = bfm.prior(proprio, Goals(goals.frames, goals.times, goals.skill))
        return mu.sum() + logvar.sum()

    def mlps():
        mu, logvar = bfm.posterior_params(proprio, post)
        return bfm.decode(proprio, mu).sum() + logvar.sum()

    out = {}
    for name, fn in (("loss", whole), ("prior transformer", prior), ("posterior + decoder", mlps)):
        for k in range(steps + 2):
            if k == 2:
                t = time.perf_counter()
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=autocast):
                value = fn()
            bfm.zero_grad()
            value.backward()
        out[name] = 1000 * (time.perf_counter() - t) / steps
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--iterations", type=int, default=3)
    parser.add_argument("--teacher", type=Path, default=SHIPPED_TRACKER)
    parser.add_argument("--motions", type=Path, nargs="*", default=())
    args = parser.parse_args()
    torch.set_num_threads(2)
    for precision in ("fp32", "bf16"):
        cfg = DistillConfig(out=Path("/tmp/bench_distill"), teacher=args.teacher, motions=tuple(args.motions), precision=precision)
        runner = cfg.build_runner()
        rollout, update = time_iterations(runner, args.iterations)
        batch = runner.batch_size
        print(f"{precision}: {batch / (rollout + update):,.0f} samples/s; per iteration of {batch:,}: rollout {rollout:.2f} s, "
              f"update {update:.2f} s ({cfg.epochs * cfg.mini_batches} gradient steps, {1000 * update / (cfg.epochs * cfg.mini_batches):.0f} ms each)")
        parts = time_parts(runner)
        print(f"{precision}: one gradient step on {runner.env.num_envs} samples: " + ", ".join(f"{k} {v:.0f} ms" for k, v in parts.items()))


if __name__ == "__main__":
    main()
