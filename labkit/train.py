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
import os
import pickle
import random
import time
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import torch
from torch import nn
from tqdm.auto import tqdm

from .device import autocast_dtype, default_device
from .errors import LabkitError
from .models import describe_input
from .optim import make_optimizer, make_scheduler, step_schedule
from .options import FROM_RUN_SIZE, Training
from .sizes import run_size

__all__ = ["BestModel", "fit", "evaluate", "seed_everything", "load_checkpoint", "CHECKPOINT_NAME"]

CHECKPOINT_NAME = "checkpoint.pt"
# settings a resumed run may change: how often it saves, and whether it compiles (the same arithmetic)
_MAY_CHANGE_ON_RESUME = ("checkpoint_every", "compile")


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
        if channels_last:
            images = images.contiguous(memory_format=torch.channels_last)
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
    dtype = autocast_dtype(device, precision)
    model.eval()
    tally = _Tally(device)
    for images, labels in _batches(loader, device, channels_last):
        with _autocast(device, dtype):
            logits = model(images)
        tally.add(nn.functional.cross_entropy(logits.float(), labels), logits, labels)
    if tally.count == 0:
        raise LabkitError("cannot evaluate on an empty loader (0 images)")
    return tally.result()


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


# ---------------------------------------------------------------- checkpoints
@dataclass
class _Progress:
    """Where a run stands after some epochs."""

    epoch: int = 0  # epochs done
    rows: list = field(default_factory=list)  # the history so far
    waited: int = 0  # epochs since validation accuracy last improved
    best: BestModel = field(default_factory=BestModel)


# A checkpoint's contents, written and read by this one pair of functions.
def _checkpoint(model, optimizer, scheduler, settings: Training, progress: _Progress) -> dict:
    """Everything needed to continue a run exactly as if it had never stopped."""
    return {"model": model.state_dict(), "optimizer": optimizer.state_dict(),
            "scheduler": scheduler.state_dict() if scheduler is not None else {},
            "settings": settings.plain(), "rng": torch.get_rng_state(),
            "epoch": progress.epoch, "history": progress.rows, "waited": progress.waited,
            "best_score": progress.best.score, "best_epoch": progress.best.epoch, "best_state": progress.best.state}


def _restore(saved: dict, model, optimizer, scheduler) -> _Progress:
    """Put a checkpoint back: the model, optimiser, schedule and random state; return the run's progress."""
    model.load_state_dict(saved["model"])
    optimizer.load_state_dict(saved["optimizer"])
    if scheduler is not None:
        scheduler.load_state_dict(saved["scheduler"])
    torch.set_rng_state(saved["rng"].cpu())
    best = BestModel()
    best.score, best.epoch, best.state = saved["best_score"], saved["best_epoch"], saved["best_state"]
    return _Progress(epoch=saved["epoch"], rows=saved["history"], waited=saved["waited"], best=best)


def _save_atomically(payload: dict, path: Path) -> None:
    temporary = path.with_suffix(".tmp")
    torch.save(payload, temporary)
    os.replace(temporary, path)  # a checkpoint is either the old one or the new one, never half


def load_checkpoint(path, device=None) -> dict:
    """Read a checkpoint written by ``fit`` (tensors and plain data only: ``weights_only=True``).

    A file that is empty, cut short or not written by ``fit`` is refused in one line.
    """
    path = Path(path)
    try:
        saved = torch.load(path, map_location=default_device(device), weights_only=True)
    except FileNotFoundError:
        raise LabkitError(f"no checkpoint at {path}") from None
    except (RuntimeError, EOFError, OSError, ValueError, pickle.UnpicklingError) as error:
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        size = path.stat().st_size if path.exists() else 0
        raise LabkitError(f"{path} is not a readable checkpoint ({size:,} bytes; {reason[:120]}); "
                          "delete it to start afresh") from None
    if not isinstance(saved, dict) or not {"model", "optimizer", "settings", "epoch"} <= set(saved):
        keys = sorted(saved)[:5] if isinstance(saved, dict) else type(saved).__name__
        raise LabkitError(f"{path} was not written by labkit's fit (it holds {keys}); "
                          "use another output folder or delete it")
    return saved


def _differences(saved: dict, settings: Training) -> list:
    now = settings.plain()
    return [f"{key}={saved.get(key)!r}, not {now[key]!r}" for key in now
            if key not in _MAY_CHANGE_ON_RESUME and saved.get(key) != now[key]]


def _check_same_network(path, saved_state: dict, model: nn.Module) -> None:
    """Refuse a checkpoint of another network, naming the first layer that differs."""
    here = model.state_dict()
    for key in (*saved_state, *here):
        if key not in here or key not in saved_state:
            where = "the checkpoint" if key in saved_state else "this model"
            raise LabkitError(f"{path} holds another network: only {where} has {key!r}; "
                              "resume with the same model and options, or use another output folder")
        if saved_state[key].shape != here[key].shape:
            raise LabkitError(f"{path} holds another network: {key!r} is {tuple(saved_state[key].shape)} there, "
                              f"{tuple(here[key].shape)} here; resume with the same model and options")


def _resume(path, model, optimizer, scheduler, settings, device) -> _Progress:
    """Continue from a checkpoint, after checking it was made by this run: same settings, same network."""
    saved = load_checkpoint(path, device)
    different = _differences(saved["settings"], settings)
    if different:
        raise LabkitError(f"{path} was made with other settings ({'; '.join(different)}); "
                          "resume with the same settings, or use another output folder")
    _check_same_network(path, saved["model"], model)
    return _restore(saved, model, optimizer, scheduler)


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
    dtype = autocast_dtype(device, settings.precision)
    if channels_last is None:
        channels_last = device.type == "cuda" and _has_convolutions(model)
    model.to(device, memory_format=torch.channels_last if channels_last else torch.preserve_format)
    step_model = torch.compile(model) if settings.compile else model
    train_loader, val_loader = data.train, getattr(data, "val", None)

    # 2. The optimiser, the learning-rate schedule, the loss.
    optimizer = make_optimizer(model.parameters(), settings)
    scheduler = make_scheduler(optimizer, settings, settings.epochs, len(train_loader))
    loss_fn = nn.CrossEntropyLoss(label_smoothing=settings.label_smoothing)

    # 3. Start afresh, or continue from the checkpoint.
    checkpoint = Path(out_dir) / CHECKPOINT_NAME if out_dir is not None else None
    if resume and checkpoint is not None and checkpoint.exists():
        state = _resume(checkpoint, model, optimizer, scheduler, settings, device)
    else:
        seed_everything(settings.seed)
        state = _Progress()

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
            with _autocast(device, dtype):
                logits = step_model(images)
                loss = loss_fn(logits.float(), labels)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
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
            checkpoint.parent.mkdir(parents=True, exist_ok=True)
            _save_atomically(_checkpoint(model, optimizer, scheduler, settings, state), checkpoint)
        if stop:
            break
    bar.close()

    # 8. The weights of the best epoch, and the history.
    if restore_best and state.best.state is not None:
        model.load_state_dict(state.best.state)
    history = pd.DataFrame(state.rows)
    history.attrs.update(best_epoch=state.best.epoch, stopped_early=len(state.rows) < settings.epochs)
    return history
