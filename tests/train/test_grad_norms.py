"""Gradient norms of the task encoder: hand-computed on a linear layer, and logged by adapt."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from tasktokens.train.grad_norms import GradNormMeter


def test_meter_averages_the_norms_of_each_backward_pass():
    layer = nn.Linear(2, 1, bias=True)
    meter = GradNormMeter(layer, "grad")
    x = torch.tensor([[3.0, 4.0]])
    layer(x).sum().backward()  # d/dW = x (norm 5), d/db = 1
    layer(2 * x).sum().backward()  # norm 10, 1
    norms = meter.pop()
    assert norms == {"grad/weight": pytest.approx(7.5), "grad/bias": pytest.approx(1.0)}
    assert meter.pop() == {}
    meter.close()
    layer(x).sum().backward()
    assert meter.pop() == {}


def test_frozen_parameters_are_not_watched():
    layer = nn.Linear(2, 1)
    layer.bias.requires_grad_(False)
    meter = GradNormMeter(layer, "g")
    layer(torch.ones(1, 2)).sum().backward()
    assert set(meter.pop()) == {"g/weight"}


def test_adapt_logs_the_encoder_gradient_per_layer(tmp_path, tiny_bfm):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    from tests.train.test_adapt import _adapt

    cfg = _adapt(tmp_path, tiny_bfm, "direction", samples=64)
    cfg.run()
    runs = list(tmp_path.rglob("tb"))
    acc = EventAccumulator(str(runs[0]), size_guidance={"scalars": 0})
    acc.Reload()
    tags = [t for t in acc.Tags()["scalars"] if t.startswith("grad_norm/encoder/")]
    assert "grad_norm/encoder/mlp.0.weight" in tags
    assert len(tags) == 2 * (len(cfg.encoder_hidden) + 1)  # each linear layer's weight and bias
    values = [e.value for t in tags for e in acc.Scalars(t)]
    assert all(v > 0 and v == v for v in values)  # alive and finite
