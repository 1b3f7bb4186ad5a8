"""Test settings: smoke size, the offline datasets, never a download."""

import os
from pathlib import Path

import pytest

os.environ.setdefault("LABKIT_SIZE", "smoke")
os.environ["LABKIT_DOWNLOAD"] = "0"  # tests never download
_SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
if "LABKIT_DATA" not in os.environ and _SHARED.is_dir():
    os.environ["LABKIT_DATA"] = str(_SHARED)


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
