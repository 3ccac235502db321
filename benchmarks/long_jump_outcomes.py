"""How long_jump episodes end: a landing past the take-off line (with its length L; success is
L > 1.5 m), leaving the corridor, a fall, or 300 steps without a landing; how far along the
run-up the root got, and how fast.

    .venv/bin/python benchmarks/long_jump_outcomes.py [--token C] [--method M] [--envs 128]
    .venv/bin/python benchmarks/long_jump_outcomes.py --method prior_only --prior-speeds 2.5 3.5
    .venv/bin/python benchmarks/long_jump_outcomes.py --method prior_only --prior-clips --gait-rates 2.0 2.5 3.0

Each environment's first episode, deterministic, as `tasktokens eval task --task long_jump` runs
them (seed 1). The task's own end tests are wrapped to see which rule ended an episode before the
environment resets it. --prior-speeds runs one line per LongJumpConfig.prior_speed (for the
methods that use the prior), --gait-rates one per LongJumpConfig.prior_gait_rate (with the clip
gait: the prior alone with --prior-clips, or a token trained beside it).
"""

from __future__ import annotations

import itertools

import torch
from task_rollout import gait_of, policy_arguments, run_first_episodes


class Outcomes:
    """Per environment, until its first episode ends: what ended it, the jump length, the
    largest root x and the steps it lasted; the task's line, success length and step time."""

    def attach(self, env) -> None:
        n, c = env.num_envs, env.task_cfg
        self.line_x, self.success_length, self.dt = c.line_x, c.success_length, env.dt
        self.alive = torch.ones(n, dtype=torch.bool)
        self.landed, self.corridor, self.fell = (torch.zeros(n, dtype=torch.bool) for _ in range(3))
        self.length, self.max_x, self.steps = torch.zeros(n), torch.zeros(n), torch.zeros(n)
        task_end, over, fallen = env.extra_termination, env.episode_over, env.env.fallen

        def extra_termination():
            out = task_end()
            self.corridor |= out & self.alive
            return out

        def fell():
            f = fallen()
            self.fell |= f & self.alive & ~self.corridor
            return f

        def episode_over():
            done = over()
            new = done & self.alive & ~self.landed
            self.landed |= new
            self.length = torch.where(new, env.jump_length, self.length)
            return done

        env.extra_termination, env.env.fallen, env.episode_over = extra_termination, fell, episode_over

    def observe(self, env, alive) -> None:
        x = env.root_pos[:, 0]
        self.max_x = torch.where(self.alive, torch.maximum(self.max_x, x), self.max_x)
        self.steps += self.alive.float()
        self.alive = alive.clone()


def summary(rec: Outcomes, life: float) -> str:
    crossed = rec.max_x > rec.line_x
    ok_jumps = rec.landed & ~rec.fell & ~rec.corridor
    timeout = ~(rec.landed | rec.fell | rec.corridor)
    lengths = rec.length[ok_jumps]
    jumps = f"{lengths.median():.2f} / {lengths.max():.2f}" if lengths.numel() else "-"
    speed = (rec.max_x / (rec.steps * rec.dt).clamp(min=rec.dt)).mean()
    return (f"| {float(crossed.float().mean()):.2f} | {float(ok_jumps.float().mean()):.2f} | {jumps} | "
            f"{float((rec.length > rec.success_length).float().mean()):.3f} | {float(rec.corridor.float().mean()):.2f} | "
            f"{float(rec.fell.float().mean()):.2f} | {float(timeout.float().mean()):.2f} | {float(rec.max_x.mean()):.1f} | {float(speed):.2f} | {life:.0f} |")


def main() -> None:
    a = policy_arguments(__doc__.splitlines()[0], "task_tokens", ("--prior-speeds", {"type": float, "nargs": "*", "default": [None]}),
                         ("--gait-rates", {"type": float, "nargs": "*", "default": [None]}), jog_gait=False)
    print("| policy | prior speed | gait rate | past the line | landed past it | L median / max (m) | success (L > 1.5 m) | left the corridor | fell | "
          "no landing in 300 steps | mean max x (m) | mean x speed (m/s) | steps |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for speed, rate in itertools.product(a.prior_speeds, a.gait_rates):
        rec = Outcomes()

        def on_env(env, speed=speed, rate=rate, rec=rec):
            if speed is not None:
                env.task_cfg.prior_speed = speed
            if rate is not None:
                env.task_cfg.prior_gait_rate = rate
            rec.attach(env)

        life = run_first_episodes("long_jump", a.token, a.method, a.envs, rec.observe, on_env=on_env, clip_gait=gait_of(a))
        name = a.method + (" + clip gait" if a.prior_clips else "")
        shown = ["default" if v is None else v for v in (speed, rate)]
        print(f"| {name} | {shown[0]} | {shown[1]} {summary(rec, life)}")


if __name__ == "__main__":
    main()
