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

__all__ = ["Run", "train_run", "record_run"]


@dataclass
class Run:
    """What one experiment gives back: the trained model, its data, history and result."""

    model: torch.nn.Module
    data: DataBundle
    history: pd.DataFrame
    result: dict


def record_run(model, data, history: pd.DataFrame, *, name: str, settings: dict, size: str, device,
               splits=("train", "val", "test")) -> dict:
    """The record of a finished run (see :mod:`labkit.runs`), its final numbers measured here.

    Loss and accuracy are measured on each split in ``splits`` with images as they are (never
    augmented); the others are None.  ``settings`` holds the options as given, by section.
    """
    final = {split: evaluate(model, data.plain_loader(split), device=device) for split in splits}
    measured = {f"{split}_{what}": final[split][key] if split in final else None
                for split in ("train", "val", "test") for what, key in (("loss", "loss"), ("acc", "accuracy"))}
    return {
        "model": name, "dataset": data.name, "residual": getattr(model, "residual", None), "settings": settings,
        "size": size, "hardware": describe_device(device), "torch": torch.__version__,
        "parameters": count_parameters(model), "weight_layers": count_weight_layers(model),
        "epochs_run": len(history), "best_epoch": history.attrs.get("best_epoch"),
        "seconds": float(history.seconds.sum()),  # every epoch's training and validation, resumed ones too
        "images": data.counts, **measured, "test_images": final["test"]["images"] if "test" in final else None,
        "history": history.to_dict("records"),
    }


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
    settings = {"model": {"name": name, **config.model.options()}, "dataset": {**dataset.given(), "name": dataset.name},
                "training": {**training.given(), "epochs": training.epochs}}
    result = record_run(model, data, history, name=name, settings=settings, size=sizes.name, device=device)
    if out is not None:
        save_csv(history, out / "history.csv")
        torch.save(model.state_dict(), Path(out) / "model.pt")
        save_json(result, out / "result.json")
    return Run(model, data, history, result)
