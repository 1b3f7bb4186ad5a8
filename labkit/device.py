"""Where the computation runs, and in what precision: the one module that asks the hardware.

Everything else asks here -- never ``torch.cuda.is_available`` itself (and never
without its parentheses: the function object is always "true").

* **Device**: a CUDA GPU if there is one, else an Apple GPU (``mps``), else the CPU.
* **Precision** (:func:`choose_precision`): mixed precision where the hardware has
  it natively -- bf16 on NVIDIA GPUs of compute capability 8.0 and newer (A100,
  H100, RTX 30xx), fp16 with a gradient scaler on older ones (T4, V100), which
  have no native bf16; fp32 on the CPU and on Apple GPUs.  ``torch.cuda.is_bf16_supported()``
  is not asked: it has answered True on a T4, through slow emulation.
* **Speed-ups that help only somewhere**: channels_last for convolutions on a CUDA GPU;
  ``torch.compile`` needs Triton, so capability 7.0 or newer, and is off on Apple GPUs
  (wrong results and large slow-downs have been reported there).

Each question about the hardware is one small function (``has_cuda``, ``has_mps``,
``cuda_capability``), so a test can fake a T4 or a Mac on any machine.
"""

from __future__ import annotations

import os
import platform
from dataclasses import dataclass
from pathlib import Path

import torch

from .colab import on_colab
from .errors import LabkitError

__all__ = ["Precision", "describe_device", "default_device", "available_devices", "has_cuda", "has_mps",
           "cuda_capability", "choose_precision", "channels_last_helps", "check_compile", "device_hint",
           "loader_workers", "pin_memory"]

NATIVE_BF16 = (8, 0)  # Ampere and newer
TRITON = (7, 0)  # what torch.compile's GPU code generator needs


def has_cuda() -> bool:
    """True when a CUDA GPU can be used."""
    return torch.cuda.is_available()


def has_mps() -> bool:
    """True when an Apple GPU can be used (PyTorch's Metal backend)."""
    backend = getattr(torch.backends, "mps", None)
    return bool(backend is not None and backend.is_available())


def cuda_capability(device: torch.device) -> tuple:
    """The GPU's compute capability, e.g. (9, 0) for an H100, (7, 5) for a T4."""
    return tuple(torch.cuda.get_device_capability(device))


def available_devices() -> list:
    """The devices this machine can train on: 'cpu', 'cuda:0', 'cuda:1', ... for each GPU, 'mps' on a Mac."""
    gpus = [f"cuda:{index}" for index in range(torch.cuda.device_count() if has_cuda() else 0)]
    return ["cpu", *gpus, *(["mps"] if has_mps() else [])]


def default_device(device: str | torch.device | None = None) -> torch.device:
    """The device to train on: the one asked for, else a CUDA GPU, else an Apple GPU, else the CPU.

    A device this machine does not have is refused in one line that lists the ones it has.
    """
    if device is None:
        return torch.device("cuda" if has_cuda() else "mps" if has_mps() else "cpu")
    if isinstance(device, torch.device):
        return device
    here = ", ".join(map(repr, available_devices()))
    try:
        chosen = torch.device(device) if isinstance(device, str) else None
    except RuntimeError:
        chosen = None
    if chosen is None or chosen.type not in ("cpu", "cuda", "mps"):
        raise LabkitError(f"unknown device {device!r}; this machine has {here}")
    missing = (chosen.type == "cuda" and (not has_cuda() or (chosen.index or 0) >= torch.cuda.device_count())) or \
        (chosen.type == "mps" and not has_mps())
    if missing:
        kind = " (an Apple GPU)" if chosen.type == "mps" else ""
        raise LabkitError(f"device {device!r}{kind} is not on this machine; it has {here}")
    return chosen


@dataclass(frozen=True)
class Precision:
    """How a device computes: the autocast type (None: plain fp32) and whether gradients need scaling."""

    name: str  # "bf16", "fp16" or "fp32"
    dtype: torch.dtype | None
    scaler: bool  # fp16's small range needs the loss scaled up before backward, the gradients down after
    reason: str  # why this one, in words


_FP32 = {"cpu": "the CPU computes in fp32", "mps": "mixed precision is left off on Apple GPUs"}


def choose_precision(device: torch.device, precision: str = "auto") -> Precision:
    """The precision to train in on ``device``; ``precision`` is "auto", "bf16", "fp16" or "fp32".

    A choice the device cannot make is refused in one line (bf16 on a GPU without it, fp16 on a CPU).
    """
    if precision == "fp32":
        return Precision("fp32", None, False, "asked for")
    if device.type != "cuda":
        if precision == "auto":
            return Precision("fp32", None, False, _FP32.get(device.type, "no mixed precision here"))
        if precision == "bf16" and device.type == "cpu":
            return Precision("bf16", torch.bfloat16, False, "asked for (slow on most CPUs)")
        raise LabkitError(f"precision {precision!r} is not available on {device.type!r}; use 'auto' or 'fp32'")
    capability = cuda_capability(device)
    native = capability >= NATIVE_BF16
    if precision == "bf16" and not native:
        raise LabkitError(f"precision 'bf16' needs a GPU of compute capability 8.0 or newer; this one has "
                          f"{capability[0]}.{capability[1]}: use 'fp16' or 'fp32'")
    if precision == "bf16" or (precision == "auto" and native):
        return Precision("bf16", torch.bfloat16, False, f"native on compute capability {capability[0]}.{capability[1]}")
    return Precision("fp16", torch.float16, True, "asked for" if precision == "fp16" else
                     f"no native bf16 on compute capability {capability[0]}.{capability[1]}: fp16 with a gradient "
                     "scaler")


def channels_last_helps(device: torch.device) -> bool:
    """channels_last speeds up convolutions on a CUDA GPU's tensor cores; elsewhere it is left off."""
    return device.type == "cuda"


def check_compile(device: torch.device) -> None:
    """Refuse ``torch.compile`` where it cannot work or is known to go wrong, in one line."""
    if device.type == "mps":
        raise LabkitError("compile=True is off on Apple GPUs (torch.compile has given wrong results and large "
                          "slow-downs there); train without it")
    if device.type == "cuda" and cuda_capability(device) < TRITON:
        capability = cuda_capability(device)
        raise LabkitError(f"compile=True needs a GPU of compute capability 7.0 or newer (Triton); this one has "
                          f"{capability[0]}.{capability[1]}")


def device_hint(device: torch.device) -> str | None:
    """One line when a faster choice is available than ``device``, for a notebook's first cells."""
    if device.type == "cpu" and has_cuda():
        return "a CUDA GPU is present: labkit uses it unless device='cpu' is asked for"
    if device.type == "cpu" and has_mps():
        return "an Apple GPU is present: labkit uses it unless device='cpu' is asked for"
    if device.type == "cpu" and on_colab():
        return "this Colab runtime has no GPU: Runtime → Change runtime type → T4 GPU, then run the notebook again"
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
    """Hardware in words, for results files: 'NVIDIA H100 80GB HBM3', 'Apple GPU (mps)' or
    'CPU, 2 cores, 2 threads, AMD EPYC 9B14' (two 2-core machines can differ several times in speed)."""
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    if device.type == "mps":
        return "Apple GPU (mps)"
    processor = _processor_name()
    return f"CPU, {_cores()} cores, {torch.get_num_threads()} threads" + (f", {processor}" if processor else "")


def _processor_name(cpuinfo: str = "/proc/cpuinfo") -> str:
    """The CPU's model name (Linux: /proc/cpuinfo; elsewhere what the platform module says, may be empty)."""
    try:
        for line in Path(cpuinfo).read_text().splitlines():
            if line.lower().startswith("model name") and ":" in line:
                return " ".join(line.split(":", 1)[1].split())
    except OSError:
        pass
    return platform.processor()
