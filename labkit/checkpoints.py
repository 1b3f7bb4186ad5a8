"""What a run keeps: the best weights so far, and checkpoints to continue from.

A checkpoint holds everything needed to continue a run exactly as if it had never
stopped -- the weights, the optimiser's and the schedule's state, the random state,
the history, the best weights -- and the settings it was made with, so that a resumed
run can refuse a checkpoint of another network or of other settings instead of
silently mixing two runs.  Only tensors and plain data: it loads with ``weights_only=True``.
"""

from __future__ import annotations

import functools
import pickle
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn

from .device import default_device
from .errors import LabkitError
from .options import Training
from .results import write_atomically

__all__ = ["BestModel", "CHECKPOINT_NAME", "Progress", "load_checkpoint", "save_checkpoint", "resume_from",
           "compact_state"]

CHECKPOINT_NAME = "checkpoint.pt"
# settings a resumed run may change: how often it saves, and whether it compiles (the same arithmetic)
_MAY_CHANGE_ON_RESUME = ("checkpoint_every", "compile")


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


@dataclass
class Progress:
    """Where a run stands after some epochs."""

    epoch: int = 0  # epochs done
    rows: list = field(default_factory=list)  # the history so far
    waited: int = 0  # epochs since validation accuracy last improved
    best: BestModel = field(default_factory=BestModel)


# A checkpoint's contents, written and read by this one pair of functions.
def _checkpoint(model, optimizer, scheduler, scaler, settings: Training, progress: Progress) -> dict:
    """Everything needed to continue a run exactly as if it had never stopped."""
    return {"model": model.state_dict(), "optimizer": optimizer.state_dict(),
            "scheduler": scheduler.state_dict() if scheduler is not None else {},
            "scaler": scaler.state_dict(),
            "settings": settings.plain(), "rng": torch.get_rng_state(),
            "epoch": progress.epoch, "history": progress.rows, "waited": progress.waited,
            "best_score": progress.best.score, "best_epoch": progress.best.epoch, "best_state": progress.best.state}


def save_checkpoint(path, model, optimizer, scheduler, scaler, settings: Training, progress: Progress) -> None:
    """Write a checkpoint atomically: a reader finds the previous one or this one, never half of one."""
    payload = _checkpoint(model, optimizer, scheduler, scaler, settings, progress)
    write_atomically(path, functools.partial(_save, payload))


def _save(payload: dict, temporary: Path) -> None:
    torch.save(payload, temporary)


def _restore(saved: dict, model, optimizer, scheduler, scaler) -> Progress:
    """Put a checkpoint back: the model, optimiser, schedule and random state; return the run's progress."""
    model.load_state_dict(saved["model"])
    optimizer.load_state_dict(saved["optimizer"])
    if scheduler is not None:
        scheduler.load_state_dict(saved["scheduler"])
    if saved.get("scaler"):
        scaler.load_state_dict(saved["scaler"])
    torch.set_rng_state(saved["rng"].cpu())
    best = BestModel()
    best.score, best.epoch, best.state = saved["best_score"], saved["best_epoch"], saved["best_state"]
    return Progress(epoch=saved["epoch"], rows=saved["history"], waited=saved["waited"], best=best)


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


def resume_from(path, model, optimizer, scheduler, scaler, settings, device) -> Progress:
    """Continue from a checkpoint, after checking it was made by this run: same settings, same network."""
    saved = load_checkpoint(path, device)
    different = _differences(saved["settings"], settings)
    if different:
        raise LabkitError(f"{path} was made with other settings ({'; '.join(different)}); "
                          "resume with the same settings, or use another output folder")
    _check_same_network(path, saved["model"], model)
    return _restore(saved, model, optimizer, scheduler, scaler)


FP16_MAX = 65_504.0  # the largest finite float16


def compact_state(state: dict) -> dict:
    """A state dict for keeping trained weights in the repository: each float tensor in fp16 (half the
    bytes; ``load_state_dict`` casts it back into the model's fp32 parameters), except a tensor with
    values beyond fp16's range, which stays as it is; integer buffers (batch norm's counters) unchanged."""
    def compact(tensor):
        tensor = tensor.detach().cpu()
        if not tensor.is_floating_point() or not torch.isfinite(tensor).all() or tensor.abs().max() > FP16_MAX:
            return tensor
        return tensor.half()
    return {name: compact(tensor) for name, tensor in state.items()}
