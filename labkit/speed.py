"""Where training time goes, measured: FLOPs, the hardware's limit, a profile of the loop, seconds per epoch.

* :func:`training_flops` -- floating-point operations for one image, forward and backward,
  counted by PyTorch (``torch.utils.flop_counter``): for a convolution, about
  2 x (kernel height x width x input channels) x (output height x width x output channels)
  forward, and twice that again backward.
* :func:`peak_flops` -- what this device reaches on a large matrix product: the limit no
  network of the lab can beat.  ``images per second x FLOPs per image / peak`` is the
  share of the limit a loop reaches.
* :func:`profile_loop` -- how one training step splits into loading the batch, forward,
  backward and the optimiser step (the device is synchronised between phases, so the
  split is true, and the loop a little slower than unprofiled).
* :func:`seconds_per_epoch` -- labkit's ``fit`` with given settings, and
  :func:`hand_written_epoch` -- the same training as four lines of plain PyTorch, to
  show what ``fit`` adds on top (it should be no more than a few per cent).
"""

from __future__ import annotations

import copy
import time
from types import SimpleNamespace

import pandas as pd
import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode
from tqdm.auto import tqdm

from .catalog import DATASETS
from .device import default_device
from .optim import make_optimizer, make_scheduler, step_schedule
from .options import Training
from .train import fit

__all__ = ["training_flops", "peak_flops", "profile_loop", "seconds_per_epoch", "hand_written_epoch", "synchronise",
           "train_only", "ladder", "run_ladder"]


def synchronise(device: torch.device) -> None:
    """Wait until the device has finished its queued work (GPUs run ahead of Python), so a clock reads true."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()


def training_flops(model: nn.Module, input_shape: tuple) -> int:
    """FLOPs of one training step on one image (forward and backward), counted by PyTorch."""
    device = next(model.parameters()).device
    x = torch.zeros(2, *input_shape, device=device)  # two images: batch norm needs more than one in training
    was_training = model.training
    model.train()
    with FlopCounterMode(display=False) as counter:
        model(x).sum().backward()
    model.zero_grad(set_to_none=True)
    model.train(was_training)
    return counter.get_total_flops() // 2


def peak_flops(device=None, dtype=torch.float32, size: int | None = None, repeats: int = 5) -> float:
    """FLOP/s of a large square matrix product on ``device``: the practical limit, measured, not quoted.

    The fastest of ``repeats`` products counts: a slower one was interrupted (another process, a
    clock that had not ramped up), and the limit is what the hardware *can* do.
    """
    device = default_device(device)
    size = size or (8192 if device.type == "cuda" else 2048)
    a = torch.randn(size, size, device=device, dtype=dtype)
    b = torch.randn(size, size, device=device, dtype=dtype)
    a @ b  # warm up (kernel choice, memory)
    synchronise(device)
    fastest = float("inf")
    for _ in range(repeats):
        began = time.perf_counter()
        a @ b
        synchronise(device)
        fastest = min(fastest, time.perf_counter() - began)
    return 2 * size**3 / fastest


def profile_loop(model: nn.Module, loader, *, steps: int = 20, lr: float = 0.1, device=None) -> pd.DataFrame:
    """Mean milliseconds per training step in each phase: data, forward (and loss), backward, optimiser step."""
    device = default_device(device)
    model.to(device).train()
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    phases = {"data": 0.0, "forward": 0.0, "backward": 0.0, "optimiser step": 0.0}
    batches, done = iter(loader), 0
    while done < steps:
        began = time.perf_counter()
        try:
            images, labels = next(batches)
        except StopIteration:
            batches = iter(loader)
            continue
        images, labels = images.to(device), labels.to(device)
        synchronise(device)
        marks = [began, time.perf_counter()]
        loss = nn.functional.cross_entropy(model(images), labels)
        synchronise(device)
        marks.append(time.perf_counter())
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        synchronise(device)
        marks.append(time.perf_counter())
        optimizer.step()
        synchronise(device)
        marks.append(time.perf_counter())
        if done > 0 or steps == 1:  # the first step warms up
            for phase, start, end in zip(phases, marks, marks[1:]):
                phases[phase] += end - start
        done += 1
    counted = max(1, steps - 1)
    table = pd.DataFrame({"phase": list(phases), "ms per step": [1000 * s / counted for s in phases.values()]})
    table["share"] = table["ms per step"] / table["ms per step"].sum()
    return table


def seconds_per_epoch(model: nn.Module, data, *, epochs: int = 2, device=None, **options) -> dict:
    """Train with ``fit`` (its options) and report the steady seconds per epoch (the first epoch warms up)."""
    history = fit(model, data, epochs=epochs, device=device, progress=False, **options)
    steady = history.seconds.iloc[1:] if len(history) > 1 else history.seconds
    images = data.train.num_images if hasattr(data.train, "num_images") else len(data.train.dataset)
    seconds = float(steady.mean())
    return {"seconds per epoch": seconds, "images per second": images / seconds,
            "val acc": float(history.val_acc.iloc[-1]) if "val_acc" in history else None}


def hand_written_epoch(model: nn.Module, loader, *, epochs: int = 2, device=None, **options) -> float:
    """Steady seconds per epoch of the plainest loop: forward, loss, backward, step -- nothing else.

    Same optimiser and schedule as ``fit`` with the same ``options``, no validation, no bookkeeping.
    """
    device = default_device(device)
    settings = Training.checked(epochs=epochs, **options)
    model.to(device).train()
    optimizer = make_optimizer(model.parameters(), settings)
    scheduler = make_scheduler(optimizer, settings, epochs, len(loader))
    times = []
    for _ in range(epochs):
        began = time.perf_counter()
        for images, labels in loader:
            loss = nn.functional.cross_entropy(model(images.to(device)), labels.to(device))
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            step_schedule(scheduler, settings.schedule, end_of_epoch=False)
        synchronise(device)
        times.append(time.perf_counter() - began)
    return sum(times[1:]) / max(1, len(times) - 1) if len(times) > 1 else times[0]


def ladder(device, compile_too: bool = False) -> list:
    """The levers in the order a practitioner adds them, as (step, data options, fit options): each adds one."""
    gpu = device.type == "cuda"
    classic = {"loader": "classic", "num_workers": 2 if gpu else 1}
    # channels_last only on a GPU: on a CPU its backward pass has hung in oneDNN (torch 2.14.1, AMD EPYC)
    layout = ("+ channels_last", True) if gpu else ("+ channels_last (GPU only: skipped here)", False)
    steps = [
        ("classic: DataLoader, fp32, batch 128", classic, {"precision": "fp32", "channels_last": False}),
        ("+ data on the device", {}, {"precision": "fp32", "channels_last": False}),
        ("+ mixed precision (where the hardware has it)", {}, {"precision": "auto", "channels_last": False}),
        (layout[0], {}, {"precision": "auto", "channels_last": layout[1]}),
        ("+ batch 512, peak lr x2", {"batch_size": 512}, {"precision": "auto", "channels_last": layout[1], "lr": 0.2}),
    ]
    if compile_too:
        steps.append(("+ torch.compile", {"batch_size": 512},
                      {"precision": "auto", "channels_last": True, "lr": 0.2, "compile": True}))
    return steps


def run_ladder(template: nn.Module, dataset: str, *, train_images=None, val_images=1_000, epochs: int = 2, size=None,
               device=None, compile_too: bool = False, progress: bool = True) -> tuple:
    """Train copies of ``template`` once per step of :func:`ladder`; a table of seconds, images/s and share of limit.

    Returns the table and what the share is measured against (FLOPs per image, peak FLOP/s).
    """
    from .data import load_data

    device = default_device(device)
    flops = training_flops(copy.deepcopy(template).to(device), DATASETS[dataset].input_shape)
    peak = peak_flops(device, torch.bfloat16 if device.type == "cuda" else torch.float32)
    rows = []
    for step, data_options, options in tqdm(ladder(device, compile_too), desc="steps", disable=not progress):
        data = load_data(dataset, size=size, train_images=train_images, val_images=val_images, device=device,
                         **data_options)
        measured = seconds_per_epoch(copy.deepcopy(template), data, epochs=epochs, device=device, **options)
        rows.append({"step": step, "batch size": data.train.batch_size, "epochs": epochs,
                     "training images": data.counts["train"], **measured,
                     "share of limit": measured["images per second"] * flops / peak})
    return pd.DataFrame(rows), {"FLOPs per training image": flops, "peak FLOP/s (matrix product)": peak}


def train_only(data) -> SimpleNamespace:
    """The same data without its validation set: for timing the training loop alone."""
    return SimpleNamespace(name=data.name, train=data.train, sample=data.sample)
