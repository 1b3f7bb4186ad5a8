"""Reading the datasets: one split as a ``uint8`` tensor (:func:`load_images`).

MNIST and CIFAR-10 come through ``torchvision.datasets``, from a download
(:mod:`.download`) or, for CIFAR-10, from the offline copy used in CI
(``cifar-10-batches-py-rebuilt/``); :mod:`.files` says where each lives and
what it must hold.  Splitting and normalising is :mod:`labkit.data.bundle`'s job.
"""

from __future__ import annotations

import gzip
import os
import shutil
import tempfile
from pathlib import Path

import torch

from ..catalog import DATASETS
from ..errors import LabkitError, check_choice
from .download import fetch
from .files import (
    DATA_VARIABLE,
    DOWNLOAD_VARIABLE,
    CIFAR10Rebuilt,
    DatasetStatus,
    data_root,
    dataset_status,
    download_allowed,
)

__all__ = ["DATA_VARIABLE", "DOWNLOAD_VARIABLE", "CIFAR10Rebuilt", "data_root", "load_images"]


def _unpack(status: DatasetStatus) -> None:
    """MNIST given as .gz files only: unpack them beside (through a temporary file, so never half)."""
    for packed, target in status.unpack:
        with tempfile.NamedTemporaryFile(dir=target.parent, prefix=f".{target.name}.", delete=False) as out:
            with gzip.open(packed) as source:
                shutil.copyfileobj(source, out)
        os.replace(out.name, target)


def _usable(name: str, root: Path, download: bool | None) -> DatasetStatus:
    """The dataset's status once it is complete: downloaded if missing and allowed, else one clear error."""
    status = dataset_status(name, root)
    if status.state == "missing":
        if not download_allowed(download):
            off = "download=False" if download is not None else f"{DOWNLOAD_VARIABLE}={os.environ[DOWNLOAD_VARIABLE]}"
            raise LabkitError(status.message(download_off=off))
        fetch(name, root)
        status = dataset_status(name, root)
    if status.state != "complete":
        raise LabkitError(status.message())
    return status


def _open_torchvision(name: str, train: bool, root: Path, download: bool | None):
    """The torchvision dataset object (no transform: items are PIL images)."""
    status = _usable(name, root, download)
    _unpack(status)
    try:
        return status.layout.reader(root, train=train, download=False)
    except RuntimeError as error:  # torchvision: "Dataset not found or corrupted"
        raise LabkitError(f"{status.title} in {status.folder} could not be read: {error}") from None


def load_images(name: str, split: str = "train", root=None, download: bool | None = None):
    """All images of one split as a ``uint8`` tensor (N, C, H, W), with labels and class names."""
    check_choice("dataset", name, DATASETS)
    check_choice("split", split, ("train", "test"))
    download_allowed(download)  # a bad LABKIT_DOWNLOAD is refused even when nothing needs downloading
    dataset = _open_torchvision(name, split == "train", data_root(root), download)
    images = torch.as_tensor(dataset.data)
    images = images.unsqueeze(1) if images.ndim == 3 else images.permute(0, 3, 1, 2)
    labels = torch.as_tensor(dataset.targets, dtype=torch.long)
    return images.contiguous(), labels, list(dataset.classes), dataset
