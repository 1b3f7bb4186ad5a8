"""Where the computation runs, and in what precision.

This is the only module that asks whether a GPU is present
(``torch.cuda.is_available()`` -- note the parentheses: without them the
function object itself is always "true").  Everything else asks here.
"""

from __future__ import annotations

import os

import torch

from .errors import LabkitError

__all__ = ["describe_device", "default_device", "available_devices", "has_cuda", "autocast_dtype",
           "loader_workers", "pin_memory"]


def has_cuda() -> bool:
    """True when a CUDA GPU can be used."""
    return torch.cuda.is_available()


def available_devices() -> list:
    """The devices this machine can train on: 'cpu', and 'cuda:0', 'cuda:1', ... for each GPU."""
    return ["cpu", *(f"cuda:{index}" for index in range(torch.cuda.device_count() if has_cuda() else 0))]


def default_device(device: str | torch.device | None = None) -> torch.device:
    """The device to train on: the one asked for, else the GPU if there is one, else the CPU.

    A device this machine does not have is refused in one line that lists the ones it has.
    """
    if device is None:
        return torch.device("cuda" if has_cuda() else "cpu")
    if isinstance(device, torch.device):
        return device
    here = available_devices()
    try:
        chosen = torch.device(device) if isinstance(device, str) else None
    except RuntimeError:
        chosen = None
    if chosen is not None and chosen.type == "mps":
        where = "labkit does not train on it yet" if torch.backends.mps.is_available() else "it is not on this machine"
        raise LabkitError(f"device {device!r} is an Apple GPU and {where}; use one of {', '.join(map(repr, here))}")
    if chosen is None or chosen.type not in ("cpu", "cuda"):
        raise LabkitError(f"unknown device {device!r}; this machine has {', '.join(map(repr, here))}")
    if chosen.type == "cuda" and (not has_cuda() or (chosen.index or 0) >= torch.cuda.device_count()):
        raise LabkitError(f"device {device!r} is not on this machine; it has {', '.join(map(repr, here))}")
    return chosen


def autocast_dtype(device: torch.device, precision: str = "auto") -> torch.dtype | None:
    """The mixed-precision type for ``device``: bf16 on a CUDA GPU that supports it, else None (fp32).

    ``precision`` is "auto", "bf16" or "fp32".
    """
    if precision == "fp32" or device.type != "cuda":
        return None
    if precision == "bf16" or torch.cuda.is_bf16_supported():
        return torch.bfloat16
    return None


def loader_workers(requested: int | None = None) -> int:
    """Worker processes for a classic DataLoader, chosen from this machine's cores.

    One core stays free for the training process itself; never more than 8.
    """
    if requested is not None:
        return requested
    return max(0, min(8, _cores() - 1))


def _cores() -> int:
    """CPU cores this process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def pin_memory(device: torch.device) -> bool:
    """Page-locked host memory speeds up copies to a GPU, and is useless without one."""
    return device.type == "cuda"


def describe_device(device: torch.device) -> str:
    """Hardware in words, for results files: 'NVIDIA H100 80GB HBM3' or 'CPU, 2 cores'."""
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return f"CPU, {_cores()} cores, {torch.get_num_threads()} threads"
