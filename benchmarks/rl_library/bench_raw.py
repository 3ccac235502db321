"""Plain-PyTorch floor: same work as rsl_rl's add_transition + GAE + update, no library."""

import statistics
import time

import torch
from torch import nn

torch.set_num_threads(1)
torch.manual_seed(0)
import os

N, T, O, A, MB = int(os.environ.get("BENCH_N", 1024)), 16, 763, 28, 4
actor = nn.Sequential(nn.Linear(O, 64), nn.ELU(), nn.Linear(64, A))
critic = nn.Sequential(nn.Linear(O, 64), nn.ELU(), nn.Linear(64, 1))
std = 0.2
opt = torch.optim.Adam([*actor.parameters(), *critic.parameters()], lr=3e-4)
buf = {k: torch.zeros(T, N, d) for k, d in [("obs", O), ("act", A), ("rew", 1), ("done", 1), ("val", 1), ("logp", 1), ("mu", A)]}
ret = torch.zeros(T, N, 1)


def make():
    steps = []
    with torch.inference_mode():
        for t in range(T):
            o = torch.randn(N, O)
            mu = actor(o)
            a = mu + std * torch.randn_like(mu)
            lp = torch.distributions.Normal(mu, std).log_prob(a).sum(-1, keepdim=True)
            steps.append(
                dict(obs=o, act=a, rew=torch.randn(N, 1), done=(torch.rand(N, 1) < 0.02).float(), val=critic(o), logp=lp, mu=mu)
            )
    return steps, torch.randn(N, O)


def one_iter():
    steps, last = make()
    t0 = time.perf_counter()
    for t, s in enumerate(steps):
        for k, v in s.items():
            buf[k][t].copy_(v)
    t1 = time.perf_counter()
    with torch.inference_mode():
        nv = critic(last)
        adv = torch.zeros(N, 1)
        for t in reversed(range(T)):
            nnt = 1.0 - buf["done"][t]
            delta = buf["rew"][t] + nnt * 0.99 * nv - buf["val"][t]
            adv = delta + nnt * 0.99 * 0.95 * adv
            ret[t] = adv + buf["val"][t]
            nv = buf["val"][t]
        advs = ret - buf["val"]
        advs = (advs - advs.mean()) / (advs.std() + 1e-8)
    t2 = time.perf_counter()
    flat = {k: v.flatten(0, 1) for k, v in buf.items()}
    fr = ret.flatten(0, 1)
    fa = advs.flatten(0, 1)
    idx = torch.randperm(N * T)
    m = N * T // MB
    for i in range(MB):
        b = idx[i * m : (i + 1) * m]
        o = flat["obs"][b]
        mu = actor(o)
        v = critic(o)
        dist = torch.distributions.Normal(mu, std)
        lp = dist.log_prob(flat["act"][b]).sum(-1)
        with torch.inference_mode():
            kl = (
                torch.distributions.kl_divergence(
                    torch.distributions.Normal(flat["mu"][b], std), torch.distributions.Normal(mu, std)
                )
                .sum(-1)
                .mean()
            )
        ratio = torch.exp(lp - flat["logp"][b].squeeze(-1))
        a_ = fa[b].squeeze(-1)
        sl = torch.max(-a_ * ratio, -a_ * ratio.clamp(0.8, 1.2)).mean()
        vb = flat["val"][b]
        vc = vb + (v - vb).clamp(-0.2, 0.2)
        vl = torch.max((v - fr[b]).pow(2), (vc - fr[b]).pow(2)).mean()
        loss = sl + vl
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(actor.parameters(), 1.0)
        nn.utils.clip_grad_norm_(critic.parameters(), 1.0)
        opt.step()
        _ = (vl.item(), sl.item(), kl.item())
    t3 = time.perf_counter()
    return t1 - t0, t2 - t1, t3 - t2, t3 - t0


one_iter()
res = [one_iter() for _ in range(3)]
S = N * T
med = [statistics.median(r[i] for r in res) * 1e6 / S for i in range(4)]
print(
    f"plain torch {torch.__version__} threads=1  us/sample (median of 3): store x16={med[0]:.3f}  GAE={med[1]:.3f}  "
    f"update(1 ep x 4 mb)={med[2]:.3f}  TOTAL={med[3]:.3f}"
)
print("  totals per repeat (ms):", [round(r[3] * 1e3, 1) for r in res])
