"""Environment overhead: env steps/s against raw mujoco.batch physics steps/s, same model,
same simulation and thread count, in one run."""

from __future__ import annotations

import time
from dataclasses import dataclass

import mujoco
import mujoco.batch
import numpy as np
import torch

from tasktokens.character import Character
from tasktokens.envs.humanoid_env import HumanoidEnv
from tasktokens.sim.common import SimConfig


@dataclass
class SimBenchResult:
    env_steps_per_s: float
    """Control steps of the environment per second, summed over environments."""
    raw_steps_per_s: float
    """mujoco.batch physics steps per second, summed over simulations."""
    ratio: float
    """env_steps_per_s * substeps / raw_steps_per_s (1 = no overhead)."""
    num_envs: int
    num_threads: int
    substeps: int


def bench_env(env: HumanoidEnv, seconds: float, rng: torch.Generator) -> float:
    n = env.num_envs
    env.reset_envs(torch.arange(n))
    steps, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        actions = torch.rand(n, env.num_actions, generator=rng) * 2 - 1
        _obs, done, _failed = env.step(actions)
        env.reset_envs(done.nonzero().squeeze(-1))
        steps += 1
    return steps * n / (time.perf_counter() - start)


def _bench_raw(env: HumanoidEnv, cfg: SimConfig, seconds: float) -> float:
    """Bare Batch stepping of the same model, the environment's PD targets of random actions
    (drawn before the clock starts), and the environment's reset rule (a body other than the feet touches the floor), read from the same
    contact sensors with numpy, so that both loops simulate the same kind of states."""
    model = env.sim.model
    batch = mujoco.batch.Batch(model, cfg.num_envs, nthread=cfg.num_threads, persistent=True)
    ctrl, qpos, sensors = batch.bind("ctrl"), batch.bind("qpos"), batch.bind("sensordata")
    default_qpos = env.default_qpos.numpy()
    qpos[:] = default_qpos
    batch.forward()
    columns = env.sim._contact_adr[~env._contact_allowed].numpy()
    rng = torch.Generator().manual_seed(1)
    pool = [env.sim.pd_targets(torch.rand(cfg.num_envs, env.num_actions, generator=rng) * 2 - 1).numpy() for _ in range(16)]
    steps, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        ctrl[:] = pool[(steps // cfg.substeps) % len(pool)]
        batch.step(nstep=cfg.substeps)
        fallen = np.nonzero((sensors[:, columns] > 0).any(axis=1))[0]
        if fallen.size:
            batch.reset(fallen, stage=mujoco.mjtStage.mjSTAGE_NONE)
            qpos[fallen] = default_qpos
            batch.forward(fallen)
        steps += cfg.substeps
    return steps * cfg.num_envs / (time.perf_counter() - start)


def bench_sim(character: Character, seconds: float, num_envs: int = 512, num_threads: int = 2) -> SimBenchResult:
    """Run both measurements for `seconds` each; torch uses one thread so that MuJoCo's
    threads have the cores (as in training, where physics and torch alternate)."""
    cfg = SimConfig(num_envs=num_envs, num_threads=num_threads)
    env = HumanoidEnv(character, cfg)
    rng = torch.Generator().manual_seed(0)
    torch_threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        bench_env(env, min(1.0, seconds), rng)  # warm-up
        env_rate = bench_env(env, seconds, rng)
    finally:
        torch.set_num_threads(torch_threads)
    raw_rate = _bench_raw(env, cfg, seconds)
    return SimBenchResult(env_rate, raw_rate, env_rate * cfg.substeps / raw_rate, num_envs, num_threads, cfg.substeps)
