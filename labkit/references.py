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

from pathlib import Path

import pandas as pd

from .catalog import DATASETS
from .device import describe_device
from .errors import LabkitError
from .models import count_parameters
from .results import load_json
from .sizes import run_size
from .train import evaluate

__all__ = ["assets_dir", "reference_runs", "beside_reference"]


def assets_dir() -> Path:
    """The ``assets/`` folder of the labkit checkout (reference results and figures)."""
    return Path(__file__).resolve().parent.parent / "assets"


def _split(name: str) -> tuple:
    model, _, dataset = name.rpartition("_")
    if not model or dataset not in DATASETS:
        raise LabkitError(f"reference run {name!r} is not '<model>_<dataset>' with dataset one of "
                          f"{', '.join(DATASETS)} (for example 'mlp_mnist' or 'resnet18_cifar10')")
    return model, dataset


def _row(name: str, folder: Path) -> dict:
    model, dataset = _split(name)
    path = folder / "runs" / name / "result.json"
    if not path.exists():
        command = f"labkit train --model {model} --dataset {dataset} --size full --out assets/runs/{name}"
        return {"run": name, "source": f"not produced yet ({command})"}
    result = load_json(path)
    return {"run": name, "run size": result["size"], "parameters": result["parameters"],
            "epochs": result["epochs_run"], "training images": result["images"]["train"],
            "test acc": result["test_acc"], "test images": result["test_images"],
            "seconds": round(result["seconds"], 1), "hardware": result["hardware"],
            "source": str(path.relative_to(folder.parent))}


def reference_runs(*names: str, assets=None) -> pd.DataFrame:
    """One row per reference run ``<model>_<dataset>`` (e.g. ``"cnn_cifar10"``), indexed by name.

    Columns: run size, parameters, epochs, training images, test accuracy with
    the number of test images it was measured on, seconds, hardware, and the
    file it came from.  Runs not produced yet get a row that says so.
    """
    folder = Path(assets) if assets is not None else assets_dir()
    return pd.DataFrame([_row(name, folder) for name in names]).set_index("run").convert_dtypes()


def _own_row(name: str, model, data, history: pd.DataFrame, size) -> dict:
    device = next(model.parameters()).device
    test = evaluate(model, data.test, device=device)
    return {"run": name, "run size": size.name, "parameters": count_parameters(model), "epochs": len(history),
            "training images": data.counts["train"], "test acc": test["accuracy"], "test images": test["images"],
            "seconds": round(float(history.seconds.sum()), 1), "hardware": describe_device(device),
            "source": ""}


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
    own = pd.DataFrame([_own_row(name, *run, sizes) for name, run in runs.items()]).set_index("run")
    reference = reference_runs(*runs, assets=assets)
    reference["run size"] = reference["run size"].fillna("full") if "run size" in reference else "full"
    table = pd.concat({"this notebook": own, "reference": reference}, names=["", "run"]).swaplevel()
    table = table.loc[list(runs)].convert_dtypes()
    return table.style.format({"test acc": "{:.4f}", "seconds": "{:.1f}"}, na_rep="")
