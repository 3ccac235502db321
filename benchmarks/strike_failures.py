"""How strike episodes end, by the box's starting distance: knocked over (success), ended by a
forbidden contact (a body other than the right hand, forearm or the feet touched the box), a
fall, or 300 steps with the box still standing.

    .venv/bin/python benchmarks/strike_failures.py [--token C] [--envs 256]
    .venv/bin/python benchmarks/strike_failures.py --method prior_only --prior R,SKILL,SPEED ...

Each environment's first episode, deterministic, as `tasktokens eval task --task strike` runs
them (seed 1). The task's own termination test is wrapped to see which rule ended an episode
before the environment resets it. --prior runs one line per strike prior setting (StrikeConfig's
prior_near_radius, prior_near_skill, prior_speed).
"""

from __future__ import annotations

import dataclasses

import torch
from task_rollout import binned_means, policy_arguments, run_first_episodes

BINS = ((0.5, 1.5), (1.5, 4.0), (4.0, 7.0), (7.0, 10.01))


class Outcomes:
    """Records, per environment and until its first episode ends, what ended it."""

    def attach(self, env) -> None:
        n = env.num_envs
        self.alive = torch.ones(n, dtype=torch.bool)
        self.distance = (env.box_pos() - env.root_pos)[:, :2].norm(dim=-1)
        self.toppled, self.forbidden, self.fell = (torch.zeros(n, dtype=torch.bool) for _ in range(3))
        task_end, fallen = env.extra_termination, env.env.fallen

        def extra_termination():
            hit = task_end()
            self.toppled |= env.toppled() & self.alive
            self.forbidden |= hit & self.alive & ~self.toppled
            return hit

        def fell():
            f = fallen()
            self.fell |= f & self.alive & ~self.toppled & ~self.forbidden
            return f

        env.extra_termination, env.env.fallen = extra_termination, fell

    def observe(self, env, alive) -> None:
        self.alive = alive.clone()


def table(rec: Outcomes, envs: int) -> None:
    standing = ~(rec.toppled | rec.forbidden | rec.fell)
    print("| box distance (m) | episodes | knocked over | forbidden contact | fall | box still standing at 300 steps |")
    print("| --- | --- | --- | --- | --- | --- |")
    rows = binned_means(rec.distance, BINS, (rec.toppled, rec.forbidden, rec.fell, standing))
    rows.append((BINS[0][0], BINS[-1][1], tuple(float(v.float().mean()) for v in (rec.toppled, rec.forbidden, rec.fell, standing)), envs))
    for lo, hi, (top, forb, fall, stand), n in rows:
        print(f"| {lo:.1f}-{min(hi, 10.0):.1f} | {n} | {top:.2f} | {forb:.2f} | {fall:.2f} | {stand:.2f} |")


def main() -> None:
    args = policy_arguments(__doc__.splitlines()[0], "task_tokens", ("--prior", dict(nargs="*", default=[], help="R,SKILL,SPEED")))
    for setting in args.prior or [None]:
        rec = Outcomes()

        def on_env(env, setting=setting, rec=rec):
            if setting is not None:
                r, skill, speed = setting.split(",")
                env.task_cfg = dataclasses.replace(env.task_cfg, prior_near_radius=float(r), prior_near_skill=skill, prior_speed=float(speed))
            rec.attach(env)

        life = run_first_episodes("strike", args.token, args.method, args.envs, on_env=on_env, observe=rec.observe)
        print(f"strike, {args.method} {setting or ''}, {args.envs} episodes, mean steps before the first end {life:.0f}")
        table(rec, args.envs)


if __name__ == "__main__":
    main()
