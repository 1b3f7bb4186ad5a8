"""Experiment logging for ``labkit train --log``: TensorBoard, or Weights & Biases offline.

Both are ``fit`` callbacks.  After every epoch they record the history row and
the per-layer gradient norms on one fixed probe batch.
"""

from __future__ import annotations

from pathlib import Path

import torch

from .errors import LabkitError, check_choice
from .gradients import layer_gradients

__all__ = ["LOGGERS", "TensorBoardLogger", "WandbLogger", "check_logger", "make_logger"]

LOGGERS = ("tensorboard", "wandb")


class TensorBoardLogger:
    """Writes scalars (loss, accuracy, lr, gradient norm per layer) and a histogram of
    per-layer gradient norms to ``log_dir``; view with ``tensorboard --logdir DIR``."""

    def __init__(self, log_dir, probe):
        from torch.utils.tensorboard import SummaryWriter  # needs the tensorboard package

        self.writer = SummaryWriter(str(log_dir))
        self.probe = probe

    def __call__(self, epoch: int, row: dict, model) -> None:
        for key, value in row.items():
            if key != "epoch":
                self.writer.add_scalar(key.replace("_", "/", 1), value, epoch)
        table = layer_gradients(model, *self.probe)
        for layer, norm in zip(table.name, table.grad_norm):
            self.writer.add_scalar("grad_norm/" + layer.replace(" · ", "/"), norm, epoch)
        self.writer.add_histogram("grad_norm_per_layer", torch.tensor(table.grad_norm.values), epoch)
        self.writer.flush()


class WandbLogger:
    """Logs the same numbers to Weights & Biases in offline mode (``wandb sync`` uploads later)."""

    def __init__(self, log_dir, probe, config: dict):
        import wandb

        self.run = wandb.init(mode="offline", dir=str(log_dir), config=config, project="labkit")
        self.probe = probe

    def __call__(self, epoch: int, row: dict, model) -> None:
        table = layer_gradients(model, *self.probe)
        norms = {"grad_norm/" + layer: norm for layer, norm in zip(table.name, table.grad_norm)}
        self.run.log({**row, **norms}, step=epoch)


def check_logger(kind: str) -> str:
    """``kind`` if it is a logger labkit has (and, for wandb, that it is installed)."""
    check_choice("logger", kind, LOGGERS)
    if kind == "wandb":
        try:
            import wandb  # noqa: F401
        except ImportError:
            raise LabkitError("--log wandb needs Weights & Biases, which is not installed: "
                              "pip install wandb (or use --log for TensorBoard)") from None
    return kind


def make_logger(kind: str, out_dir, probe, config: dict):
    """A logger callback writing under ``out_dir/logs``; ``probe`` is a fixed (images, labels) batch."""
    check_logger(kind)
    log_dir = Path(out_dir) / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    if kind == "wandb":
        return WandbLogger(log_dir, probe, config)
    return TensorBoardLogger(log_dir, probe)
