"""Gradient norms per parameter tensor of a module, for TensorBoard.

A task encoder sits before a frozen transformer: if the gradient that reaches it through the
BFM vanished, PPO would stall with no other sign. The meter records, through tensor hooks, the
norm of every gradient that backpropagation computes for the module's trainable parameters
(before any clipping) and gives their mean per parameter over one update's backward passes.
"""

from __future__ import annotations

from functools import partial

import torch
from torch import nn


class GradNormMeter:
    """Mean gradient norm of each trainable parameter of `module` since the last `pop()`."""

    def __init__(self, module: nn.Module, prefix: str):
        self._sums: dict[str, float] = {}
        self._counts: dict[str, int] = {}
        self._handles = [p.register_hook(partial(self._record, f"{prefix}/{name}"))
                         for name, p in module.named_parameters() if p.requires_grad]

    def _record(self, name: str, grad: torch.Tensor) -> None:
        self._sums[name] = self._sums.get(name, 0.0) + float(grad.detach().norm())
        self._counts[name] = self._counts.get(name, 0) + 1

    def pop(self) -> dict[str, float]:
        """{prefix/parameter name: mean norm} over the backward passes since the last call."""
        means = {k: s / self._counts[k] for k, s in self._sums.items()}
        self._sums.clear()
        self._counts.clear()
        return means

    def close(self) -> None:
        for h in self._handles:
            h.remove()
