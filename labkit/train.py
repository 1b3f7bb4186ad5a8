"""Training and evaluation: ``fit`` and ``evaluate``.

``fit`` is one readable loop -- forward, loss, backward, step -- with the
tools a practitioner adds around it: optimisers and learning-rate schedules,
label smoothing, early stopping, checkpoints you can resume from, a best model
kept as a real copy, and on a GPU bf16 autocast, channels_last and optionally
``torch.compile``.  It returns the history as a pandas DataFrame.
"""

from __future__ import annotations

import contextlib
import os
import random
import time
from pathlib import Path

import pandas as pd
import torch
from torch import nn
from tqdm.auto import tqdm

from .device import autocast_dtype, default_device
from .errors import LabkitError, check_choice, check_non_negative, check_positive

__all__ = [
    "OPTIMIZERS", "SCHEDULES", "PRECISIONS", "BestModel", "fit", "evaluate", "seed_everything",
    "default_lr", "make_optimizer", "make_scheduler", "load_checkpoint", "CHECKPOINT_NAME",
]

OPTIMIZERS = ("sgd", "adam", "adamw")
SCHEDULES = ("onecycle", "cosine", "step", "plateau", "none")
PRECISIONS = ("auto", "bf16", "fp32")
CHECKPOINT_NAME = "checkpoint.pt"


def seed_everything(seed: int) -> None:
    """Seed Python's and PyTorch's random numbers (CPU and GPU), so runs repeat."""
    random.seed(seed)
    torch.manual_seed(seed)


def default_lr(optimizer: str) -> float:
    """A learning rate that works for every network of the lab: 0.1 for SGD, 0.001 for Adam(W)."""
    return 0.1 if check_choice("optimizer", optimizer, OPTIMIZERS) == "sgd" else 1e-3


def make_optimizer(name, parameters, lr, momentum=0.9, nesterov=True, weight_decay=5e-4):
    """SGD (with momentum, optionally Nesterov), Adam or AdamW."""
    check_choice("optimizer", name, OPTIMIZERS)
    if name == "sgd":
        return torch.optim.SGD(parameters, lr=lr, momentum=momentum, nesterov=nesterov and momentum > 0,
                               weight_decay=weight_decay)
    kind = torch.optim.Adam if name == "adam" else torch.optim.AdamW
    return kind(parameters, lr=lr, weight_decay=weight_decay)


def make_scheduler(name, optimizer, epochs, steps_per_epoch):
    """A learning-rate schedule and whether it steps after every batch (else after every epoch).

    onecycle: warm up to ``lr`` then anneal (per batch); cosine: anneal from ``lr`` to 0
    (per batch); step: divide by 10 at 1/2 and 3/4 of the epochs; plateau: divide by 10
    when the validation loss stops falling; none: constant.
    """
    check_choice("schedule", name, SCHEDULES)
    total = epochs * steps_per_epoch
    if name == "onecycle":
        lr = optimizer.param_groups[0]["lr"]
        return torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=lr, total_steps=total), True
    if name == "cosine":
        return torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=total), True
    if name == "step":
        milestones = [max(1, epochs // 2), max(1, 3 * epochs // 4)]
        return torch.optim.lr_scheduler.MultiStepLR(optimizer, milestones, gamma=0.1), False
    if name == "plateau":
        return torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, factor=0.1, patience=2), False
    return None, False


def _autocast(device, dtype):
    if dtype is None:
        return contextlib.nullcontext()
    return torch.autocast(device.type, dtype=dtype)


def _has_convolutions(model: nn.Module) -> bool:
    return any(isinstance(m, nn.Conv2d) for m in model.modules())


@torch.no_grad()
def evaluate(model: nn.Module, loader, *, device=None, precision="auto", channels_last=False) -> dict:
    """Mean cross-entropy loss and accuracy of ``model`` on every batch of ``loader``.

    Returns ``{"loss": ..., "accuracy": ..., "images": n}``: always report how many
    images an accuracy was measured on.
    """
    device = default_device(device)
    dtype = autocast_dtype(device, precision)
    model.eval()
    total_loss = torch.zeros((), device=device)
    correct = torch.zeros((), device=device, dtype=torch.long)
    count = 0
    for images, labels in loader:
        images, labels = images.to(device, non_blocking=True), labels.to(device, non_blocking=True)
        if channels_last:
            images = images.contiguous(memory_format=torch.channels_last)
        with _autocast(device, dtype):
            logits = model(images)
        total_loss += nn.functional.cross_entropy(logits.float(), labels, reduction="sum")
        correct += (logits.argmax(1) == labels).sum()
        count += len(labels)
    if count == 0:
        raise LabkitError("cannot evaluate on an empty loader (0 images)")
    return {"loss": total_loss.item() / count, "accuracy": correct.item() / count, "images": count}


class BestModel:
    """Keeps a *copy* of the weights of the best epoch so far.

    The copy must be deep: ``model.state_dict()`` returns references to the live
    tensors, and ``state_dict().copy()`` only copies the dictionary, so the
    optimiser's in-place updates would silently change the "best" weights too.
    """

    def __init__(self):
        self.score = None
        self.epoch = None
        self.state = None

    def update(self, model: nn.Module, score: float, epoch: int) -> bool:
        """Remember ``model`` if ``score`` (higher is better) beats the best so far."""
        if self.score is not None and score <= self.score:
            return False
        self.score, self.epoch = score, epoch
        self.state = {key: value.detach().clone() for key, value in model.state_dict().items()}
        return True


def _save_atomically(payload: dict, path: Path) -> None:
    temporary = path.with_suffix(".tmp")
    torch.save(payload, temporary)
    os.replace(temporary, path)  # a checkpoint is either the old one or the new one, never half


def load_checkpoint(path, device=None) -> dict:
    """Read a checkpoint written by ``fit`` (tensors and plain data only: ``weights_only=True``)."""
    return torch.load(path, map_location=default_device(device), weights_only=True)


def _check_fit_arguments(epochs, optimizer, lr, schedule, precision, label_smoothing,
                         early_stopping, checkpoint_every):
    check_positive("epochs", epochs)
    if not isinstance(epochs, int):
        raise LabkitError(f"epochs must be a whole number, got {epochs!r}")
    check_choice("optimizer", optimizer, OPTIMIZERS)
    check_choice("schedule", schedule, SCHEDULES)
    check_choice("precision", precision, PRECISIONS)
    check_positive("learning rate", lr)
    check_non_negative("label smoothing", label_smoothing)
    if early_stopping is not None:
        check_positive("early-stopping patience", early_stopping)
    if checkpoint_every is not None:
        check_positive("checkpoint interval", checkpoint_every)


def fit(model: nn.Module, data, *, epochs: int, optimizer: str = "sgd", lr: float | None = None,
        momentum: float = 0.9, nesterov: bool = True, weight_decay: float = 5e-4,
        schedule: str = "onecycle", label_smoothing: float = 0.0, early_stopping: int | None = None,
        checkpoint_every: int | None = None, out_dir=None, resume: bool = False, seed: int = 0,
        device=None, precision: str = "auto", channels_last: bool | None = None,
        compile: bool = False, restore_best: bool = True, progress: bool = True,
        callbacks=()) -> pd.DataFrame:
    """Train ``model`` on ``data.train``, measuring ``data.val`` after every epoch.

    * ``lr=None`` uses :func:`default_lr`; with ``schedule="onecycle"`` it is the peak rate.
    * ``early_stopping=k``: stop when validation accuracy has not improved for k epochs.
    * ``checkpoint_every=k`` with ``out_dir``: save everything needed to resume every k epochs;
      ``resume=True`` continues from ``out_dir/checkpoint.pt`` if it exists.
    * ``restore_best``: at the end, load the weights of the epoch with the best validation accuracy.
    * ``callbacks``: functions ``f(epoch, row, model)`` called after each epoch (logging, probes),
      before that epoch's checkpoint is written: an epoch counts as done once its callbacks ran.

    Returns one row per epoch: epoch, train_loss, train_acc (on the augmented training batches),
    val_loss, val_acc, lr (at the start of the epoch), seconds.
    """
    lr = default_lr(optimizer) if lr is None else lr
    _check_fit_arguments(epochs, optimizer, lr, schedule, precision, label_smoothing,
                         early_stopping, checkpoint_every)
    device = default_device(device)
    dtype = autocast_dtype(device, precision)
    if channels_last is None:
        channels_last = device.type == "cuda" and _has_convolutions(model)
    model.to(device, memory_format=torch.channels_last if channels_last else torch.preserve_format)
    step_model = torch.compile(model) if compile else model
    train_loader, val_loader = data.train, getattr(data, "val", None)

    opt = make_optimizer(optimizer, model.parameters(), lr, momentum, nesterov, weight_decay)
    scheduler, per_batch = make_scheduler(schedule, opt, epochs, len(train_loader))
    loss_fn = nn.CrossEntropyLoss(label_smoothing=label_smoothing)
    best, rows, start, waited = BestModel(), [], 0, 0
    checkpoint = Path(out_dir) / CHECKPOINT_NAME if out_dir is not None else None

    if resume and checkpoint is not None and checkpoint.exists():
        saved = load_checkpoint(checkpoint, device)
        if saved["epochs"] != epochs:
            raise LabkitError(f"{checkpoint} was made for a run of {saved['epochs']} epochs, not {epochs}; "
                              "resume with the same settings, or use another out folder")
        model.load_state_dict(saved["model"])
        opt.load_state_dict(saved["optimizer"])
        if scheduler is not None:
            scheduler.load_state_dict(saved["scheduler"])
        rows, start, waited = saved["history"], saved["epoch"], saved["waited"]
        best.score, best.epoch, best.state = saved["best_score"], saved["best_epoch"], saved["best_state"]
        torch.set_rng_state(saved["rng"].cpu())
    else:
        seed_everything(seed)

    bar = tqdm(total=(epochs - start) * len(train_loader), disable=not progress, unit="batch",
               desc=f"{getattr(model, 'label', type(model).__name__)} on {getattr(data, 'name', 'data')}")
    for epoch in range(start, epochs):
        began = time.perf_counter()
        if hasattr(train_loader, "set_epoch"):
            train_loader.set_epoch(epoch)
        model.train()
        epoch_lr = opt.param_groups[0]["lr"]  # the rate at the start of the epoch
        total_loss = torch.zeros((), device=device)
        correct = torch.zeros((), device=device, dtype=torch.long)
        count = 0
        for images, labels in train_loader:
            images = images.to(device, non_blocking=True)
            labels = labels.to(device, non_blocking=True)
            if channels_last:
                images = images.contiguous(memory_format=torch.channels_last)
            with _autocast(device, dtype):
                logits = step_model(images)
                loss = loss_fn(logits.float(), labels)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            if per_batch:
                scheduler.step()
            total_loss += loss.detach() * len(labels)
            correct += (logits.argmax(1) == labels).sum()
            count += len(labels)
            bar.update()
        row = {"epoch": epoch + 1, "train_loss": total_loss.item() / count,
               "train_acc": correct.item() / count}
        if val_loader is not None:
            result = evaluate(step_model, val_loader, device=device, precision=precision,
                              channels_last=channels_last)
            row.update(val_loss=result["loss"], val_acc=result["accuracy"])
        row["lr"] = epoch_lr
        if scheduler is not None and not per_batch:
            scheduler.step(row.get("val_loss", row["train_loss"])) if schedule == "plateau" else scheduler.step()
        row["seconds"] = time.perf_counter() - began
        rows.append(row)
        score = row.get("val_acc", row["train_acc"])
        waited = 0 if best.update(model, score, epoch + 1) else waited + 1
        bar.set_postfix(loss=f"{row['train_loss']:.3f}", acc=f"{row['train_acc']:.3f}",
                        val_acc=f"{row.get('val_acc', float('nan')):.3f}")
        for callback in callbacks:
            callback(epoch + 1, row, model)
        stop = early_stopping is not None and waited >= early_stopping
        if checkpoint is not None and checkpoint_every and ((epoch + 1) % checkpoint_every == 0 or stop
                                                            or epoch + 1 == epochs):
            checkpoint.parent.mkdir(parents=True, exist_ok=True)
            _save_atomically({
                "model": model.state_dict(), "optimizer": opt.state_dict(),
                "scheduler": scheduler.state_dict() if scheduler is not None else {},
                "epoch": epoch + 1, "epochs": epochs, "history": rows, "waited": waited, "best_score": best.score,
                "best_epoch": best.epoch, "best_state": best.state, "rng": torch.get_rng_state(),
            }, checkpoint)
        if stop:
            break
    bar.close()

    if restore_best and best.state is not None:
        model.load_state_dict(best.state)
    history = pd.DataFrame(rows)
    history.attrs.update(best_epoch=best.epoch, stopped_early=len(rows) < epochs)
    return history
