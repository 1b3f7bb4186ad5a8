"""Optimisers and learning-rate schedules, and the one rule of when a schedule steps.

* ``sgd``: stochastic gradient descent with momentum (Nesterov's by default);
  ``adam``; ``adamw`` (Adam with decoupled weight decay).
* ``onecycle``: warm up to the peak rate, then anneal (Smith & Topin 2017);
  ``cosine``: anneal from the rate to 0; ``step``: divide by 10 at 1/2 and 3/4
  of the epochs; ``plateau``: divide by 10 when the validation loss stops
  falling; ``none``: constant.

The first two change the rate after every batch, the others after every
epoch: :data:`PER_BATCH` says which, and :func:`step_schedule` is the only
code that steps a schedule, for ``fit`` and for the schedule figure alike.
"""

from __future__ import annotations

import torch

from .options import Training

__all__ = ["PER_BATCH", "make_optimizer", "make_scheduler", "step_schedule", "learning_rates"]

PER_BATCH = ("onecycle", "cosine")  # schedules that step after every batch; the others after every epoch


def make_optimizer(parameters, settings: Training) -> torch.optim.Optimizer:
    """The optimiser ``settings`` describe, for ``parameters``."""
    lr, decay = settings.learning_rate, settings.weight_decay
    if settings.optimizer == "sgd":
        return torch.optim.SGD(parameters, lr=lr, momentum=settings.momentum, weight_decay=decay,
                               nesterov=settings.nesterov and settings.momentum > 0)
    kind = torch.optim.Adam if settings.optimizer == "adam" else torch.optim.AdamW
    return kind(parameters, lr=lr, weight_decay=decay)


def make_scheduler(optimizer, settings: Training, epochs: int, steps_per_epoch: int):
    """The learning-rate schedule ``settings.schedule`` for ``epochs`` of ``steps_per_epoch`` batches, or None."""
    name, total = settings.schedule, epochs * steps_per_epoch
    if name == "onecycle":
        return torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=settings.learning_rate, total_steps=total)
    if name == "cosine":
        return torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=total)
    if name == "step":
        milestones = [max(1, epochs // 2), max(1, 3 * epochs // 4)]
        return torch.optim.lr_scheduler.MultiStepLR(optimizer, milestones, gamma=0.1)
    if name == "plateau":
        return torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, factor=0.1, patience=2)
    return None


def step_schedule(scheduler, schedule: str, *, end_of_epoch: bool, val_loss: float | None = None) -> None:
    """Step ``scheduler`` if ``schedule`` steps at this moment: after a batch, or at the end of an epoch.

    ``plateau`` needs the epoch's validation loss (the training loss when there is no validation set).
    """
    if scheduler is None or (schedule in PER_BATCH) == end_of_epoch:
        return
    if schedule == "plateau":
        scheduler.step(val_loss)
    else:
        scheduler.step()


def learning_rates(schedule: str, *, epochs: int = 20, steps_per_epoch: int = 100, lr: float = 0.1) -> list:
    """The learning rate at every optimiser step of a schedule, stepped exactly as ``fit`` steps it.

    ``plateau`` depends on the validation loss; here it sees a loss that never improves, the case where it acts.
    """
    settings = Training.checked(schedule=schedule, lr=lr, epochs=epochs)
    optimizer = make_optimizer([torch.nn.Parameter(torch.zeros(1))], settings)
    scheduler = make_scheduler(optimizer, settings, epochs, steps_per_epoch)
    rates = []
    for _ in range(epochs):
        for _ in range(steps_per_epoch):
            rates.append(optimizer.param_groups[0]["lr"])
            optimizer.step()
            step_schedule(scheduler, schedule, end_of_epoch=False)
        step_schedule(scheduler, schedule, end_of_epoch=True, val_loss=1.0)
    return rates
