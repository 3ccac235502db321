"""Offline checkpoint averaging (scripts/average_checkpoints.py): means by hand, refusals."""

import json

import pytest
import torch
from safetensors.torch import save_file

from tasktokens.train.checkpoint import CheckpointError, average_weights


def _write(path, w, count, meta):
    save_file({"w": w, "norm.count": torch.tensor(count)}, str(path), metadata=meta)
    return path


def test_average_is_the_mean_of_floats_and_keeps_the_last_counts_and_metadata(tmp_path):
    a = _write(tmp_path / "a.safetensors", torch.tensor([1.0, 2.0]), 10, {"samples": "1"})
    b = _write(tmp_path / "b.safetensors", torch.tensor([3.0, 6.0]), 20, {"samples": "2"})
    c = _write(tmp_path / "c.safetensors", torch.tensor([2.0, 1.0]), 30, {"samples": "3"})
    tensors, meta = average_weights([a, b, c])
    assert torch.equal(tensors["w"], torch.tensor([2.0, 3.0]))
    assert tensors["w"].dtype == torch.float32
    assert tensors["norm.count"].item() == 30
    assert meta["samples"] == "3"
    assert json.loads(meta["averaged_from"]) == [str(a), str(b), str(c)]


def test_average_refuses_one_file_and_checkpoints_of_other_shapes_or_names(tmp_path):
    a = _write(tmp_path / "a.safetensors", torch.zeros(2), 1, {})
    with pytest.raises(CheckpointError, match="two or more"):
        average_weights([a])
    b = _write(tmp_path / "b.safetensors", torch.zeros(3), 1, {})
    with pytest.raises(CheckpointError, match=r"b\.safetensors: w has shape \(3,\)"):
        average_weights([a, b])
    c = tmp_path / "c.safetensors"
    save_file({"other": torch.zeros(2)}, str(c))
    with pytest.raises(CheckpointError, match="average checkpoints of one run only"):
        average_weights([a, c])
