"""rsl_rl PPO machinery overhead: 1024 envs x 16 steps, obs 763, 28 actions, MLP hidden (64,)."""

import statistics
import sys
import time

import torch
from rsl_rl.algorithms import PPO
from rsl_rl.models import MLPModel
from rsl_rl.storage import RolloutStorage
from tensordict import TensorDict

torch.set_num_threads(1)
torch.manual_seed(0)
import os

N, T, O, A = int(os.environ.get("BENCH_N", 1024)), 16, 763, 28
OBS_NORM = sys.argv[1] == "norm" if len(sys.argv) > 1 else False


def build():
    obs = TensorDict({"policy": torch.randn(N, O)}, batch_size=[N])
    groups = {"actor": ["policy"], "critic": ["policy"]}
    actor = MLPModel(
        obs,
        groups,
        "actor",
        A,
        hidden_dims=(64,),
        activation="elu",
        obs_normalization=OBS_NORM,
        distribution_cfg={"class_name": "GaussianDistribution", "init_std": 0.2, "learn_std": False},
    )
    critic = MLPModel(obs, groups, "critic", 1, hidden_dims=(64,), activation="elu", obs_normalization=OBS_NORM)
    storage = RolloutStorage("rl", N, T, obs, [A], "cpu")
    return PPO(
        actor,
        critic,
        storage,
        num_learning_epochs=1,
        num_mini_batches=4,
        clip_param=0.2,
        gamma=0.99,
        lam=0.95,
        value_loss_coef=1.0,
        entropy_coef=0.0,
        learning_rate=3e-4,
        max_grad_norm=1.0,
        schedule="adaptive",
        desired_kl=0.03,
        device="cpu",
    )


ppo = build()
ppo.train_mode()


def make_transitions():  # the policy forward of a rollout: NOT timed
    trs = []
    for t in range(T):
        obs = TensorDict({"policy": torch.randn(N, O)}, batch_size=[N])
        tr = RolloutStorage.Transition()
        with torch.inference_mode():
            tr.actions = ppo.actor(obs, stochastic_output=True).clone()
            tr.values = ppo.critic(obs).clone()
            tr.actions_log_prob = ppo.actor.get_output_log_prob(tr.actions).clone()
            tr.distribution_params = tuple(p.clone() for p in ppo.actor.output_distribution_params)
        tr.observations = obs
        tr.rewards = torch.randn(N)
        tr.dones = (torch.rand(N) < 0.02).float()
        trs.append(tr)
    return trs, TensorDict({"policy": torch.randn(N, O)}, batch_size=[N])


def one_iter():
    trs, last_obs = make_transitions()
    t0 = time.perf_counter()
    for tr in trs:
        ppo.storage.add_transition(tr)
    t1 = time.perf_counter()
    with torch.inference_mode():
        ppo.compute_returns(last_obs)
    t2 = time.perf_counter()
    ppo.update()
    t3 = time.perf_counter()
    return t1 - t0, t2 - t1, t3 - t2, t3 - t0


one_iter()  # warm-up
res = [one_iter() for _ in range(3)]
S = N * T
med = [statistics.median(r[i] for r in res) * 1e6 / S for i in range(4)]
print(
    f"rsl_rl 5.5.1 obs_norm={OBS_NORM} threads=1  us/sample (median of 3): add_transition x16={med[0]:.3f}  "
    f"compute_returns(GAE)={med[1]:.3f}  update(1 ep x 4 mb)={med[2]:.3f}  TOTAL={med[3]:.3f}"
)
print("  totals per repeat (ms):", [round(r[3] * 1e3, 1) for r in res])
