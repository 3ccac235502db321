"""Data-parallel PPO over several processes (GPUs or machines) with torch.distributed.

Launch a PPO training command (``adapt``, ``pretrain tracker``) under ``torchrun`` (e.g.
``torchrun --nproc-per-node 4 -m tasktokens.cli.main adapt --device cuda ...``): each process ("rank") steps its own environments
with its own seed, rsl_rl's PPO averages the gradients of every mini-batch across the ranks
(its ``multi_gpu_cfg``), rsl_rl's running normalisers pool their statistics over the ranks
(``EmpiricalNormalization.update`` all-reduces whenever a process group exists; frozen ones, a
BFM's, in eval mode, do not update), and rank 0 alone logs and writes the checkpoints. Tasks need no change. The process group
uses NCCL on CUDA devices and Gloo on CPUs (which the tests use, with 2 processes).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist


@dataclass(frozen=True)
class DistInfo:
    """Where this process stands in a torchrun launch (WORLD_SIZE, RANK, LOCAL_RANK)."""

    world_size: int = 1
    rank: int = 0
    local_rank: int = 0

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def enabled(self) -> bool:
        return self.world_size > 1

    def multi_gpu_cfg(self) -> dict | None:
        """rsl_rl PPO's multi_gpu_cfg (None in a single process)."""
        if not self.enabled:
            return None
        return {"global_rank": self.rank, "local_rank": self.local_rank, "world_size": self.world_size}


def dist_info() -> DistInfo:
    """The launch read from torchrun's environment variables (one process when they are unset)."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank, local = int(os.environ.get("RANK", "0")), int(os.environ.get("LOCAL_RANK", "0"))
    if world < 1 or not 0 <= rank < world or not 0 <= local < world:
        raise ValueError(f"torchrun environment WORLD_SIZE={world} RANK={rank} LOCAL_RANK={local} is inconsistent")
    return DistInfo(world, rank, local)


def init_distributed(device: str) -> tuple[DistInfo, str]:
    """Join the process group of a torchrun launch, if there is one; returns the launch and this
    rank's torch device ("cuda" becomes "cuda:<LOCAL_RANK>"; several ranks on one CPU share it)."""
    info = dist_info()
    if not info.enabled:
        return info, device
    if device.startswith("cuda"):
        if device not in ("cuda", f"cuda:{info.local_rank}"):
            raise ValueError(f"--device {device} under torchrun: pass --device cuda, rank {info.rank} takes cuda:{info.local_rank}")
        device = f"cuda:{info.local_rank}"
        torch.cuda.set_device(device)
    if not dist.is_initialized():
        dist.init_process_group(backend="nccl" if device.startswith("cuda") else "gloo", rank=info.rank, world_size=info.world_size)
    return info, device


def any_rank(flag: bool, device: str = "cpu") -> bool:
    """True on every rank when flag is True on any (e.g. one rank got SIGTERM: all stop together)."""
    t = torch.tensor([1.0 if flag else 0.0], device=device)
    dist.all_reduce(t, op=dist.ReduceOp.MAX)
    return bool(t.item())


def finish_distributed() -> None:
    """Leave the process group of a torchrun launch, if this process joined one."""
    if dist.is_initialized():
        dist.destroy_process_group()
