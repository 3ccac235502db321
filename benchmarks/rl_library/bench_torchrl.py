"""TorchRL PPO machinery overhead: 1024 envs x 16 steps, obs 763, 28 actions, MLP hidden (64,)."""

import statistics
import time

import torch
import torchrl
from tensordict import TensorDict
from tensordict.nn import TensorDictModule, TensorDictSequential
from torch import nn
from torchrl.modules import IndependentNormal, ProbabilisticActor, ValueOperator
from torchrl.objectives import ClipPPOLoss
from torchrl.objectives.value import GAE

torch.set_num_threads(1)
torch.manual_seed(0)
import os

N, T, O, A, MB = int(os.environ.get("BENCH_N", 1024)), 16, 763, 28, 4


class ConstScale(nn.Module):
    def forward(self, loc):
        return torch.full_like(loc, 0.2)


actor_net = nn.Sequential(nn.Linear(O, 64), nn.ELU(), nn.Linear(64, A))
policy = ProbabilisticActor(
    TensorDictSequential(
        TensorDictModule(actor_net, ["observation"], ["loc"]), TensorDictModule(ConstScale(), ["loc"], ["scale"])
    ),
    in_keys=["loc", "scale"],
    distribution_class=IndependentNormal,
    return_log_prob=True,
)
value = ValueOperator(nn.Sequential(nn.Linear(O, 64), nn.ELU(), nn.Linear(64, 1)), in_keys=["observation"])
gae_net = GAE(gamma=0.99, lmbda=0.95, value_network=value, average_gae=True)  # standard usage: critic runs inside GAE
gae_pre = GAE(gamma=0.99, lmbda=0.95, value_network=None, average_gae=True)  # values precomputed at rollout time
loss_mod = ClipPPOLoss(
    policy, value, clip_epsilon=0.2, entropy_bonus=False, critic_coeff=1.0, loss_critic_type="l2", clip_value=0.2
)
opt = torch.optim.Adam(loss_mod.parameters(), lr=3e-4)


def make():  # rollout: policy forward, NOT timed
    steps = []
    obs = torch.randn(N, O)
    with torch.no_grad():
        for t in range(T):
            td = policy(TensorDict({"observation": obs}, [N]))
            td["state_value"] = value(TensorDict({"observation": obs}, [N]))["state_value"]
            nxt = torch.randn(N, O)
            d = torch.rand(N, 1) < 0.02
            td["next"] = TensorDict(
                {
                    "observation": nxt,
                    "reward": torch.randn(N, 1),
                    "done": d,
                    "terminated": d.clone(),
                    "state_value": value(TensorDict({"observation": nxt}, [N]))["state_value"],
                },
                [N],
            )
            steps.append(td)
            obs = nxt
    return steps


buf = make()[0].unsqueeze(1).expand(N, T).clone()  # preallocated [N, T] TensorDict (time last, TorchRL convention)
buf.names = [None, "time"]


def one_iter(gae, mode):
    steps = make()
    t0 = time.perf_counter()
    for t, s in enumerate(steps):
        buf[:, t] = s
    t1 = time.perf_counter()
    with torch.no_grad():
        gae(buf)
        adv = buf["advantage"]
        buf["advantage"] = (adv - adv.mean()) / (adv.std() + 1e-8)
    t2 = time.perf_counter()
    flat = buf.reshape(-1)
    idx = torch.randperm(N * T)
    m = N * T // MB
    for i in range(MB):
        mb = flat[idx[i * m : (i + 1) * m]]
        out = loss_mod(mb)
        loss = out["loss_objective"] + out["loss_critic"]
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(policy.parameters(), 1.0)
        nn.utils.clip_grad_norm_(value.parameters(), 1.0)
        opt.step()
        _ = (out["loss_objective"].item(), out["loss_critic"].item(), out["kl_approx"].item())
    t3 = time.perf_counter()
    return t1 - t0, t2 - t1, t3 - t2, t3 - t0


S = N * T
for name, gae in [
    ("GAE runs critic (value_network=value)", gae_net),
    ("GAE on precomputed values (value_network=None)", gae_pre),
]:
    one_iter(gae, name)
    res = [one_iter(gae, name) for _ in range(3)]
    med = [statistics.median(r[i] for r in res) * 1e6 / S for i in range(4)]
    print(
        f"torchrl {torchrl.__version__} [{name}] threads=1  us/sample (median of 3): store x16={med[0]:.3f}  GAE={med[1]:.3f}  "
        f"update(1 ep x 4 mb)={med[2]:.3f}  TOTAL={med[3]:.3f}"
    )
    print("  totals per repeat (ms):", [round(r[3] * 1e3, 1) for r in res])
