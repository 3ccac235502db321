"""How far a learned task token moves the BFM's prior, along the token's own rollouts.

Usage: .venv/bin/python benchmarks/token_prior_shift.py TOKEN.safetensors [TOKEN ...] [--task direction] [--envs 64] [--steps 150]
Each token runs deterministically on the BFM its config names (episodes from the task's usual
starts, seed 5). At every step, for the environments still up, the prior is evaluated twice on the
same proprioception and goals (a hybrid token's hand-written prior): with the token (mu_tok) and
with a zero token (mu_zero). Prints, averaged
over the steps: the token's RMS, RMS of (mu_tok - mu_zero) / sigma_prior (the shift in units of
the prior's own spread), RMS of mu_zero, the prior's mean sigma, the RMS change of the decoded
action mean, and the share of environments still up at the end.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch

from tasktokens.eval.task import load_policy
from tasktokens.models.policies import saved_adapt_config
from tasktokens.tasks import get_task
from tasktokens.tasks.base import TaskEnvConfig
from tasktokens.train.checkpoint import load_weights, resolve_saved_path


def prior_shift(task: str, token: Path, envs: int, steps: int) -> dict:
    spec = get_task(task)
    env = spec.env_cls(spec.config_cls(env=TaskEnvConfig(num_envs=envs, num_threads=1, episode_steps=300, seed=5)))
    _, meta = load_weights(token, env.character)
    bfm_path = resolve_saved_path(saved_adapt_config(meta["config"]).bfm)
    actor, _ = load_policy(task, "task_tokens", token, bfm_path, env)
    head = actor.mlp  # encoder, the token's hand-written prior (a hybrid's goals) and the frozen BFM
    bfm = head.bfm
    obs, running = env.get_observations(), torch.ones(envs, dtype=torch.bool)
    rows: dict[str, list[torch.Tensor]] = {k: [] for k in ("token", "shift", "mu", "sigma", "action")}
    with torch.inference_mode():
        for _ in range(steps):
            proprio, task = obs["policy"], obs["task"]
            tok = head.encoder(task)
            goals = head.prior(proprio, task) if head.prior is not None else None
            mu_t, _ = bfm.prior(proprio, goals, tok)
            mu_0, logvar_0 = bfm.prior(proprio, goals, torch.zeros_like(tok))
            sigma, r = logvar_0.mul(0.5).exp(), running
            action = bfm.decode(proprio, mu_t)  # the policy's deterministic action, as actor(obs)
            rows["token"].append(tok[r].pow(2).mean().sqrt())
            rows["shift"].append(((mu_t - mu_0) / sigma)[r].pow(2).mean().sqrt())
            rows["mu"].append(mu_0[r].pow(2).mean().sqrt())
            rows["sigma"].append(sigma[r].mean())
            rows["action"].append((action - bfm.decode(proprio, mu_0))[r].pow(2).mean().sqrt())
            obs, _r, done, _e = env.step(action)
            running &= ~done
            if not running.any():
                break
    out = {k: float(torch.stack(v).mean()) for k, v in rows.items()}
    return out | {"bfm": bfm_path.parent.name, "upright": float(running.float().mean())}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("tokens", nargs="+", type=Path)
    p.add_argument("--task", default="direction")
    p.add_argument("--envs", type=int, default=64)
    p.add_argument("--steps", type=int, default=150)
    args = p.parse_args()
    torch.set_num_threads(1)
    print("| token | BFM | token RMS | prior shift / sigma (RMS) | mu_zero RMS | sigma | action change RMS | up at the end |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for token in args.tokens:
        r = prior_shift(args.task, token, args.envs, args.steps)
        print(f"| {token} | {r['bfm']} | {r['token']:.2f} | {r['shift']:.2f} | {r['mu']:.2f} | {r['sigma']:.3f} | {r['action']:.3f} | {r['upright']:.2f} |", flush=True)


if __name__ == "__main__":
    main()
