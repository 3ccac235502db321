"""Data-parallel Task Tokens training under torch.distributed (train/distributed.py): two ranks
on this CPU (Gloo), as torchrun would launch them."""

from __future__ import annotations

import json
import os
import socket

import pytest
import torch
import torch.multiprocessing as mp
from safetensors.torch import load_file, save_file

from tasktokens.character import HUMANOID3D
from tasktokens.train.checkpoint import WEIGHTS, load_weights
from tasktokens.train.distributed import DistInfo, dist_info, init_distributed
from tests.train.test_adapt import _adapt
from tests.train.test_runner import _config as _tracker_config

NORM_COUNT = "actor.mlp.encoder.norm.count"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _rank(rank: int, world: int, port: int, bfm, out, results) -> None:
    """One torchrun rank: the environment variables torchrun sets, then `tasktokens adapt`."""
    os.environ.update(WORLD_SIZE=str(world), RANK=str(rank), LOCAL_RANK=str(rank), MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    runner = _adapt(out, bfm, samples=64).run()  # 2 ranks x 4 envs x 4 steps = 32 samples per iteration
    save_file({k: v.contiguous() for k, v in runner.tensors().items()}, str(results / f"rank{rank}.safetensors"))
    (results / f"rank{rank}.json").write_text(json.dumps({"iteration": runner.iteration, "samples": runner.samples}))


def test_two_ranks_train_one_policy_on_both_ranks_data(tmp_path, tiny_bfm):
    results = tmp_path / "results"
    results.mkdir()
    mp.spawn(_rank, args=(2, _free_port(), tiny_bfm, tmp_path / "run", results), nprocs=2, join=True)
    ranks = [load_file(str(results / f"rank{r}.safetensors")) for r in (0, 1)]
    # gradients averaged and normalisers pooled: both ranks hold the same weights and statistics
    assert ranks[0].keys() == ranks[1].keys() and any(k.startswith("actor.mlp.encoder.") for k in ranks[0])
    for k in ranks[0]:
        assert torch.equal(ranks[0][k], ranks[1][k]), k
    for r in (0, 1):
        assert json.loads((results / f"rank{r}.json").read_text()) == {"iteration": 2, "samples": 64}
    # rank 0 saved the run, counting both ranks' samples
    saved, meta = load_weights(tmp_path / "run" / WEIGHTS, HUMANOID3D)
    assert meta["samples"] == 64 and torch.equal(saved[NORM_COUNT], ranks[0][NORM_COUNT])
    # the same run in one process: same iterations, half the samples, and the encoder's normaliser
    # saw half as many observations (the two ranks' statistics are pooled, not rank 0's alone)
    single = _adapt(tmp_path / "single", tiny_bfm, samples=32).run()
    assert single.iteration == 2 and single.samples == 32
    assert int(ranks[0][NORM_COUNT]) == 2 * int(single.tensors()[NORM_COUNT]) > 0
    assert not torch.equal(ranks[0]["actor.mlp.encoder.norm._mean"], single.tensors()["actor.mlp.encoder.norm._mean"])


def _tracker_rank(rank: int, world: int, port: int, out, results) -> None:
    os.environ.update(WORLD_SIZE=str(world), RANK=str(rank), LOCAL_RANK=str(rank), MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    runner = _tracker_config(out, 128).run()  # 2 ranks x 8 envs x 4 steps = 64 samples per iteration
    save_file({k: v.contiguous() for k, v in runner.tensors().items()}, str(results / f"rank{rank}.safetensors"))


def test_tracker_trains_data_parallel_too(tmp_path):
    results = tmp_path / "results"
    results.mkdir()
    mp.spawn(_tracker_rank, args=(2, _free_port(), tmp_path / "run", results), nprocs=2, join=True)
    ranks = [load_file(str(results / f"rank{r}.safetensors")) for r in (0, 1)]
    assert all(torch.equal(ranks[0][k], ranks[1][k]) for k in ranks[0])
    _, meta = load_weights(tmp_path / "run" / WEIGHTS, HUMANOID3D)
    assert meta["samples"] == 128 and meta["iteration"] == 2


def test_launch_is_read_from_torchrun_variables(monkeypatch):
    for k in ("WORLD_SIZE", "RANK", "LOCAL_RANK"):
        monkeypatch.delenv(k, raising=False)
    assert dist_info() == DistInfo(1, 0, 0) and init_distributed("cpu") == (DistInfo(1, 0, 0), "cpu")
    monkeypatch.setenv("WORLD_SIZE", "4")
    monkeypatch.setenv("RANK", "3")
    monkeypatch.setenv("LOCAL_RANK", "1")
    info = dist_info()
    assert info.enabled and not info.is_main
    assert info.multi_gpu_cfg() == {"global_rank": 3, "local_rank": 1, "world_size": 4}
    with pytest.raises(ValueError, match="rank 3 takes cuda:1"):
        init_distributed("cuda:0")
    monkeypatch.setenv("RANK", "4")
    with pytest.raises(ValueError, match="inconsistent"):
        dist_info()
