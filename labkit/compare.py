"""The comparison study: plain vs residual twins of several networks, each over many seeds.

One run is ``(model, dataset, plain/residual, seed)``; the grid is every model of
``models`` (``"mlp_mnist"``, ``"cnn_cifar10"``, ...) x {plain, residual} x seeds.
Everything else -- data, recipe, epochs, width, depth -- is the same for every run,
and each plain/residual pair has the same weight layers and parameters, so the
difference between the twins' means is what the shortcuts change.  A difference
of a fraction of a point can be noise: ``compare_table`` gives each mean with its
standard deviation and a 95 % t-interval over the seeds.

The default recipe is the published course's (Adam, lr 0.001, weight decay 0.0001,
reduce-on-plateau, early stopping with patience 5, batch norm in the MLPs, width
128); each run is measured with the weights of its best validation epoch.  The
depths are chosen where a shortcut has something to do, and are the same for both
twins: MLPs of 20 Linear layers (a plain MLP with batch norm of that depth already
trains worse than its residual twin, notebook 05), CNNs of 2 blocks per stage.

Like the depth study it is resumable and shardable: one JSON file per finished run
in ``out/runs/``, written whole or not at all; a run whose file exists is skipped.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

import pandas as pd
import torch
from pydantic import Field, model_validator

from .catalog import DATASETS
from .checkpoints import compact_state
from .data import load_data
from .device import default_device
from .errors import LabkitError
from .experiments import record_run
from .models import build_model
from .options import (
    FROM_RUN_SIZE,
    BatchSize,
    Epochs,
    LearningRate,
    Norm,
    Optimizer,
    Options,
    Patience,
    PositiveWhole,
    Schedule,
    TrainImages,
    WeightDecay,
    Width,
)
from .results import check_out_dir, load_json, save_csv, save_json
from .runs import RECORD, read_record, variant
from .sizes import run_size
from .stats import mean_std_interval
from .studies import copy_reference_runs, parse_shard
from .train import fit, seed_everything

__all__ = ["CompareStudy", "ComparePlan", "PLANS", "SavedCompare", "run_compare_study", "load_compare_study",
           "compare_table", "compare_key", "MAX_WEIGHTS_BYTES"]

COMPARE_RECORD = (*RECORD, "key", "run", "depth", "seed")
MAX_WEIGHTS_BYTES = 5_000_000  # seed 0's weights are kept (assets/weights/) only below this


@dataclass(frozen=True)
class ComparePlan:
    """What a comparison study trains at one run size, unless told otherwise."""

    seeds: int
    epochs: int  # the most; early stopping may end a run sooner
    train_images: int | None  # None: all


PLANS = {"smoke": ComparePlan(seeds=2, epochs=1, train_images=500),
         "cpu": ComparePlan(seeds=3, epochs=4, train_images=10_000),
         "gpu": ComparePlan(seeds=3, epochs=20, train_images=None),
         "full": ComparePlan(seeds=10, epochs=30, train_images=None)}


class CompareStudy(Options):
    """What a comparison study trains.  Options left at ``FROM_RUN_SIZE`` come from the run size (``PLANS``)."""

    models: tuple[str, ...] = ("mlp_mnist", "cnn_mnist", "mlp_cifar10", "cnn_cifar10")  # <model>_<dataset>
    seeds: PositiveWhole = FROM_RUN_SIZE  # seeds 0, 1, ..., seeds - 1
    epochs: Epochs = FROM_RUN_SIZE
    mlp_depth: PositiveWhole = 20  # Linear layers
    cnn_depth: PositiveWhole = 2  # blocks per stage
    width: Width = 128  # MLP hidden units
    norm: Norm = "batch"  # MLP normalisation (the CNNs always have batch norm)
    train_images: TrainImages = FROM_RUN_SIZE
    batch_size: BatchSize = 128
    optimizer: Optimizer = "adam"
    lr: LearningRate = 1e-3
    weight_decay: WeightDecay = 1e-4
    schedule: Schedule = "plateau"
    early_stopping: Patience = 5
    mlp_augment: Annotated[bool, Field(title="augment the MLPs", description="random crops and flips for the "
                           "MLPs' CIFAR-10 batches too (default: no, the MLPs underfit with them, "
                           "benchmarks/mlp_cifar10_recipe.py; the CNNs follow the run size)")] = False

    @model_validator(mode="before")
    @classmethod
    def _models_as_tuple(cls, values):
        if isinstance(values, dict) and isinstance(values.get("models"), (list, str)):
            models = values["models"]
            values = {**values, "models": tuple(models.split(",") if isinstance(models, str) else models)}
        return values

    @model_validator(mode="after")
    def _known_models(self):
        if not self.models:
            raise ValueError("a comparison study needs at least one model, e.g. mlp_mnist")
        for name in self.models:
            model, _, dataset = name.rpartition("_")
            if model not in ("mlp", "cnn") or dataset not in DATASETS:
                raise ValueError(f"model {name!r} is not '<model>_<dataset>' with model mlp or cnn and dataset "
                                 f"one of {', '.join(DATASETS)} (for example 'mlp_mnist' or 'cnn_cifar10')")
        repeated = sorted({m for m in self.models if self.models.count(m) > 1})
        if repeated:
            raise ValueError(f"model {repeated[0]!r} is given more than once in models={list(self.models)}")
        return self

    def resolved(self, size=None) -> CompareStudy:
        """This study with every option the run size decides filled in, every model checked."""
        plan, given = PLANS[run_size(size).name], self.given()
        study = self.model_copy(update={"seeds": given.get("seeds", plan.seeds),
                                        "epochs": given.get("epochs", plan.epochs),
                                        "train_images": given.get("train_images", plan.train_images)})
        for name in study.models:  # each model checks its own options; on the meta device nothing is allocated
            with torch.device("meta"):
                build_model(*name.split("_"), **study.model_options(name, True))
        return study

    def model_options(self, name: str, residual: bool) -> dict:
        """What ``build_model`` gets besides the model and the dataset."""
        model = name.split("_")[0]
        if model == "mlp":
            return {"depth": self.mlp_depth, "width": self.width, "norm": self.norm, "residual": residual}
        return {"depth": self.cnn_depth, "residual": residual}

    def augment(self, name: str) -> bool | None:
        """Whether the training batches of ``name`` are augmented (None: the run size and dataset decide)."""
        return False if name.split("_")[0] == "mlp" and not self.mlp_augment else None

    def settings(self) -> dict:
        return self.plain()

    def grid(self):
        """Every run as (model, residual, seed); seed outermost, so the first seeds of every model come first."""
        return [(m, r, s) for s in range(self.seeds) for m in self.models for r in (False, True)]


def compare_key(name: str, residual: bool, seed: int) -> str:
    return f"{name}-{variant(residual)}-seed{seed}"


@dataclass
class SavedCompare:
    """A comparison study as saved: one row per run (``table``), every record (``runs``), settings, run size."""

    table: pd.DataFrame
    runs: dict
    settings: dict = field(default_factory=dict)
    size: str = "unknown"


_COLUMNS = ("run", "model", "dataset", "depth", "residual", "seed", "weight_layers", "parameters", "epochs_run",
            "best_epoch", "train_acc", "val_acc", "test_acc", "val_images", "test_images", "seconds", "hardware")


def load_compare_study(out) -> SavedCompare:
    """Every saved run in ``out/runs/``; reads only."""
    runs = {f.stem: read_record(f, COMPARE_RECORD) for f in sorted(Path(out, "runs").glob("*.json"))}
    runs = {key: run for key, run in runs.items() if run is not None}
    if not runs:
        raise LabkitError(f"no saved runs in {Path(out, 'runs')}; run the study first")
    rows = [{**{c: run.get(c) for c in _COLUMNS}, "val_images": run["images"]["val"]} for run in runs.values()]
    table = pd.DataFrame(rows).sort_values(["run", "residual", "seed"]).reset_index(drop=True)
    saved = load_json(Path(out, "study.json")) if Path(out, "study.json").exists() else {}
    return SavedCompare(table, runs, saved.get("study", {}), saved.get("size", "unknown"))


def compare_table(saved: SavedCompare | pd.DataFrame) -> pd.DataFrame:
    """One row per (model, plain/residual): seeds, parameters, and validation and test accuracy as
    mean, std and the 95 % t-interval over seeds."""
    table = saved.table if isinstance(saved, SavedCompare) else saved
    rows = []
    for (run, residual), part in table.groupby(["run", "residual"], sort=False):
        row = {"run": run, "variant": variant(residual), "seeds": len(part),
               "weight_layers": int(part.weight_layers.iloc[0]), "parameters": int(part.parameters.iloc[0])}
        for metric in ("val_acc", "test_acc"):
            stats = mean_std_interval(part[metric])
            row.update({f"{metric}_mean": stats["mean"], f"{metric}_std": stats["std"],
                        f"{metric}_95_low": stats["low"], f"{metric}_95_high": stats["high"]})
        row.update({"val_images": int(part.val_images.iloc[0]), "test_images": int(part.test_images.iloc[0]),
                    "seconds_per_run": part.seconds.mean()})
        rows.append(row)
    return pd.DataFrame(rows)


def _save_weights(model, folder, name: str, residual: bool) -> None:
    """Seed 0's state dict in fp16, ``compare_<model>_<dataset>.pt`` (plain twin: ``..._plain.pt``), if under 5 MB."""
    buffer = io.BytesIO()
    torch.save(compact_state(model.state_dict()), buffer)
    if buffer.tell() >= MAX_WEIGHTS_BYTES:
        print(f"labkit: weights of {name} ({buffer.tell():,} bytes) not kept: over {MAX_WEIGHTS_BYTES:,}", flush=True)
        return
    path = Path(folder) / f"compare_{name}{'' if residual else '_plain'}.pt"
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_suffix(f".pt.{os.getpid()}.tmp")
    part.write_bytes(buffer.getvalue())
    os.replace(part, path)  # whole or not at all


def _one_run(study: CompareStudy, data, name, residual, seed, device, size: str) -> tuple:
    model_name, dataset = name.split("_")
    seed_everything(seed)
    options = study.model_options(name, residual)
    model = build_model(model_name, dataset, **options)
    training = {"epochs": study.epochs, "optimizer": study.optimizer, "lr": study.lr,
                "weight_decay": study.weight_decay, "schedule": study.schedule,
                "early_stopping": study.early_stopping, "seed": seed}
    history = fit(model, data, device=device, progress=False, **training)  # ends with the best epoch's weights
    settings = {"model": {"name": model_name, **options},
                "dataset": {"name": dataset, "train_images": study.train_images, "batch_size": study.batch_size,
                            "augment": data.augment},
                "training": training}
    record = record_run(model, data, history, name=model_name, settings=settings, size=size, device=device)
    return model, {**record, "key": compare_key(name, residual, seed), "run": name, "depth": options["depth"],
                   "seed": seed}


def _same_settings(saved: dict, study: CompareStudy) -> bool:
    settings = study.settings()
    return saved.get("models") is not None and all(
        (tuple(saved[k]) if isinstance(saved.get(k), list) else saved.get(k)) ==
        (tuple(v) if isinstance(v, list) else v) for k, v in settings.items())


def run_compare_study(study: CompareStudy, out, *, size=None, device=None, progress=True, shard=(0, 1),
                      reuse_assets=True, weights=None) -> SavedCompare:
    """Train every run of ``study`` not yet saved in ``out/runs/``; return every saved run.

    Checked first, as the depth study is: options, models, output folder, device, and that
    ``out`` holds no study with other settings.  ``shard=(i, n)``: only every n-th run, from
    the i-th.  At ``full`` size an empty ``out`` first gets the runs of ``assets/compare/``
    with the same settings (``reuse_assets=False``: train them again).  ``weights``: a folder
    for seed 0's state dicts (``compare_<model>_<dataset>.pt``, ``..._plain.pt``), each under 5 MB.
    """
    index, count = parse_shard(shard)
    study = study.resolved(size)
    size_name = run_size(size).name
    out, device = check_out_dir(out), default_device(device)
    saved = out / "study.json"
    if saved.exists() and not _same_settings(load_json(saved).get("study", {}), study):
        before = load_json(saved).get("study", {})
        different = ", ".join(f"{k}: {before.get(k)!r} there, {v!r} here" for k, v in study.settings().items()
                              if not _same_settings({**study.settings(), k: before.get(k)}, study))
        raise LabkitError(f"{out} holds a comparison study with other settings ({different}); "
                          "use another --out folder, or the same settings to resume it")
    if reuse_assets and size_name == "full":  # before study.json: processes sharing the study wait for that file
        from .references import assets_dir

        try:
            reference = assets_dir() / "compare"
        except LabkitError:
            reference = None
        copied = reference and copy_reference_runs(out, reference, lambda s: _same_settings(s, study))
        if copied:
            print(f"labkit: copied {copied} finished runs of {reference} into {out / 'runs'} (same settings); "
                  "to retrain them, pass reuse_assets=False (--retrain on the command line)", flush=True)
    save_json({"study": study.settings(), "size": size_name}, saved)
    todo = [run for run in study.grid()[index::count]
            if read_record(out / "runs" / f"{compare_key(*run)}.json", COMPARE_RECORD) is None]
    loaded = {}
    for number, (name, residual, seed) in enumerate(todo, start=1):
        dataset, augment = name.split("_")[1], study.augment(name)
        if (dataset, augment) not in loaded:  # one bundle per dataset and augmentation, shared by its runs
            loaded[dataset, augment] = load_data(dataset, size=size_name, train_images=study.train_images,
                                                 batch_size=study.batch_size, augment=augment, device=device)
        if progress:
            print(f"[{number}/{len(todo)}] {name}, {variant(residual)}, seed {seed}", flush=True)
        model, result = _one_run(study, loaded[dataset, augment], name, residual, seed, device, size_name)
        if weights is not None and seed == 0:
            _save_weights(model, weights, name, residual)
        save_json(result, out / "runs" / f"{result['key']}.json")  # the run is saved whole, or not at all
        if progress:
            print(f"      validation accuracy {result['val_acc']:.4f}, test accuracy {result['test_acc']:.4f} "
                  f"on {result['test_images']:,} images, {result['seconds']:.1f} s", flush=True)
    saved_study = load_compare_study(out)
    save_csv(saved_study.table, out / "summary.csv")
    return saved_study
