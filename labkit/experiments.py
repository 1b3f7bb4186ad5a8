"""One experiment from a configuration: build, train, test, save.

``train_run(config)`` is what ``labkit train`` and the notebooks call::

    run = train_run({"model": {"name": "cnn"}, "dataset": {"name": "cifar10"}})
    run.history        # one row per epoch
    run.result         # plain data: settings, test accuracy (and on how many images), seconds

With ``out`` it writes ``result.json``, ``history.csv`` and the weights
(``model.pt``, a state dict) there.  Every option is checked, and the output
folder and the device too, before any data is loaded.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import torch

from .data import DataBundle, load_data
from .device import default_device, describe_device
from .models import build_model, count_parameters, count_weight_layers, model_family
from .options import FROM_RUN_SIZE, RunConfig
from .results import check_out_dir, save_csv, save_json
from .sizes import run_size
from .tracking import check_logger, make_logger
from .train import evaluate, fit, seed_everything

__all__ = ["Run", "train_run"]


@dataclass
class Run:
    """What one experiment gives back: the trained model, its data, history and result."""

    model: torch.nn.Module
    data: DataBundle
    history: pd.DataFrame
    result: dict


def train_run(config: dict | RunConfig, out=None, *, size=None, log=None, progress=True, callbacks=(),
              device=None, resume=False) -> Run:
    """Train and test the model a configuration describes; save the results in ``out`` if given.

    ``config`` has the sections of :class:`labkit.options.RunConfig` (model, dataset,
    training). ``log`` is None, "tensorboard" or "wandb".  Epochs default to the run
    size's epochs for the model family (``LABKIT_SIZE``).
    """
    # Check everything first: options, run size, logger, output folder, device, the model itself.
    config = config if isinstance(config, RunConfig) else RunConfig.checked(config)
    sizes = run_size(size)
    if log is not None:
        check_logger(log)
    out = check_out_dir(out) if out is not None else None
    device = default_device(device)
    name, dataset, training = config.model.name, config.dataset, config.training
    if training.epochs is FROM_RUN_SIZE:
        training = training.model_copy(update={"epochs": sizes.epochs_for(model_family(name))})
    seed_everything(training.seed)
    model = build_model(name, dataset.name, **config.model.options())

    data_options = {key: value for key, value in dataset.given().items() if key != "name"}
    data = load_data(dataset.name, size=sizes.name, seed=training.seed, device=device, **data_options)
    callbacks = list(callbacks)
    if log is not None and out is not None:
        callbacks.append(make_logger(log, out, data.sample("val", 256), config.plain()))
    history = fit(model, data, training, out_dir=out, progress=progress, callbacks=callbacks, resume=resume,
                  device=device)
    test = evaluate(model, data.test, device=device)
    result = {
        "config": {"model": config.model.given(), "dataset": dataset.given(),
                   "training": {**training.given(), "epochs": training.epochs}},
        "size": sizes.name,
        "parameters": count_parameters(model),
        "weight_layers": count_weight_layers(model),
        "hardware": describe_device(device),
        "torch": torch.__version__,
        "seconds": float(history.seconds.sum()),  # every epoch's training and validation, resumed ones too
        "epochs_run": len(history),
        "best_epoch": history.attrs["best_epoch"],
        "images": data.counts,
        "val_acc": float(history.val_acc.max()) if "val_acc" in history else None,
        "test_loss": test["loss"],
        "test_acc": test["accuracy"],
        "test_images": test["images"],
        "history": history.to_dict("records"),
    }
    if out is not None:
        save_csv(history, out / "history.csv")
        torch.save(model.state_dict(), Path(out) / "model.pt")
        save_json(result, out / "result.json")
    return Run(model, data, history, result)
