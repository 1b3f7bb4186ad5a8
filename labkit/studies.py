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

import os
import shutil
from pathlib import Path
from typing import Literal

import torch
from pydantic import model_validator

from .data import load_data
from .device import default_device
from .errors import LabkitError
from .experiments import record_run
from .gradients import GradientProbe, activation_stds
from .models import build_model
from .options import (
    FROM_RUN_SIZE,
    BatchSize,
    DatasetName,
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
from .runs import STUDY_RECORD, SavedStudy, describe_study, load_study, read_record, summarise, variant
from .sizes import run_size
from .train import fit, seed_everything

__all__ = ["DepthStudy", "FAMILIES", "COURSE_RECIPE", "run_depth_study", "copy_reference_runs", "train_with_probe",
           "run_key", "parse_shard",
           # reading saved studies lives in labkit.runs; here for ``from labkit.studies import ...``
           "SavedStudy", "load_study", "describe_study", "summarise", "variant"]

FAMILIES = {"mlp": "mnist", "resnet": "cifar10"}  # model family -> its usual dataset
NORM_NAMES = {"batch": "batchnorm", "layer": "layernorm"}  # how a normalised study is named: mlp_batchnorm

# The published course recipe for the MLP depth study (``DepthStudy(**COURSE_RECIPE)``, ``--preset course``).
# Where labkit's twins differ from that course's: its residual MLP has about twice the Linear layers of its
# plain one; labkit's plain and residual twins have the same layers and parameters (one class, a flag).
COURSE_RECIPE = {"family": "mlp", "norm": "batch", "width": 128, "optimizer": "adam", "lr": 1e-3,
                 "weight_decay": 1e-4, "schedule": "plateau", "early_stopping": 5}


class DepthStudy(Options):
    """What a depth study trains.  Options left at ``FROM_RUN_SIZE`` (or None) come from the run size.

    The grid is depth x plain/residual x seed; every other option is the same for every run.
    """

    family: Literal["mlp", "resnet"] = "mlp"
    dataset: DatasetName | None = None  # None: the family's own (MNIST for MLPs, CIFAR-10 for ResNets)
    depths: tuple[PositiveWhole, ...] | None = None  # MLP: Linear layers; ResNet: 6n + 2
    seeds: PositiveWhole = FROM_RUN_SIZE  # how many seeds: 0, 1, ..., seeds - 1
    epochs: Epochs = FROM_RUN_SIZE
    width: Width = None  # MLP hidden units (the ResNets have the paper's widths)
    norm: Norm = None  # MLP normalisation (the ResNets always have batch norm)
    train_images: TrainImages = FROM_RUN_SIZE
    batch_size: BatchSize = FROM_RUN_SIZE
    optimizer: Optimizer = "sgd"
    lr: LearningRate = None  # None: the run size's rate for SGD, or Adam's usual 0.001
    weight_decay: WeightDecay = 5e-4
    schedule: Schedule = "onecycle"
    early_stopping: Patience = None  # None: every run trains all its epochs and is measured at the end

    @property
    def name(self) -> str:
        """The study's name, its folder in ``assets/depth/`` and its plan in ``size.studies``: mlp, mlp_batchnorm."""
        return self.family + (f"_{NORM_NAMES[self.norm]}" if self.norm in NORM_NAMES else "")

    @model_validator(mode="before")
    @classmethod
    def _depths_as_tuple(cls, values):
        if isinstance(values, dict) and isinstance(values.get("depths"), list):
            values = {**values, "depths": tuple(values["depths"])}
        return values

    @model_validator(mode="after")
    def _options_that_apply(self):
        if self.family == "resnet":
            for key in ("width", "norm"):
                if getattr(self, key) is not None:
                    raise ValueError(f"option {key!r} does not apply to a ResNet depth study "
                                     "(the CIFAR ResNets have the paper's widths and batch norm)")
        if self.depths is not None:
            if not self.depths:
                raise ValueError("a depth study needs at least one depth")
            repeated = sorted({d for d in self.depths if self.depths.count(d) > 1})
            if repeated:
                raise ValueError(f"depth {repeated[0]} is given more than once in depths={list(self.depths)}")
        return self

    def resolved(self, size=None) -> DepthStudy:
        """This study with every option the run size decides filled in, and every depth checked."""
        plans = run_size(size).studies
        plan = plans.get(self.name, plans[self.family])  # a batch-norm MLP study has its own plan
        given = self.given()
        lr = self.lr if self.lr is not None or self.optimizer != "sgd" else plan.lr
        study = self.model_copy(update={
            "dataset": self.dataset or FAMILIES[self.family],
            "depths": tuple(self.depths or plan.depths),
            "seeds": given.get("seeds", plan.seeds), "epochs": given.get("epochs", plan.epochs),
            "width": self.width if self.width is not None else plan.width,
            "train_images": given.get("train_images", plan.train_images),
            "batch_size": given.get("batch_size", plan.batch_size), "lr": lr,
        })
        for depth in study.depths:  # each model checks its own depth; on the meta device, nothing is allocated
            with torch.device("meta"):
                build_model(study.family, study.dataset, depth=depth, **study.model_options(True))
        return study

    def model_options(self, residual: bool) -> dict:
        """What ``build_model`` gets besides the family, the dataset and the depth."""
        extra = {"width": self.width, "norm": self.norm} if self.family == "mlp" else {}
        return {"residual": residual, **{k: v for k, v in extra.items() if v is not None}}

    def settings(self) -> dict:
        """Every option as plain data, as ``study.json`` keeps it."""
        return self.plain()

    def grid(self):
        """Every run as (depth, residual, seed); seed outermost, so one seed's picture is complete first."""
        return [(d, r, s) for s in range(self.seeds) for d in self.depths for r in (False, True)]


def parse_shard(shard) -> tuple:
    """``"1/4"`` or ``(1, 4)`` -> (1, 4): this process trains every 4th run of the grid, from the 2nd."""
    text = shard if isinstance(shard, str) else "/".join(map(str, shard)) if isinstance(shard, tuple) else shard
    if isinstance(shard, str):
        index, _, count = shard.partition("/")
        shard = (int(index), int(count)) if index.isdigit() and count.isdigit() else None
    if not (isinstance(shard, tuple) and len(shard) == 2 and all(isinstance(n, int) for n in shard)
            and 0 <= shard[0] < shard[1]):
        raise LabkitError(f"shard {text} is not allowed; use I/N with 0 <= I < N, e.g. 0/4")
    return shard


def run_key(depth: int, residual: bool, seed: int) -> str:
    return f"depth{depth:03d}-{variant(residual)}-seed{seed}"


def train_with_probe(model, data, *, device=None, **options) -> dict:
    """Train with ``fit`` (options as for ``fit``), watching the gradients on one fixed probe batch.

    Returns the history, the per-layer gradient norms at initialisation (epoch 0) and after
    every epoch, and each layer's output scale at initialisation and at the end.  The model
    is left as the last epoch made it (a study compares networks where they ended).
    """
    device = default_device(device)
    model.to(device)
    probe_images, probe_labels = data.sample("val", 256)
    probe = GradientProbe(probe_images, probe_labels)
    probe.measure(0, model)  # at initialisation
    at_init = activation_stds(model, probe_images)
    history = fit(model, data, device=device, callbacks=[probe], progress=False, restore_best=False, **options)
    return {"history": history, "gradients": probe.history,
            "activations": {"init": at_init, "final": activation_stds(model, probe_images)}}


def _one_run(study: DepthStudy, data, depth, residual, seed, device, size: str) -> dict:
    seed_everything(seed)
    model = build_model(study.family, study.dataset, depth=depth, **study.model_options(residual))
    training = {"epochs": study.epochs, "optimizer": study.optimizer, "lr": study.lr,
                "weight_decay": study.weight_decay, "schedule": study.schedule,
                "early_stopping": study.early_stopping, "seed": seed}
    watched = train_with_probe(model, data, device=device, **training)
    settings = {"model": {"name": study.family, "depth": depth, **study.model_options(residual)},
                "dataset": {"name": study.dataset, "train_images": study.train_images, "batch_size": study.batch_size},
                "training": training}
    record = record_run(model, data, watched["history"], name=study.family, settings=settings, size=size,
                        device=device)
    return {**record, "key": run_key(depth, residual, seed), "depth": depth, "seed": seed,
            "gradients": watched["gradients"].to_dict("records"),
            "activations": {when: table.to_dict("records") for when, table in watched["activations"].items()}}


def _same_settings(saved: dict, study: DepthStudy) -> bool:
    """A study saved before an option existed ran with that option's default."""
    defaults = {key: field.default for key, field in DepthStudy.model_fields.items()}
    return all(saved.get(key, defaults[key]) == value for key, value in study.settings().items())


def copy_reference_runs(out, reference, same_settings) -> int:
    """Copy the run files of the study saved in ``reference`` into an empty ``out/runs``; how many.

    Nothing is copied when ``out/runs`` already holds a run, when ``reference`` holds no
    study, or when ``same_settings(its study.json's settings)`` is false.
    """
    runs, there = Path(out) / "runs", Path(reference)
    if any(runs.glob("*.json")) or not (there / "study.json").exists():
        return 0
    if not same_settings(load_json(there / "study.json").get("study", {})):
        return 0
    files = sorted((there / "runs").glob("*.json"))
    runs.mkdir(parents=True, exist_ok=True)
    for file in files:  # each whole or not at all, as a run is saved
        part = runs / f"{file.name}.{os.getpid()}.tmp"
        shutil.copyfile(file, part)
        os.replace(part, runs / file.name)
    return len(files)


def _reuse_assets(study: DepthStudy, out, size_name: str) -> None:
    """At full size, start from the reference runs in ``assets/depth/<name>/``: never retrain them silently."""
    if size_name != "full":
        return
    from .references import assets_dir  # the checkout's assets/, found after any install

    try:
        reference = assets_dir() / "depth" / study.name
    except LabkitError:
        return
    copied = copy_reference_runs(out, reference, lambda saved: _same_settings(saved, study))
    if copied:
        print(f"labkit: copied {copied} finished runs of {reference} into {Path(out) / 'runs'} (same settings); "
              "to retrain them, pass reuse_assets=False (--retrain on the command line)", flush=True)


def run_depth_study(study: DepthStudy, out, *, size=None, device=None, progress=True,
                    shard=(0, 1), reuse_assets=True) -> SavedStudy:
    """Train every run of ``study`` not yet saved in ``out/runs/``; return every saved run.

    Everything is checked before anything is written: the study's options and depths, the
    output folder, the device, and that ``out`` holds no study with other settings.
    The table (one row per run) is also written to ``out/summary.csv``.
    ``shard=(i, n)`` trains only every n-th run of the grid, starting at the i-th, so n
    processes (on one GPU, say) can share a study: each run has its own file.
    At ``full`` size an empty ``out`` first gets the runs of ``assets/depth/<name>/`` that have
    the same settings (``reuse_assets=False``: train them again).
    """
    index, count = parse_shard(shard)
    study = study.resolved(size)
    out, device = check_out_dir(out), default_device(device)
    saved = out / "study.json"
    if saved.exists():
        before = load_json(saved).get("study", {})
        if not _same_settings(before, study):
            different = ", ".join(f"{k}: {before.get(k)!r} there, {v!r} here" for k, v in study.settings().items()
                                  if before.get(k, v) != v)
            raise LabkitError(f"{out} holds a study with other settings ({different}); "
                              "use another --out folder, or the same settings to resume it")
    if reuse_assets:  # before study.json: processes sharing the study wait for that file (reference_gpu.sh)
        _reuse_assets(study, out, run_size(size).name)
    save_json({"study": study.settings(), "size": run_size(size).name}, saved)
    mine = study.grid()[index::count]
    todo = [run for run in mine if read_record(out / "runs" / f"{run_key(*run)}.json", STUDY_RECORD) is None]
    if todo:
        data = load_data(study.dataset, size=size, train_images=study.train_images, batch_size=study.batch_size,
                         device=device)
        for number, (depth, residual, seed) in enumerate(todo, start=1):
            if progress:
                print(f"[{number}/{len(todo)}] {study.family}, depth {depth}, {variant(residual)}, seed {seed}",
                      flush=True)
            result = _one_run(study, data, depth, residual, seed, device, run_size(size).name)
            save_json(result, out / "runs" / f"{result['key']}.json")  # the run is saved whole, or not at all
            if progress:
                print(f"      test accuracy {result['test_acc']:.4f} on {result['test_images']:,} images, "
                      f"{result['seconds']:.1f} s", flush=True)
    saved_study = load_study(out)
    save_csv(saved_study.table, out / "summary.csv")
    return saved_study
