"""Which half of the steering rule a policy fails, by the angle between the commanded facing and
the commanded direction of motion.

Usage: .venv/bin/python benchmarks/steering_failures.py [--token PATH] [--method task_tokens_prior] [--envs 64]
Runs the policy deterministically for 300 steps (as `tasktokens eval task` does: fall
termination, each environment's first episode) and prints, for the judged steps (after each
command's 80-step grace period, before the first fall), by |facing - direction| angle: the share
meeting the velocity rule (|e_rel| <= 0.2 on the speed over 0.5 s), the facing rule (<= 45
degrees) and both. Facing more than 45 degrees away from the motion needs side or backward steps.
"""

from __future__ import annotations

import torch
from task_rollout import binned_means, gait_of, policy_arguments, run_first_episodes

from tasktokens.tasks.rewards import direction_errors, facing_cosine, step_ok_direction, step_ok_steering

BINS_DEG = ((0, 45), (45, 90), (90, 135), (135, 181))


def measure(token, method: str, envs: int, clip_gait=None) -> dict:
    angle, vel_ok, face_ok, both_ok = [], [], [], []
    within_45 = torch.cos(torch.deg2rad(torch.tensor(45.0)))

    def observe(env, alive):
        judged = alive & (env.command_age > env.grace_steps)
        e_rel, _s, _t = direction_errors(env.root_velocity_window(), env.target_dir, env.target_speed)
        cos = facing_cosine(env.root_facing(), env.target_facing)
        between = torch.rad2deg(torch.acos((env.target_dir * env.target_facing).sum(-1).clamp(-1, 1)))
        angle.append(between[judged]), vel_ok.append(step_ok_direction(e_rel)[judged])
        face_ok.append((cos >= within_45)[judged]), both_ok.append(step_ok_steering(e_rel, cos)[judged])

    envs_seen = []
    life = run_first_episodes("steering", token, method, envs, observe, on_env=envs_seen.append, clip_gait=clip_gait)
    angle, vel_ok, face_ok, both_ok = (torch.cat(x) for x in (angle, vel_ok, face_ok, both_ok))
    rows = {f"{lo}-{min(hi, 180)} deg": (*means, n) for lo, hi, means, n in binned_means(angle, BINS_DEG, (vel_ok, face_ok, both_ok))}
    return {"rows": rows, "steps_before_fall": life, "success_rate": envs_seen[0].segments.rate}


def main() -> None:
    a = policy_arguments(__doc__.splitlines()[0], "task_tokens_prior")
    out = measure(a.token, a.method, a.envs, gait_of(a))
    print(f"success rate {out['success_rate']:.3f} (as eval task), mean steps before the first fall: {out['steps_before_fall']:.0f} of 300")
    print("| facing vs direction | velocity ok | facing ok | both | judged steps |")
    print("| --- | --- | --- | --- | --- |")
    for name, (v, f, b, n) in out["rows"].items():
        print(f"| {name} | {v:.2f} | {f:.2f} | {b:.2f} | {n} |")


if __name__ == "__main__":
    main()
