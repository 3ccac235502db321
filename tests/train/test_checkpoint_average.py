"""Offline checkpoint averaging (scripts/average_checkpoints.py): means by hand, refusals."""

import pytest
import torch

from tasktokens.character import HUMANOID3D
from tasktokens.train.checkpoint import CheckpointError, average_weights, save_weights


def _write(path, w, count, samples=0):
    save_weights(path, {"w": w, "norm.count": torch.tensor(count)}, {}, HUMANOID3D, {"samples": samples})
    return path


def test_average_is_the_mean_of_floats_and_keeps_the_last_counts_and_metadata(tmp_path):
    a = _write(tmp_path / "a.safetensors", torch.tensor([1.0, 2.0]), 10, 1)
    b = _write(tmp_path / "b.safetensors", torch.tensor([3.0, 6.0]), 20, 2)
    c = _write(tmp_path / "c.safetensors", torch.tensor([2.0, 1.0]), 30, 3)
    tensors, meta = average_weights([a, b, c], HUMANOID3D)
    assert torch.equal(tensors["w"], torch.tensor([2.0, 3.0]))
    assert tensors["w"].dtype == torch.float32
    assert tensors["norm.count"].item() == 30
    assert meta["samples"] == 3
    assert meta["averaged_from"] == [str(a), str(b), str(c)]


def test_average_refuses_one_file_and_checkpoints_of_other_shapes_or_names(tmp_path):
    a = _write(tmp_path / "a.safetensors", torch.zeros(2), 1)
    with pytest.raises(CheckpointError, match="two or more"):
        average_weights([a], HUMANOID3D)
    b = _write(tmp_path / "b.safetensors", torch.zeros(3), 1)
    with pytest.raises(CheckpointError, match=r"b\.safetensors: w has shape \(3,\)"):
        average_weights([a, b], HUMANOID3D)
    c = tmp_path / "c.safetensors"
    save_weights(c, {"other": torch.zeros(2)}, {}, HUMANOID3D)
    with pytest.raises(CheckpointError, match="average checkpoints of one run only"):
        average_weights([a, c], HUMANOID3D)
    with pytest.raises(CheckpointError, match=r"missing\.safetensors: no such checkpoint"):
        average_weights([a, tmp_path / "missing.safetensors"], HUMANOID3D)
