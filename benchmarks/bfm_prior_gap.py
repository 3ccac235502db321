"""How much worse a BFM's inference path decodes than its posterior path, and what acting with the
posterior would give: the two diagnostics behind "Prior-path action loss" in
docs/bfm-and-task-tokens.md.

    .venv/bin/python benchmarks/bfm_prior_gap.py mse [--checkpoint C]
    .venv/bin/python benchmarks/bfm_prior_gap.py rollout [--checkpoint C]

mse: the student's own full-goal DAgger rollouts (256 envs x 16 steps x 12 iterations, the
distillation clips, termination at 1 m), action MSE to the tracker's labels of decoder(mu_prior)
(what `act` uses) and of decoder(mu_posterior), on the stealthy walks and on the other clips
(grouped by the clip each environment plays at the end of an iteration).
rollout: the full-goal loop of `tasktokens eval bfm` on the three stealthy walks (150 episodes,
seed 11), acting with z = mu_prior (as shipped) and with z = mu_posterior (the posterior sees the
tracker's whole future reference).
"""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

import torch

from tasktokens.eval.bfm import SHIPPED_BFM, BFMEval
from tasktokens.eval.tracker import build_actor, load_tracker
from tasktokens.models.bfm import BFM
from tasktokens.models.loading import load_bfm
from tasktokens.motion.motion_lib import data_root
from tasktokens.tasks.tracking import TrackingEnv
from tasktokens.train.distill import DistillConfig, DistillRunner, GoalMaskConfig

M = data_root() / "motions" / "deepmimic"
CLIPS = "walk jog run crawl punch kick stealthy_walk zombie_walk dance_spin getup_facedown getup_faceup".split()
MOTIONS = (M / "long", *(M / "clips" / f"humanoid3d_{n}.txt" for n in CLIPS))
STEALTHY = (M / "clips" / "humanoid3d_stealthy_walk.txt", M / "long" / "humanoid3d_stealthy_walk0.txt", M / "long" / "humanoid3d_stealthy_walk1.txt")


def mse_gap(checkpoint: Path) -> None:
    masks = GoalMaskConfig(full_prob=1.0, root_only_prob=0.0, no_goal_prob=0.0)
    cfg = DistillConfig(out=Path("/tmp/bfm_prior_gap"), motions=MOTIONS, num_envs=256, masks=masks)
    tensors, tcfg = load_tracker(cfg.teacher)
    env = TrackingEnv(dataclasses.replace(tcfg.env, num_envs=256, curriculum_samples=0, motions=MOTIONS, termination_distance=1.0))
    runner = DistillRunner(env, build_actor(tensors, tcfg, env.get_observations(), env.num_actions), cfg)
    bfm, _ = load_bfm(checkpoint, env.character)
    runner.bfm = bfm
    sums: dict[str, list[float]] = {"stealthy": [0.0, 0.0, 0], "other": [0.0, 0.0, 0]}
    for _ in range(12):
        runner.collect()
        stealthy = torch.tensor(["stealthy" in env.lib.names[i] for i in env.clip_ids])
        for proprio, goals, post, labels in runner._buffer:
            with torch.no_grad():
                mu_p, _ = bfm.prior(proprio, goals)
                mu_q, _ = bfm.posterior_params(proprio, post)
                e_p = (bfm.decode(proprio, mu_p) - labels).pow(2).mean(-1)
                e_q = (bfm.decode(proprio, mu_q) - labels).pow(2).mean(-1)
            for group, sel in (("stealthy", stealthy), ("other", ~stealthy)):
                sums[group][0] += float(e_p[sel].sum())
                sums[group][1] += float(e_q[sel].sum())
                sums[group][2] += int(sel.sum())
    for group, (p, q, n) in sums.items():
        print(f"{group}: {n} steps, MSE prior path {p / n:.5f}, posterior path {q / n:.5f}, ratio {p / q:.2f}")


def rollout_gap(checkpoint: Path) -> None:
    last: dict[str, torch.Tensor] = {}
    get_observations = TrackingEnv.get_observations

    def keep_posterior_obs(env):  # the posterior's input: the tracker's observation past proprioception
        obs = get_observations(env)
        last["post"] = obs["policy"][:, env.env.num_proprio :]
        return obs

    def act_with_posterior(bfm, proprio, goals=None, extra_tokens=None, keep=None):
        return bfm.decode(proprio, bfm.posterior_params(proprio, last["post"])[0])

    for path in ("prior", "posterior"):
        TrackingEnv.get_observations = keep_posterior_obs
        act = BFM.act
        if path == "posterior":
            BFM.act = act_with_posterior
        try:
            report = BFMEval(checkpoint=checkpoint, motions=STEALTHY, episodes=150, seed=11).run()
        finally:
            TrackingEnv.get_observations, BFM.act = get_observations, act
        print(f"z = mu_{path}: teacher {report['teacher_success']:.2f}, full goal {report['full_goal_success']:.2f}, "
              + ", ".join(f"{n} {r['full_goal_success']:.2f}" for n, r in report["per_clip"].items()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=("mse", "rollout"))
    parser.add_argument("--checkpoint", type=Path, default=SHIPPED_BFM)
    args = parser.parse_args()
    torch.set_num_threads(2)
    (mse_gap if args.what == "mse" else rollout_gap)(args.checkpoint)


if __name__ == "__main__":
    main()
