"""One experiment from a configuration: build, train, test, save.

``train_run(config)`` is what ``labkit train`` and the notebooks call::

    run = train_run({"model": {"name": "cnn"}, "dataset": {"name": "cifar10"}})
    run.history        # one row per epoch
    run.result         # plain data: settings, test accuracy (and on how many images), seconds

With ``out`` it writes ``result.json``, ``history.csv`` and the weights
(``model.pt``, a state dict) there.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import torch

from .catalog import DATASETS
from .config import check_config, merge
from .data import DataBundle, load_data
from .device import default_device, describe_device
from .errors import check_choice, check_positive
from .models import build_model, count_parameters, count_weight_layers, model_family
from .results import save_csv, save_json
from .sizes import run_size
from .tracking import LOGGERS, make_logger
from .train import OPTIMIZERS, PRECISIONS, SCHEDULES, evaluate, fit, seed_everything

__all__ = ["Run", "train_run", "check_run_config"]


@dataclass
class Run:
    """What one experiment gives back: the trained model, its data, history and result."""

    model: torch.nn.Module
    data: DataBundle
    history: pd.DataFrame
    result: dict


def check_run_config(config: dict) -> dict:
    """Check every name and number before any data is loaded; return the full configuration."""
    config = merge(check_config(config))
    model, dataset, training = config["model"], config["dataset"], config["training"]
    family = model_family(model["name"])
    check_choice("dataset", dataset["name"], DATASETS)
    check_choice("loader", dataset["loader"], ("device", "classic"))
    check_choice("optimizer", training["optimizer"], OPTIMIZERS)
    check_choice("schedule", training["schedule"], SCHEDULES)
    check_choice("precision", training.get("precision", "auto"), PRECISIONS)
    for key, what in (("epochs", "epochs"), ("lr", "learning rate")):
        if key in training:
            check_positive(what, training[key])
    if "batch_size" in dataset:
        check_positive("batch size", dataset["batch_size"])
    options = {k: v for k, v in model.items() if k != "name"}
    build_model(model["name"], dataset["name"], **options)  # checks options and depth; cheap
    config["family"] = family
    return config


def train_run(config: dict, out=None, *, size=None, log=None, progress=True, callbacks=(),
              device=None, resume=False) -> Run:
    """Train and test the model a configuration describes; save the results in ``out`` if given.

    ``log`` is None, "tensorboard" or "wandb".  Epochs default to the run size's
    epochs for the model family (``LABKIT_SIZE``).
    """
    config = check_run_config(config)
    if log is not None:
        check_choice("logger", log, LOGGERS)  # bad input is refused before the data is read (or downloaded)
    family = config.pop("family")
    sizes = run_size(size)
    model_cfg, data_cfg, train_cfg = config["model"], dict(config["dataset"]), dict(config["training"])
    train_cfg.setdefault("epochs", sizes.epochs_for(family))
    seed = train_cfg.pop("seed")
    device = default_device(device)

    seed_everything(seed)
    model = build_model(model_cfg["name"], data_cfg["name"], **{k: v for k, v in model_cfg.items() if k != "name"})
    name, root = data_cfg.pop("name"), data_cfg.pop("root", None)
    data = load_data(name, root, size=sizes.name, seed=seed, device=device, **data_cfg)
    callbacks = list(callbacks)
    if log is not None and out is not None:
        callbacks.append(make_logger(log, out, data.sample("val", 256), config))

    history = fit(model, data, seed=seed, device=device, out_dir=out, progress=progress,
                  callbacks=callbacks, resume=resume, **train_cfg)
    test = evaluate(model, data.test, device=device)
    best = history.attrs["best_epoch"]
    result = {
        "config": config,
        "size": sizes.name,
        "parameters": count_parameters(model),
        "weight_layers": count_weight_layers(model),
        "hardware": describe_device(device),
        "torch": torch.__version__,
        "seconds": float(history.seconds.sum()),  # every epoch's training and validation, resumed ones too
        "epochs_run": len(history),
        "best_epoch": best,
        "images": data.counts,
        "val_acc": float(history.val_acc.max()) if "val_acc" in history else None,
        "test_loss": test["loss"],
        "test_acc": test["accuracy"],
        "test_images": test["images"],
        "history": history.to_dict("records"),
    }
    if out is not None:
        out = Path(out)
        save_csv(history, out / "history.csv")
        torch.save(model.state_dict(), out / "model.pt")
        save_json(result, out / "result.json")
    return Run(model, data, history, result)
