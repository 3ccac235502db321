import time

import torch
from rsl_rl.modules import EmpiricalNormalization

torch.set_num_threads(1)
n = EmpiricalNormalization(763)
x = torch.randn(16384, 763)
xb = x[:4096]


def t(f, k=5):
    f()
    s = time.perf_counter()
    for _ in range(k):
        f()
    return (time.perf_counter() - s) / k * 1e3


print(f"update(16384x763) {t(lambda: n.update(x)):.1f} ms; forward(4096x763) {t(lambda: n(xb)):.2f} ms")
print(
    f"var(16384x763,dim0) {t(lambda: torch.var(x, dim=0, unbiased=False, keepdim=True)):.1f} ms; mean {t(lambda: torch.mean(x, dim=0, keepdim=True)):.1f} ms"
)
