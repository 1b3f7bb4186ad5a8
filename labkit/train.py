"""Training and evaluation: ``fit`` and ``evaluate``.

``fit`` is one readable loop -- forward, loss, backward, step -- with the
tools a practitioner adds around it: optimisers and learning-rate schedules,
label smoothing, early stopping, checkpoints you can resume from, a best model
kept as a real copy, and on a GPU bf16 autocast, channels_last and optionally
``torch.compile``.  It returns the history as a pandas DataFrame.

Its options (epochs, optimizer, lr, ...) are defined once, in
:class:`labkit.options.Training`, and checked before anything is trained.
"""

from __future__ import annotations

import contextlib
import random
import time
from pathlib import Path

import pandas as pd
import torch
from torch import nn
from tqdm.auto import tqdm

from .checkpoints import CHECKPOINT_NAME, BestModel, Progress, load_checkpoint, resume_from, save_checkpoint
from .device import channels_last_helps, check_compile, choose_precision, default_device
from .errors import LabkitError
from .models import describe_input
from .optim import make_optimizer, make_scheduler, step_schedule
from .options import FROM_RUN_SIZE, Training
from .sizes import run_size

__all__ = ["BestModel", "fit", "evaluate", "seed_everything", "load_checkpoint", "CHECKPOINT_NAME"]



def seed_everything(seed: int) -> None:
    """Seed Python's and PyTorch's random numbers (CPU and GPU), so runs repeat."""
    random.seed(seed)
    torch.manual_seed(seed)


def _autocast(device, dtype):
    if dtype is None:
        return contextlib.nullcontext()
    return torch.autocast(device.type, dtype=dtype)


def _has_convolutions(model: nn.Module) -> bool:
    return any(isinstance(m, nn.Conv2d) for m in model.modules())


def _batches(loader, device, channels_last):
    """The loader's ``(images, labels)`` on ``device``, images in the memory layout the model runs in."""
    for images, labels in loader:
        images, labels = images.to(device, non_blocking=True), labels.to(device, non_blocking=True)
        # Always one layout, the model's: a batch from elsewhere may have other strides, and a convolution
        # given a batch in one layout and weights in the other has hung in oneDNN's backward pass on a CPU
        # (torch 2.14.1, AMD EPYC).
        if images.dim() == 4:
            images = images.contiguous(memory_format=torch.channels_last if channels_last else torch.contiguous_format)
        yield images, labels


class _Tally:
    """Summed loss and correct answers over batches, kept on the device: no sync per batch."""

    def __init__(self, device):
        self.loss = torch.zeros((), device=device)
        self.correct = torch.zeros((), device=device, dtype=torch.long)
        self.count = 0

    def add(self, mean_loss, logits, labels) -> None:
        self.loss += mean_loss.detach() * len(labels)
        self.correct += (logits.argmax(1) == labels).sum()
        self.count += len(labels)

    def result(self) -> dict:
        return {"loss": self.loss.item() / self.count, "accuracy": self.correct.item() / self.count,
                "images": self.count}


@torch.no_grad()
def evaluate(model: nn.Module, loader, *, device=None, precision="auto", channels_last=False) -> dict:
    """Mean cross-entropy loss and accuracy of ``model`` on every batch of ``loader``.

    Returns ``{"loss": ..., "accuracy": ..., "images": n}``: always report how many
    images an accuracy was measured on.
    """
    device = default_device(device)
    dtype = choose_precision(device, precision).dtype
    model.eval()
    tally = _Tally(device)
    for images, labels in _batches(loader, device, channels_last):
        with _autocast(device, dtype):
            logits = model(images)
        tally.add(nn.functional.cross_entropy(logits.float(), labels), logits, labels)
    if tally.count == 0:
        raise LabkitError("cannot evaluate on an empty loader (0 images)")
    return tally.result()


# ---------------------------------------------------------------- the loop
def _settings(training, options, model) -> Training:
    """The checked training options; epochs from the run size when not given."""
    settings = Training.checked({**(training.given() if training is not None else {}), **options})
    if settings.epochs is FROM_RUN_SIZE:
        family = getattr(model, "family", None)
        if family is None:
            raise LabkitError("fit needs epochs=... for a network labkit did not build")
        settings = settings.model_copy(update={"epochs": run_size().epochs_for(family)})
    return settings


def _check_model_takes(model, data, device) -> None:
    """One forward pass on two images before training: a model built for other images says so in words."""
    sample = data.sample("train", 2)[0] if hasattr(data, "sample") else next(iter(data.train))[0][:2]
    was_training = model.training
    try:
        with torch.no_grad():
            model.eval()(sample.to(device))
    except RuntimeError as error:
        raise LabkitError(f"this {getattr(model, 'name', type(model).__name__)} {describe_input(model)}, but "
                          f"{getattr(data, 'name', 'the data')} images are {'x'.join(map(str, sample.shape[1:]))}: "
                          f"build the model for the data you train it on ({str(error).splitlines()[0][:80]})") from None
    finally:
        model.train(was_training)


def fit(model: nn.Module, data, training: Training | None = None, *, out_dir=None, resume: bool = False,
        device=None, progress: bool = True, callbacks=(), restore_best: bool = True,
        channels_last: bool | None = None, **options) -> pd.DataFrame:
    """Train ``model`` on ``data.train``, measuring ``data.val`` after every epoch.

    Options: any field of :class:`labkit.options.Training` as a keyword (``epochs=10,
    lr=0.05, optimizer="adam", ...``) or a ``Training`` object.  Among them:

    * ``epochs``: default, the run size's for the model's family (``LABKIT_SIZE``).
    * ``lr=None`` uses the optimiser's usual rate; with ``schedule="onecycle"`` it is the peak rate.
    * ``early_stopping=k``: stop when validation accuracy has not improved for k epochs.
    * ``checkpoint_every=k`` with ``out_dir``: save everything needed to resume every k epochs.

    And how to run it: ``resume=True`` continues from ``out_dir/checkpoint.pt`` if it exists
    (refused if the checkpoint was made with other settings or another network);
    ``restore_best`` loads the weights of the epoch with the best validation accuracy at the end;
    ``callbacks`` are functions ``f(epoch, row, model)`` called after each epoch (logging, probes),
    before that epoch's checkpoint is written: an epoch counts as done once its callbacks ran.

    Returns one row per epoch: epoch, train_loss, train_acc (on the augmented training batches),
    val_loss, val_acc, lr (at the start of the epoch), seconds.
    """
    # 1. Check everything before any work: the options, the output folder, the device, model against data.
    settings = _settings(training, options, model)
    if settings.checkpoint_every is not None and out_dir is None:
        raise LabkitError("checkpoint_every needs out_dir=..., the folder the checkpoints go to")
    device = default_device(device)
    _check_model_takes(model, data, device)
    precision = choose_precision(device, settings.precision)  # bf16, fp16 (with a gradient scaler) or fp32
    if settings.compile:
        check_compile(device)
    if channels_last is None:
        channels_last = channels_last_helps(device) and _has_convolutions(model)
    model.to(device, memory_format=torch.channels_last if channels_last else torch.preserve_format)
    step_model = torch.compile(model) if settings.compile else model
    train_loader, val_loader = data.train, getattr(data, "val", None)

    # 2. The optimiser, the learning-rate schedule, the loss.
    optimizer = make_optimizer(model.parameters(), settings)
    scheduler = make_scheduler(optimizer, settings, settings.epochs, len(train_loader))
    loss_fn = nn.CrossEntropyLoss(label_smoothing=settings.label_smoothing)
    scaler = torch.amp.GradScaler(device.type, enabled=precision.scaler)  # does nothing unless fp16

    # 3. Start afresh, or continue from the checkpoint.
    checkpoint = Path(out_dir) / CHECKPOINT_NAME if out_dir is not None else None
    if resume and checkpoint is not None and checkpoint.exists():
        state = resume_from(checkpoint, model, optimizer, scheduler, scaler, settings, device)
    else:
        seed_everything(settings.seed)
        state = Progress()

    bar = tqdm(total=(settings.epochs - state.epoch) * len(train_loader), disable=not progress, unit="batch",
               desc=f"{getattr(model, 'name', type(model).__name__)} on {getattr(data, 'name', 'data')}")
    for epoch in range(state.epoch, settings.epochs):
        began = time.perf_counter()
        if hasattr(train_loader, "set_epoch"):
            train_loader.set_epoch(epoch)
        epoch_lr = optimizer.param_groups[0]["lr"]  # the rate at the start of the epoch

        # 4. One pass over the training batches: forward, loss, backward, step.
        model.train()
        tally = _Tally(device)
        for images, labels in _batches(train_loader, device, channels_last):
            with _autocast(device, precision.dtype):
                logits = step_model(images)
                loss = loss_fn(logits.float(), labels)
            optimizer.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()  # fp16: the loss scaled up, so that small gradients do not vanish,
            scaler.step(optimizer)  # and the gradients scaled back down (a step skipped if they overflowed)
            scaler.update()
            step_schedule(scheduler, settings.schedule, end_of_epoch=False)
            tally.add(loss, logits, labels)
            bar.update()
        trained = tally.result()
        row = {"epoch": epoch + 1, "train_loss": trained["loss"], "train_acc": trained["accuracy"]}

        # 5. Validation, then the schedules that step once per epoch.
        if val_loader is not None:
            result = evaluate(step_model, val_loader, device=device, precision=settings.precision,
                              channels_last=channels_last)
            row.update(val_loss=result["loss"], val_acc=result["accuracy"])
        row["lr"] = epoch_lr
        step_schedule(scheduler, settings.schedule, end_of_epoch=True, val_loss=row.get("val_loss", row["train_loss"]))
        row["seconds"] = time.perf_counter() - began
        state.rows.append(row)
        state.epoch = epoch + 1

        # 6. The best model so far (on validation, never on test), and early stopping's count.
        improved = state.best.update(model, row.get("val_acc", row["train_acc"]), epoch + 1)
        state.waited = 0 if improved else state.waited + 1
        stop = settings.early_stopping is not None and state.waited >= settings.early_stopping

        # 7. Report: the progress bar, the callbacks; then the checkpoint, so a saved epoch is a finished one.
        bar.set_postfix(loss=f"{row['train_loss']:.3f}", acc=f"{row['train_acc']:.3f}",
                        val_acc=f"{row.get('val_acc', float('nan')):.3f}")
        for callback in callbacks:
            callback(epoch + 1, row, model)
        every = settings.checkpoint_every
        if checkpoint is not None and every and (state.epoch % every == 0 or stop or state.epoch == settings.epochs):
            save_checkpoint(checkpoint, model, optimizer, scheduler, scaler, settings, state)
        if stop:
            break
    bar.close()

    # 8. The weights of the best epoch, and the history.
    if restore_best and state.best.state is not None:
        model.load_state_dict(state.best.state)
    history = pd.DataFrame(state.rows)
    history.attrs.update(best_epoch=state.best.epoch, stopped_early=len(state.rows) < settings.epochs)
    return history
