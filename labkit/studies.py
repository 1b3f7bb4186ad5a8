"""Studies: a grid of training runs, each saved the moment it ends.

The depth study asks how plain and residual networks behave as they get
deeper.  Its grid is (depth x plain/residual x seed) for one model family on
one dataset; everything else -- data, optimiser, epochs, width -- is held
equal, and each plain/residual pair has the same weight layers and parameters.

A run's result (history, final loss and accuracy on train/val/test, epochs
run, per-layer gradient norms on a fixed probe batch, activation statistics)
is one JSON file in ``out/runs/``, written atomically.  Running a study again
skips every run whose file exists, so a study killed at any moment loses at
most the run in flight; ``load_study`` reads what is there without training.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import torch

from .data import load_data
from .device import default_device, describe_device
from .errors import LabkitError, check_choice, check_positive
from .gradients import GradientProbe, activation_stds
from .models import build_model, count_parameters, count_weight_layers
from .results import load_json, plain_data, save_csv, save_json
from .sizes import FROM_RUN_SIZE, run_size
from .train import evaluate, fit, seed_everything

__all__ = ["DepthStudy", "FAMILIES", "run_depth_study", "load_study", "describe_study", "summarise", "run_key"]

FAMILIES = {"mlp": "mnist", "resnet": "cifar10"}  # model family -> its usual dataset


@dataclass
class DepthStudy:
    """What a depth study trains.  ``None`` fields come from the run size."""

    family: str = "mlp"
    dataset: str | None = None
    depths: tuple | None = None
    seeds: int | None = None  # number of seeds: 0, 1, ..., seeds - 1
    epochs: int | None = None
    width: int | None = None  # MLP width (ResNets have the paper's widths)
    train_images: int | None = FROM_RUN_SIZE  # None: all of them
    batch_size: int | None = None
    optimizer: str = "sgd"
    lr: float | None = None  # None: the run size's rate for this family (SGD), or Adam's default

    def resolved(self, size=None) -> DepthStudy:
        """This study with every ``None`` filled in from the run size, checked."""
        sizes = run_size(size)
        check_choice("model family", self.family, FAMILIES)
        dataset = self.dataset or FAMILIES[self.family]
        depths = tuple(self.depths or (sizes.mlp_depths if self.family == "mlp" else sizes.resnet_depths))
        study = DepthStudy(
            family=self.family, dataset=dataset, depths=depths,
            seeds=self.seeds if self.seeds is not None else sizes.study_seeds[self.family],
            epochs=self.epochs if self.epochs is not None else sizes.study_epochs[self.family],
            width=None if self.family != "mlp" else self.width if self.width is not None else sizes.study_mlp_width,
            train_images=sizes.study_train_images[dataset] if self.train_images is FROM_RUN_SIZE else self.train_images,
            batch_size=self.batch_size or sizes.study_batch[self.family][0], optimizer=self.optimizer,
            lr=self.lr if self.lr is not None or self.optimizer != "sgd" else sizes.study_batch[self.family][1],
        )
        check_positive("batch size", study.batch_size)
        check_positive("seeds", study.seeds)
        check_positive("epochs", study.epochs)
        for depth in depths:  # the registry checks each depth against the family's minimum
            build_model(study.family, dataset, depth=depth, **study.model_options(True))
        return study

    def model_options(self, residual: bool) -> dict:
        return {"residual": residual, **({"width": self.width} if self.family == "mlp" else {})}

    def grid(self):
        """Every run as (depth, residual, seed); seed outermost, so one seed's picture is complete first."""
        return [(d, r, s) for s in range(self.seeds) for d in self.depths for r in (False, True)]


def run_key(depth: int, residual: bool, seed: int) -> str:
    return f"depth{depth:03d}-{'residual' if residual else 'plain'}-seed{seed}"


def _one_run(study: DepthStudy, data, depth, residual, seed, device) -> dict:
    seed_everything(seed)
    model = build_model(study.family, study.dataset, depth=depth, **study.model_options(residual))
    model.to(device)
    probe_images, probe_labels = data.sample("val", 256)
    probe = GradientProbe(probe_images, probe_labels)
    probe.measure(0, model)  # at initialisation
    activations_at_init = activation_stds(model, probe_images)
    began = time.perf_counter()
    history = fit(model, data, epochs=study.epochs, optimizer=study.optimizer, lr=study.lr, seed=seed,
                  device=device, callbacks=[probe], progress=False, restore_best=False)
    seconds = time.perf_counter() - began
    # final accuracy on the training images as they are, not on augmented batches
    final = {split: evaluate(model, data.plain_loader(split), device=device) for split in ("train", "val", "test")}
    return {
        "key": run_key(depth, residual, seed), "family": study.family, "dataset": study.dataset,
        "depth": depth, "residual": residual, "seed": seed, "width": study.width if study.family == "mlp" else None,
        "weight_layers": count_weight_layers(model), "parameters": count_parameters(model),
        "epochs": study.epochs, "epochs_run": len(history), "optimizer": study.optimizer, "lr": study.lr,
        "batch_size": study.batch_size,
        "train_loss": final["train"]["loss"], "train_acc": final["train"]["accuracy"],
        "val_loss": final["val"]["loss"], "val_acc": final["val"]["accuracy"],
        "test_loss": final["test"]["loss"], "test_acc": final["test"]["accuracy"],
        "images": data.counts, "test_images": final["test"]["images"],
        "seconds": seconds, "hardware": describe_device(device), "torch": torch.__version__,
        "history": history.to_dict("records"),
        "gradients": probe.history.to_dict("records"),
        "activations": {"init": activations_at_init.to_dict("records"),
                        "final": activation_stds(model, probe_images).to_dict("records")},
    }


def run_depth_study(study: DepthStudy, out, *, size=None, device=None, progress=True,
                    shard=(0, 1)) -> pd.DataFrame:
    """Train every run of ``study`` not yet saved in ``out/runs/``; return the summary table.

    The summary (one row per run) is also written to ``out/summary.csv``.
    ``shard=(i, n)`` trains only every n-th run of the grid, starting at the i-th, so n
    processes (on one GPU, say) can share a study: each run has its own file.
    """
    index, count = shard
    if not (isinstance(index, int) and isinstance(count, int) and 0 <= index < count):
        raise LabkitError(f"shard {index}/{count} is not allowed; use i/n with 0 <= i < n, e.g. 0/4")
    study = study.resolved(size)
    out, device = Path(out), default_device(device)
    settings = {k: v for k, v in vars(study).items()}
    saved = out / "study.json"
    if saved.exists() and load_json(saved)["study"] != plain_data(settings):
        raise LabkitError(f"{out} holds a study with other settings ({load_json(saved)['study']}); "
                          "use another --out folder, or the same settings to resume it")
    save_json({"study": settings, "size": run_size(size).name}, saved)
    mine = study.grid()[index::count]
    todo = [run for run in mine if not (out / "runs" / f"{run_key(*run)}.json").exists()]
    if todo:
        data = load_data(study.dataset, size=size, train_images=study.train_images, batch_size=study.batch_size,
                         device=device)
        for number, (depth, residual, seed) in enumerate(todo, start=1):
            if progress:
                print(f"[{number}/{len(todo)}] {study.family}, depth {depth}, "
                      f"{'residual' if residual else 'plain'}, seed {seed}", flush=True)
            result = _one_run(study, data, depth, residual, seed, device)
            save_json(result, out / "runs" / f"{result['key']}.json")  # the run is saved whole, or not at all
            if progress:
                print(f"      test accuracy {result['test_acc']:.4f} on {result['test_images']} images, "
                      f"{result['seconds']:.1f} s", flush=True)
    table = load_study(out)
    save_csv(table, out / "summary.csv")
    return table


class _SavedRuns(dict):
    """The saved results of a study's runs, shared rather than copied.

    pandas deep-copies ``DataFrame.attrs`` on most operations; a study's histories and
    gradients would be copied each time, so this read-only mapping copies as itself.
    """

    def __deepcopy__(self, memo):
        return self


def load_study(out) -> pd.DataFrame:
    """The summary table of every saved run in ``out/runs/``; reads only, trains and writes nothing.

    The full results (histories, gradients) are in ``table.attrs["runs"]``, keyed like the files;
    the study's settings and run size (``out/study.json``) in ``table.attrs["study"]``.
    """
    files = sorted(Path(out, "runs").glob("*.json"))
    if not files:
        raise LabkitError(f"no saved runs in {Path(out, 'runs')}; run the study first")
    runs = _SavedRuns({f.stem: load_json(f) for f in files})
    columns = ["family", "dataset", "depth", "residual", "seed", "weight_layers", "parameters", "epochs_run",
               "train_loss", "train_acc", "val_loss", "val_acc", "test_loss", "test_acc", "test_images", "seconds"]
    table = pd.DataFrame([{c: run[c] for c in columns} for run in runs.values()])
    table = table.sort_values(["depth", "residual", "seed"]).reset_index(drop=True)
    table.attrs["runs"] = runs
    saved = Path(out, "study.json")
    table.attrs["study"] = load_json(saved) if saved.exists() else {}
    return table


def describe_study(table: pd.DataFrame) -> dict:
    """What a saved study is the mean of: run size, hardware, epochs, seeds, images -- read from its files."""
    saved, runs = table.attrs["study"], list(table.attrs["runs"].values())
    seeds = table.groupby(["depth", "residual"]).size()
    first = runs[0]
    return {"run size": saved.get("size", "unknown"),
            "hardware": ", ".join(sorted({run["hardware"] for run in runs})),
            "dataset": first["dataset"], "depths": ", ".join(str(d) for d in sorted(table.depth.unique())),
            "runs": len(runs), "training seconds (all runs)": round(sum(run["seconds"] for run in runs), 1),
            "seeds per depth and variant": f"{seeds.min()}" if seeds.min() == seeds.max()
            else f"{seeds.min()} to {seeds.max()}",
            "epochs": first["epochs"], "batch size": first["batch_size"], "peak learning rate": first["lr"],
            "MLP width": first["width"] if first["family"] == "mlp" else "-",
            "training images": first["images"]["train"], "validation images": first["images"]["val"],
            "test images": first["test_images"]}


def summarise(table: pd.DataFrame) -> pd.DataFrame:
    """Mean and standard deviation over seeds, one row per (depth, plain/residual)."""
    grouped = table.groupby(["depth", "residual"])
    # a diverged run has no loss (NaN): its mean loss is NaN too, not the mean of the others
    summary = grouped[["train_acc", "val_acc", "test_acc", "train_loss", "test_loss"]].agg(
        [lambda s: s.mean(skipna=False), lambda s: s.std(skipna=False)])
    summary.columns = [f"{metric}_{'mean' if stat == '<lambda_0>' else 'std'}" for metric, stat in summary.columns]
    summary["seeds"] = grouped.size()
    summary["parameters"] = grouped.parameters.first()
    summary["weight_layers"] = grouped.weight_layers.first()
    return summary.reset_index()
