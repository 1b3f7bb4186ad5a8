"""What ``pytest`` needs to know about the datasets (used by the repository's ``conftest.py``).

Which datasets a notebook or a unit test needs; fetching the missing ones
once, at the start of a session, when downloading is allowed; and otherwise
one clear reason for every notebook and test skipped for want of data, with a
closing summary that says how to get the data.
"""

from __future__ import annotations

import contextlib
import json
import re
from pathlib import Path

import pytest

from .catalog import DATASETS
from .errors import LabkitError

__all__ = ["FIXTURE_DATASETS", "datasets_needed", "notebook_datasets", "prepare_data", "summary_lines"]

# fixtures of tests/conftest.py -> the datasets a test using them needs
FIXTURE_DATASETS = {"mnist_dir": ("mnist",), "cifar_dir": ("cifar10",)}
_KEY = pytest.StashKey[tuple]()
_NAMED = re.compile("[\"'](" + "|".join(DATASETS) + ")[\"']")  # a quoted dataset name: 'mnist', "cifar10"


def notebook_datasets(path) -> set:
    """The datasets a notebook's code cells name (``load_data("cifar10")``, ``load_images('mnist')`` ...)."""
    cells = json.loads(Path(path).read_text(encoding="utf-8"))["cells"]
    code = "\n".join("".join(cell["source"]) for cell in cells if cell["cell_type"] == "code")
    return set(_NAMED.findall(code))


def datasets_needed(item) -> set:
    """The datasets one collected pytest item needs: a notebook's named ones, a test's by its fixtures."""
    path = getattr(item, "path", None)
    if path is not None and Path(path).suffix == ".ipynb":
        return notebook_datasets(path)
    names = getattr(item, "fixturenames", ())
    return {name for fixture, needs in FIXTURE_DATASETS.items() if fixture in names for name in needs}


def _reasons(wanted: set, fetch_quietly) -> dict:
    """dataset -> why it cannot be used, after fetching the missing ones if downloading is allowed."""
    from .data.download import download_data
    from .data.files import data_root, dataset_status, download_allowed

    root, allowed, reasons = data_root(), download_allowed(), {}
    for name in sorted(wanted):
        status = dataset_status(name, root)
        if status.state == "missing" and allowed:
            try:
                with fetch_quietly():
                    download_data(name, root)
                continue
            except LabkitError as error:
                reasons[name] = str(error)
        elif status.state == "missing":
            reasons[name] = status.message(download_off="LABKIT_DOWNLOAD=0")
        elif status.state != "complete":
            reasons[name] = status.message()
    return reasons


def prepare_data(config, items) -> None:
    """Fetch what the collected items need (once), else mark each item that needs it as skipped."""
    needs = {item: datasets_needed(item) for item in items}
    capture = config.pluginmanager.getplugin("capturemanager")
    shown = capture.global_and_fixture_disabled if capture else contextlib.nullcontext
    try:
        reasons = _reasons(set().union(*needs.values()), shown)
    except LabkitError as error:  # e.g. LABKIT_DOWNLOAD=yes
        raise pytest.UsageError(str(error)) from None
    skipped = {"notebooks": 0, "tests": 0}
    for item, wanted in needs.items():
        missing = sorted(wanted & reasons.keys())
        if missing:
            item.add_marker(pytest.mark.skip(reason=reasons[missing[0]]))
            skipped["notebooks" if Path(getattr(item, "path", "")).suffix == ".ipynb" else "tests"] += 1
    config.stash[_KEY] = (reasons, skipped)


def summary_lines(config) -> list:
    """The closing lines of a session that skipped items for want of data: what, why, how to get it."""
    reasons, skipped = config.stash.get(_KEY, ({}, {}))
    if not reasons:
        return []
    titles = " and ".join(DATASETS[name].title for name in reasons)
    which = "all" if len(reasons) == len(DATASETS) else next(iter(reasons))
    counts = " and ".join(f"{n} {kind[:-1] if n == 1 else kind}" for kind, n in skipped.items() if n)
    lines = [f"{counts or 'nothing'} skipped: {titles} {'are' if len(reasons) > 1 else 'is'} not usable here"]
    lines += [f"  {reason}" for reason in reasons.values()]
    lines.append(f"Get the data with `labkit data download {which}` (`labkit data` shows what is there), "
                 f"then run pytest again.")
    return lines
