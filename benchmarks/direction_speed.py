"""How close a direction policy comes to the success rule, step by step.

Usage: .venv/bin/python benchmarks/direction_speed.py [--token PATH] [--method task_tokens] [--envs 64] [--prior-clips] [--gait TOP FEEDBACK]
Runs the policy deterministically for 300 steps (as `tasktokens eval task` does, 64 environments,
fall termination) and prints, by commanded speed: the share of the steps after each command's
60-step grace period that meet the rule (|e_rel| <= 0.2), the mean speed along the command, and
the mean steps before the first fall. Success needs every such step of a 199-step command to
pass, so this says whether a policy is near the rule or far from it.
"""

from __future__ import annotations

import torch
from task_rollout import binned_means, gait_of, policy_arguments, run_first_episodes

from tasktokens.tasks.rewards import direction_errors

BINS = ((0.0, 0.01), (1.0, 1.5), (1.5, 2.5), (2.5, 3.6))


def measure(token, method: str, envs: int, clip_gait=None) -> dict:
    speed, along, ok = [], [], []

    def observe(env, alive):
        _e_rel, s, _t = direction_errors(env.root_velocity(), env.target_dir, env.target_speed)
        judged = alive & (env.command_age > env.grace_steps)
        speed.append(env.target_speed[judged]), along.append(s[judged]), ok.append(env.step_ok()[judged])  # the task's own rule

    life = run_first_episodes("direction", token, method, envs, observe, clip_gait=clip_gait)
    speed, along, ok = torch.cat(speed), torch.cat(along), torch.cat(ok)
    rows = {f"{lo}-{hi} m/s": (*means, n) for lo, hi, means, n in binned_means(speed, BINS, (ok, along))}
    return {"rows": rows, "steps_before_fall": life}


def main() -> None:
    a = policy_arguments(__doc__.splitlines()[0], "task_tokens")
    out = measure(a.token, a.method, a.envs, gait_of(a))
    print(f"mean steps before the first fall: {out['steps_before_fall']:.0f} of 300")
    print("commanded speed | judged steps passing | mean speed along the command | judged steps")
    for name, (share, s, n) in out["rows"].items():
        print(f"{name} | {share:.2f} | {s:.2f} | {n}")


if __name__ == "__main__":
    main()
