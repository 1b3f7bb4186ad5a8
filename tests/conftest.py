"""Fixtures of the unit tests: the offline datasets, loaded once at smoke size."""

import os
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")  # figures are drawn, never shown


@pytest.fixture(scope="session")
def data_dir() -> Path:
    root = Path(os.environ.get("LABKIT_DATA", ""))
    if not (root / "MNIST" / "raw").is_dir():
        pytest.skip(f"the offline datasets are not in LABKIT_DATA={root!s}")
    return root


@pytest.fixture(scope="session")
def mnist(data_dir):
    import labkit

    return labkit.load_data("mnist", size="smoke", device="cpu")


@pytest.fixture(scope="session")
def cifar(data_dir):
    import labkit

    return labkit.load_data("cifar10", size="smoke", device="cpu")


@pytest.fixture(autouse=True)
def _close_figures():
    """Close the figures a test drew, so hundreds of them do not pile up."""
    yield
    import matplotlib.pyplot as plt

    plt.close("all")
