"""The datasets on disk: where they live, which files they are, and reading them.

MNIST and CIFAR-10 come through ``torchvision.datasets``, from a normal
torchvision download or, for CIFAR-10, from the offline copy used in CI
(``cifar-10-batches-py-rebuilt/``).  :func:`load_images` gives one split as a
``uint8`` tensor; splitting and normalising is :mod:`labkit.data.bundle`'s job.
"""

from __future__ import annotations

import os
from pathlib import Path

import torch
from torchvision import datasets

from ..catalog import DATASETS
from ..errors import LabkitError, check_choice

__all__ = ["DATA_VARIABLE", "DOWNLOAD_VARIABLE", "FILES", "CIFAR10Rebuilt", "data_root", "load_images"]

DATA_VARIABLE = "LABKIT_DATA"
DOWNLOAD_VARIABLE = "LABKIT_DOWNLOAD"

# the files torchvision expects, relative to the data root
FILES = {
    "mnist": tuple(f"MNIST/raw/{stem}-ubyte.gz" for stem in
                   ("train-images-idx3", "train-labels-idx1", "t10k-images-idx3", "t10k-labels-idx1")),
    "cifar10": tuple(f"cifar-10-batches-py/{f}" for f in
                     ("batches.meta", *(f"data_batch_{i}" for i in range(1, 6)), "test_batch")),
}


class CIFAR10Rebuilt(datasets.CIFAR10):
    """The offline CIFAR-10 copy (``cifar-10-batches-py-rebuilt/``).

    Same pixels and labels as the original in the same order, but its files
    differ byte-wise from the originals (no file-name lists) and its test batch
    holds only the first 1,000 test images, so it has its own checksums.
    """

    base_folder = "cifar-10-batches-py-rebuilt"
    train_list = [
        ["data_batch_1", "d46ec4c9ee3ee9e99e11d85c33cf907d"],
        ["data_batch_2", "b59052152463b1ca2854db63c8851ec4"],
        ["data_batch_3", "d898a7faaf1991199b2be2d48a89acc1"],
        ["data_batch_4", "05a96f02fd0ef7a2205a873680b2f6b1"],
        ["data_batch_5", "a25fbf3484c0105d16d9217846fae6a7"],
    ]
    test_list = [["test_batch", "e38bd7d94396ecdde2daa2df2224b6da"]]


def data_root(root: str | os.PathLike | None = None) -> Path:
    """Where datasets live: ``root`` if given, else ``$LABKIT_DATA``, else a per-user cache folder.

    The default never depends on the current directory, so a notebook finds
    the same data wherever Jupyter was started.
    """
    if root is None:
        root = os.environ.get(DATA_VARIABLE) or None
    if root is None:
        cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
        root = Path(cache) / "labkit" / "data"
    return Path(root).expanduser().resolve()


def _download_allowed(download: bool | None) -> bool:
    if download is not None:
        return download
    return os.environ.get(DOWNLOAD_VARIABLE, "1").strip().lower() not in ("0", "false", "no")


def _missing(name: str, root: Path) -> LabkitError:
    files = "\n  ".join(str(root / f) for f in FILES[name])
    extra = ""
    if name == "cifar10":
        extra = f"\n(or the offline copy in {root / CIFAR10Rebuilt.base_folder}/)"
    return LabkitError(
        f"dataset {name!r} not found under {root} and download is off. Put these files there:\n  "
        f"{files}{extra}\nor point {DATA_VARIABLE} at the folder that holds them, "
        f"or allow downloading (download=True, --download, or {DOWNLOAD_VARIABLE}=1)."
    )


def _open_torchvision(name: str, train: bool, root: Path, download: bool):
    """The torchvision dataset object (no transform: items are PIL images)."""
    try:
        if name == "mnist":
            return datasets.MNIST(root, train=train, download=download)
        if (root / "cifar-10-batches-py").is_dir():  # a normal torchvision download
            return datasets.CIFAR10(root, train=train, download=False)
        if (root / CIFAR10Rebuilt.base_folder).is_dir():  # the offline copy
            return CIFAR10Rebuilt(root, train=train, download=False)
        if download:
            return datasets.CIFAR10(root, train=train, download=True)
    except RuntimeError as error:  # torchvision: "Dataset not found or corrupted"
        if download:
            raise LabkitError(f"could not download {name!r} into {root}: {error}") from None
    raise _missing(name, root)


def load_images(name: str, split: str = "train", root=None, download: bool | None = None):
    """All images of one split as a ``uint8`` tensor (N, C, H, W), with labels and class names."""
    check_choice("dataset", name, DATASETS)
    check_choice("split", split, ("train", "test"))
    dataset = _open_torchvision(name, split == "train", data_root(root), _download_allowed(download))
    images = torch.as_tensor(dataset.data)
    images = images.unsqueeze(1) if images.ndim == 3 else images.permute(0, 3, 1, 2)
    labels = torch.as_tensor(dataset.targets, dtype=torch.long)
    return images.contiguous(), labels, list(dataset.classes), dataset
