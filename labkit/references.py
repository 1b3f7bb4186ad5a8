"""Reference results: the full-size runs saved in the repository's ``assets/`` folder.

A laptop cannot train every network of the course at ``full`` size, so the
notebooks show the saved full-size results beside the student's own run.
Every one of them was made by labkit's own runners -- single runs by
``labkit train --size full --out assets/runs/<model>_<dataset>``, the depth
studies by ``benchmarks/depth_studies_gpu.sh`` -- and says on which hardware
it ran.  A result that has not been produced yet is shown as missing, with
the command that makes it; nothing is filled in.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from .catalog import DATASETS
from .errors import LabkitError
from .experiments import record_run
from .runs import read_record
from .sizes import run_size

__all__ = ["ASSETS_VARIABLE", "COURSE_VAL_ACC", "assets_dir", "reference_runs", "beside_reference", "trained_weights",
           "beside_course"]

ASSETS_VARIABLE = "LABKIT_ASSETS"

# The published course table the comparison study is measured against: validation accuracy of each twin
# (its residual MLPs have about twice the Linear layers of its plain ones; labkit's twins have the same).
COURSE_VAL_ACC = {("mlp_mnist", "plain"): 0.974, ("mlp_mnist", "residual"): 0.982,
                  ("cnn_mnist", "plain"): 0.988, ("cnn_mnist", "residual"): 0.992,
                  ("mlp_cifar10", "plain"): 0.558, ("mlp_cifar10", "residual"): 0.572,
                  ("cnn_cifar10", "plain"): 0.847, ("cnn_cifar10", "residual"): 0.853}


def _is_assets(folder: Path) -> bool:
    return (folder / "runs").is_dir() or (folder / "depth").is_dir()


def assets_dir() -> Path:
    """The ``assets/`` folder of the labkit checkout: reference results and figures.

    Found the same way after any install: ``$LABKIT_ASSETS`` if set; else the checkout this
    package was imported from (an editable install, or running from the source); else the
    checkout around the current folder (a notebook in ``notebooks/`` after ``pip install .``).
    """
    if os.environ.get(ASSETS_VARIABLE):
        folder = Path(os.environ[ASSETS_VARIABLE]).expanduser()
        if not _is_assets(folder):
            raise LabkitError(f"{ASSETS_VARIABLE}={str(folder)!r} holds no reference results (no runs/ or depth/)")
        return folder.resolve()
    here = Path(__file__).resolve().parent.parent / "assets"
    if _is_assets(here):
        return here
    for folder in (Path.cwd(), *Path.cwd().parents):
        if _is_assets(folder / "assets") and (folder / "labkit").is_dir():
            return (folder / "assets").resolve()
    raise LabkitError(f"labkit's reference results (assets/) are not here: open the notebooks from the labkit "
                      f"checkout, or set {ASSETS_VARIABLE} to its assets folder")


def trained_weights(run: str, *, assets=None) -> Path | None:
    """The saved trained weights of ``run`` (``assets/weights/<run>.pt``), or None if there are none yet.

    ``run`` is ``<model>_<dataset>`` (``"resnet20_cifar10"``), with ``_plain`` for the plain twin
    (``"resnet20_cifar10_plain"``).  The file is a state dict: ``model.load_state_dict(torch.load(path,
    weights_only=True))``.  A notebook uses it where a well-trained network matters and a CPU cannot train one.
    """
    _split(run.removesuffix("_plain"))
    path = (Path(assets) if assets is not None else assets_dir()) / "weights" / f"{run}.pt"
    return path if path.is_file() else None


def _split(name: str) -> tuple:
    model, _, dataset = name.rpartition("_")
    if not model or dataset not in DATASETS:
        raise LabkitError(f"reference run {name!r} is not '<model>_<dataset>' with dataset one of "
                          f"{', '.join(DATASETS)} (for example 'mlp_mnist' or 'resnet18_cifar10')")
    return model, dataset


def _row(name: str, record: dict | None, source: str) -> dict:
    """One table row from a run's record: the same columns for a reference and for the student's run."""
    if record is None:
        return {"run": name, "source": source}
    return {"run": name, "run size": record["size"], "parameters": record["parameters"],
            "epochs": record["epochs_run"], "training images": record["images"]["train"],
            "test acc": record["test_acc"], "test images": record["test_images"],
            "seconds": round(record["seconds"], 1), "hardware": record["hardware"], "source": source}


def _reference_row(name: str, folder: Path) -> dict:
    model, dataset = _split(name)
    path = folder / "runs" / name / "result.json"
    record = read_record(path)
    if record is None:
        command = f"labkit train --model {model} --dataset {dataset} --size full --out assets/runs/{name}"
        return _row(name, None, f"not produced yet ({command})")
    return _row(name, record, str(path.relative_to(folder.parent)))


def reference_runs(*names: str, assets=None) -> pd.DataFrame:
    """One row per reference run ``<model>_<dataset>`` (e.g. ``"cnn_cifar10"``), indexed by name.

    Columns: run size, parameters, epochs, training images, test accuracy with
    the number of test images it was measured on, seconds, hardware, and the
    file it came from.  Runs not produced yet get a row that says so.
    """
    folder = Path(assets) if assets is not None else assets_dir()
    return pd.DataFrame([_reference_row(name, folder) for name in names]).set_index("run").convert_dtypes()


def beside_reference(runs: dict, *, size=None, assets=None):
    """Your runs next to the saved full-size ones, two rows per run: yours, then the reference.

    ``runs`` maps a reference name to what you trained, ``{"mlp_mnist": (model,
    data, history)}``; each model is tested here on its data's test split, so
    both rows report test accuracy and the number of test images it was measured on.
    Returns a pandas ``Styler`` that shows every column in full (the command that
    makes a missing reference included); its ``.data`` is the plain DataFrame.
    """
    for name in runs:
        _split(name)  # a bad name is refused before any model is tested
    sizes = run_size(size)
    own = pd.DataFrame([
        _row(name, record_run(model, data, history, name=_split(name)[0], settings={}, size=sizes.name,
                              device=next(model.parameters()).device, splits=("test",)), "")
        for name, (model, data, history) in runs.items()]).set_index("run")
    reference = reference_runs(*runs, assets=assets)
    reference["run size"] = reference["run size"].fillna("full") if "run size" in reference else "full"
    table = pd.concat({"this notebook": own, "reference": reference}, names=["", "run"]).swaplevel()
    table = table.loc[list(runs)].convert_dtypes()
    counts = {column: "{:,}" for column in ("parameters", "training images", "test images") if column in table}
    return table.style.format({"test acc": "{:.4f}", "seconds": "{:.1f}", **counts}, na_rep="")


def beside_course(table: pd.DataFrame) -> pd.DataFrame:
    """``lk.compare_table``'s rows with the published course table's validation accuracy beside each twin's
    mean, and the difference (positive: labkit's twin is better; NaN where the course has no such row)."""
    course = pd.Series([COURSE_VAL_ACC.get((run, kind), float("nan")) for run, kind in zip(table.run, table.variant)],
                       index=table.index, dtype=float)
    return table.assign(course_val_acc=course, val_acc_minus_course=table.val_acc_mean - course)
