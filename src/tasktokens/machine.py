"""What machine this is, for model cards, reports and settings that depend on the CPU: the CPU's
model and flags as Linux's /proc/cpuinfo lists them (None where it cannot be read)."""

from __future__ import annotations

import os
import platform
from pathlib import Path

CPUINFO = Path("/proc/cpuinfo")


def _cpuinfo_field(name: str, cpuinfo: Path) -> str | None:
    """The first value of a `name : value` line of cpuinfo (None if unreadable or absent)."""
    try:
        text = cpuinfo.read_text()
    except OSError:
        return None
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip() == name:
            return value.strip()
    return None


def cpu_has_native_bf16(cpuinfo: Path = CPUINFO) -> bool | None:
    """Whether the CPU computes bf16 natively (the avx512_bf16 or amx_bf16 flag); None where the
    flags cannot be read (not Linux)."""
    flags = _cpuinfo_field("flags", cpuinfo)
    return None if flags is None else bool(set(flags.split()) & {"avx512_bf16", "amx_bf16"})


def cpu_model(cpuinfo: Path = CPUINFO) -> str:
    """The CPU's model name (e.g. "AMD EPYC" on the project's VMs), else the platform's name for it."""
    return _cpuinfo_field("model name", cpuinfo) or platform.processor() or platform.machine()


def describe_machine() -> str:
    """One line for a model card or report: CPU model, cores, GPU, operating system."""
    import torch

    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no GPU"
    return f"{cpu_model()}, {os.cpu_count()} CPU cores, {gpu}, {platform.system()}"
