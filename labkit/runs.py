"""The record of a finished run -- one shape for every run the lab saves -- and the tables made from many.

A single run (``labkit train``), each run of a study, the reference runs in
``assets/`` and the benchmarks all save the same record, as JSON::

    model, dataset, residual       what was trained ("resnet20" on "cifar10", with skips)
    settings                       every option as given: {"model": {...}, "dataset": {...}, "training": {...}}
    size, hardware, torch          at which run size, on what, with which PyTorch
    parameters, weight_layers      the network's size
    epochs_run, best_epoch, seconds
    images                         {"train": n, "val": n, "test": n}
    train_loss, train_acc, val_loss, val_acc, test_loss, test_acc, test_images
                                   measured at the end, on images as they are (never augmented);
                                   a loss of None means the run diverged (NaN)
    history                        one row per epoch

A study's run adds ``key``, ``depth``, ``seed``, ``gradients`` (per-layer norms on one fixed
probe batch, at initialisation and after every epoch) and ``activations``.  Reading is
here too, so figures and tables never need the training code.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .errors import LabkitError
from .results import load_json

__all__ = ["RECORD", "STUDY_RECORD", "RUNS_VARIABLE", "SavedStudy", "runs_dir", "read_record", "load_study",
           "describe_study", "summarise", "variant", "seeds_text"]

RECORD = ("model", "dataset", "residual", "settings", "size", "hardware", "torch", "parameters", "weight_layers",
          "epochs_run", "best_epoch", "seconds", "images", "train_loss", "train_acc", "val_loss", "val_acc",
          "test_loss", "test_acc", "test_images", "history")
STUDY_RECORD = (*RECORD, "key", "depth", "seed", "gradients", "activations")
RUNS_VARIABLE = "LABKIT_RUNS"
_TABLE = ("family", "dataset", "depth", "residual", "seed", "weight_layers", "parameters", "epochs_run",
          "train_loss", "train_acc", "val_loss", "val_acc", "test_loss", "test_acc", "test_images", "seconds")


def runs_dir(name: str = "") -> Path:
    """Where the notebooks save their runs and studies: ``$LABKIT_RUNS``, else a per-user folder.

    Like the data root, it never depends on the folder Jupyter was started in, so a
    notebook finds its saved studies again from anywhere (``runs_dir("depth-mlp-cpu")``).
    """
    root = os.environ.get(RUNS_VARIABLE) or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / \
        "labkit" / "runs"
    return Path(root).expanduser().resolve() / name


def variant(residual: bool) -> str:
    """How the lab names the two twins: 'residual' or 'plain'."""
    return "residual" if residual else "plain"


def seeds_text(counts) -> str:
    """'1 seed', '3 seeds' or '2-3 seeds': how many seeds a mean is over (counts: one number per mean)."""
    low, high = int(min(counts)), int(max(counts))
    return f"{low} seed{'' if low == 1 else 's'}" if low == high else f"{low}-{high} seeds"


def read_record(path, keys=RECORD) -> dict | None:
    """A saved record, or None when the file is missing, empty, cut short or not a record."""
    path = Path(path)
    try:
        record = load_json(path)
    except (ValueError, OSError):
        return None
    return record if isinstance(record, dict) and all(key in record for key in keys) else None


@dataclass
class SavedStudy:
    """A study as saved: one row per run (``table``), every run's record (``runs``), its settings and run size."""

    table: pd.DataFrame
    runs: dict  # key -> record, e.g. "depth020-plain-seed0" -> {...}
    settings: dict = field(default_factory=dict)  # the study's options, from study.json
    size: str = "unknown"  # the run size it was trained at

    def __len__(self) -> int:
        return len(self.table)

    def first_seed(self, depth: int, residual: bool) -> dict | None:
        """The record of the lowest seed of one (depth, variant), or None when there is none."""
        runs = [r for r in self.runs.values() if r["depth"] == depth and r["residual"] == residual]
        return min(runs, key=lambda r: r["seed"]) if runs else None


def load_study(out) -> SavedStudy:
    """Every saved run in ``out/runs/``; reads only, trains and writes nothing.

    A run file that cannot be read (empty, cut short) is named on stderr and left out;
    running the study again trains that run anew.
    """
    files = sorted(Path(out, "runs").glob("*.json"))
    readable = {f.stem: read_record(f, STUDY_RECORD) for f in files}
    for name in sorted(k for k, run in readable.items() if run is None):
        path = Path(out, "runs", f"{name}.json")
        print(f"labkit: left out {path}: not a finished run ({path.stat().st_size:,} bytes: empty, cut short or "
              "from an older labkit); run the study again to redo it", file=sys.stderr)
    runs = {k: run for k, run in readable.items() if run is not None}
    if not runs:
        raise LabkitError(f"no saved runs in {Path(out, 'runs')}; run the study first")
    rows = [{"family": run["model"], **{c: run[c] for c in _TABLE[1:]}} for run in runs.values()]
    table = pd.DataFrame(rows).sort_values(["depth", "residual", "seed"]).reset_index(drop=True)
    saved = load_json(Path(out, "study.json")) if Path(out, "study.json").exists() else {}
    return SavedStudy(table, runs, saved.get("study", {}), saved.get("size", "unknown"))


def describe_study(study: SavedStudy) -> dict:
    """What a saved study is the mean of: run size, hardware, epochs, seeds, images -- read from its files.

    A table to read, not to compute with: image counts are text with thousands separators ("10,000").
    """
    runs, table = list(study.runs.values()), study.table
    counts = table.groupby(["depth", "residual"]).size()
    low, high, first = int(counts.min()), int(counts.max()), runs[0]
    training, model = first["settings"]["training"], first["settings"]["model"]
    return {"run size": study.size,
            "hardware": ", ".join(sorted({run["hardware"] for run in runs})),
            "dataset": first["dataset"], "depths": ", ".join(str(d) for d in sorted(table.depth.unique())),
            "runs": len(runs), "training seconds (all runs)": round(sum(run["seconds"] for run in runs), 1),
            "seeds per depth and variant": f"{low}" if low == high else f"{low} to {high}",
            "epochs": training["epochs"], "batch size": first["settings"]["dataset"]["batch_size"],
            "peak learning rate": training["lr"], "MLP width": model.get("width") or "-",
            "training images": f"{first['images']['train']:,}", "validation images": f"{first['images']['val']:,}",
            "test images": f"{first['test_images']:,}"}


def summarise(study: SavedStudy | pd.DataFrame) -> pd.DataFrame:
    """Mean and standard deviation over seeds, one row per (depth, plain/residual), and the number of seeds.

    A standard deviation needs two seeds: when no row has two, the ``_std`` columns (all ``NaN``) are left out.
    """
    table = study.table if isinstance(study, SavedStudy) else study
    grouped = table.groupby(["depth", "residual"])
    # a diverged run has no loss (NaN): its mean loss is NaN too, not the mean of the others
    summary = grouped[["train_acc", "val_acc", "test_acc", "train_loss", "test_loss"]].agg(
        [lambda s: s.mean(skipna=False), lambda s: s.std(skipna=False)])
    summary.columns = [f"{metric}_{'mean' if stat == '<lambda_0>' else 'std'}" for metric, stat in summary.columns]
    summary["seeds"] = grouped.size()
    summary["parameters"] = grouped.parameters.first()
    summary["weight_layers"] = grouped.weight_layers.first()
    if summary.seeds.max() < 2:
        summary = summary.drop(columns=[c for c in summary.columns if c.endswith("_std")])
    return summary.reset_index()
