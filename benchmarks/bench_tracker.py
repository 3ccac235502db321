"""Where the time of tracker training goes: physics, the rest of the environment step
(references, observations, reward, resets), the policy forward, and the PPO update.

Usage: .venv/bin/python benchmarks/bench_tracker.py [--iterations 5] [--num-envs 1024]
Runs the default `tasktokens pretrain tracker` configuration for a few iterations with timers
around each part and prints samples/s and the share of each part (run it on an idle machine).
"""

from __future__ import annotations

import argparse
import time

import torch

from tasktokens.algos.ppo import ActorCriticConfig, PPOConfig, build_ppo
from tasktokens.tasks.tracking import TrackingConfig, TrackingEnv


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--iterations", type=int, default=5)
    parser.add_argument("--num-envs", type=int, default=1024)
    parser.add_argument("--rollout-threads", type=int, default=1, help="torch threads while the simulator runs (the runner uses 1)")
    args = parser.parse_args()
    torch.set_num_threads(2)
    env = TrackingEnv(TrackingConfig(num_envs=args.num_envs))
    ppo = PPOConfig()
    alg = build_ppo(env.get_observations(), env.num_actions, env.num_envs, ppo, ActorCriticConfig())
    timers = {"physics": 0.0, "env (refs, obs, reward, resets)": 0.0, "policy + critic forward": 0.0, "PPO update": 0.0}
    sim_step = env.sim.step

    def timed_sim_step(targets):
        t = time.perf_counter()
        sim_step(targets)
        timers["physics"] += time.perf_counter() - t

    env.sim.step = timed_sim_step
    samples, start = 0, time.perf_counter()
    obs = env.get_observations()
    for it in range(args.iterations + 1):
        if it == 1:  # first iteration is warm-up
            timers = dict.fromkeys(timers, 0.0)
            samples, start = 0, time.perf_counter()
        torch.set_num_threads(args.rollout_threads)  # the runner: one torch thread while MuJoCo steps
        with torch.inference_mode():
            for _ in range(ppo.steps_per_env):
                t0 = time.perf_counter()
                actions = alg.act(obs)
                t1 = time.perf_counter()
                physics_before = timers["physics"]
                obs, rew, done, extras = env.step(actions)
                t2 = time.perf_counter()
                alg.process_env_step(obs, rew, done, extras)
                timers["policy + critic forward"] += t1 - t0
                timers["env (refs, obs, reward, resets)"] += (t2 - t1) - (timers["physics"] - physics_before)
            alg.compute_returns(obs)
        torch.set_num_threads(2)
        t3 = time.perf_counter()
        alg.update()
        timers["PPO update"] += time.perf_counter() - t3
        samples += env.num_envs * ppo.steps_per_env
    total = time.perf_counter() - start
    print(f"{args.num_envs} envs x {ppo.steps_per_env} steps, {args.iterations} iterations: {samples / total:,.0f} samples/s")
    for k, v in timers.items():
        print(f"  {k:<34} {v / total:6.1%}  {1e6 * v / samples:7.1f} us/sample")


if __name__ == "__main__":
    main()
