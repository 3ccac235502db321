"""Side and backward steps under root goals, by the direction of travel relative to the commanded
facing and by the commanded pelvis height: which of them a BFM can do.

Usage: .venv/bin/python benchmarks/probe_directions.py --bfm C [--episodes 32] [--heights 0.85 0.75]
Each row runs `eval probes`' side-step rule (tasktokens/eval/probes.py velocity_rule: over 5 s
after a 1 s blend, mean velocity within 0.3 m/s of the command, pelvis facing within 30 degrees of
+x, no fall) from standing starts, with root goals of a constant velocity at the given angle from
+x and speed, facing +x, at the given pelvis height. The probes ask for 90 degrees at 1 m/s and
180 degrees, at 0.85 m (the MIT walk's pelvis). The Reallusion clips, the only side and backward
steps in the corpus, hold them with the pelvis turned about 45 degrees from the travel (left steps
travel at about 133 degrees from the pelvis heading, right steps at -50, backward at -137; their
mirrors at the opposite signs), at a pelvis height of 0.69-0.77 m (docs/probes.md).
"""

from __future__ import annotations

import argparse
import math

import torch

from tasktokens.character import get_character
from tasktokens.envs.humanoid_env import HumanoidEnv
from tasktokens.eval.probe_rollout import rollout, start_lib, start_states
from tasktokens.eval.probes import GoalKit, facing_error_deg, ramp, velocity_rule
from tasktokens.models.loading import load_bfm
from tasktokens.sim.common import SimConfig

COMMANDS = ((90, 1.0), (90, 0.6), (133, 0.6), (50, 0.6), (180, 0.6), (-137, 0.6))
"""(travel angle from the facing, degrees; speed m/s): the probes' side step, and the data's directions."""


def velocity_goals(kit: GoalKit, velocity: tuple[float, float], height: float):
    """The side-step probe's schedule (blend from the start's velocity in 1 s, facing +x) at a pelvis height."""
    def schedule(t, s):
        w = ramp(t + kit.times, 1.0)[None, :, None]
        v = s.start_velocity[:, None] * (1 - w) + torch.tensor(velocity) * w
        return kit.goals(kit.root(s, v, torch.zeros(s.yaw.shape[0], kit.times.numel()), height=height))
    return schedule


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--bfm", required=True)
    p.add_argument("--episodes", type=int, default=32)
    p.add_argument("--heights", type=float, nargs="+", default=[0.85, 0.75])
    args = p.parse_args()
    torch.set_num_threads(2)
    character = get_character("humanoid3d")
    bfm, _ = load_bfm(args.bfm, character)
    env = HumanoidEnv(character, SimConfig(num_envs=args.episodes, num_threads=2))
    kit, lib, dt = GoalKit(bfm.cfg, character, env.sim.control_dt), start_lib(character), env.sim.control_dt
    print(f"{args.bfm}, {args.episodes} standing starts each\n")
    print("| pelvis height (m) | travel from facing (deg) | speed (m/s) | pass rate | velocity error (median, m/s) | facing error (median, deg) | upright |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for height in args.heights:
        for angle, speed in COMMANDS:
            velocity = (speed * math.cos(math.radians(angle)), speed * math.sin(math.radians(angle)))
            qpos, qvel = start_states(lib, ["stand"] * args.episodes, torch.Generator().manual_seed(3))
            traj = rollout(env, bfm, velocity_goals(kit, velocity, height), qpos, qvel, torch.zeros(args.episodes, 3), round(6.0 / dt))
            ok, err = velocity_rule(traj, velocity)
            facing = facing_error_deg(traj, 1.0, 6.0)
            print(f"| {height:.2f} | {angle} | {speed} | {ok.float().mean():.2f} | {err.median():.2f} | {facing.median():.0f} | "
                  f"{traj.upright().float().mean():.2f} |", flush=True)


if __name__ == "__main__":
    main()
