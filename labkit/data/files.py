"""The files of each dataset: where they live, what they must be, and whether those on disk are.

A dataset on disk is *complete* (every file there and intact), *missing* (none
of its files there), *incomplete* (some missing) or *corrupt* (a file of the
wrong size, header or MD5).  Each non-complete state has one message naming
the file, what is wrong with it, where it was expected and the command that
fixes it.  The expected checksums of a normal torchvision download are read
from torchvision's own classes when asked, so a patched class is obeyed.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import pickle
from dataclasses import dataclass, field
from pathlib import Path

from torchvision import datasets

from ..catalog import DATASETS
from ..errors import LabkitError, check_choice

__all__ = ["DATA_VARIABLE", "DOWNLOAD_VARIABLE", "CIFAR10Rebuilt", "DatasetStatus", "data_root", "data_status",
           "dataset_status", "download_allowed"]

DATA_VARIABLE = "LABKIT_DATA"
DOWNLOAD_VARIABLE = "LABKIT_DOWNLOAD"
_SWITCH = {"0": False, "1": True, "true": True, "false": False}


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


def download_allowed(download: bool | None = None) -> bool:
    """``download`` if given, else ``$LABKIT_DOWNLOAD`` (0, 1, true or false; unset: allowed)."""
    if download is not None:
        return bool(download)
    value = os.environ.get(DOWNLOAD_VARIABLE, "").strip()
    if not value:
        return True
    if value.lower() not in _SWITCH:
        raise LabkitError(f"{DOWNLOAD_VARIABLE}={value!r} is not allowed; use one of {', '.join(map(repr, _SWITCH))}")
    return _SWITCH[value.lower()]


@dataclass(frozen=True)
class Expected:
    """One file a dataset needs: its name, MD5 and what else is known (size, first bytes)."""

    name: str
    md5: str
    size: int | None = None
    header: bytes = b""
    split: str | None = None  # the split whose images it holds ("train", "test"), None for labels and metadata
    packed: Expected | None = None  # MNIST: the .gz it is unpacked from


_PICKLE = b"\x80\x02"  # every CIFAR-10 batch and batches.meta: a protocol-2 pickle


def _mnist_files() -> tuple:
    """The four unpacked IDX files torchvision reads, each with the .gz of torchvision's own list."""
    gz = dict(datasets.MNIST.resources)
    facts = [("train-images-idx3", "6bbc9ace898e44ae57da46a324031adb", 47_040_016, 9_912_422, 2051, 60_000, "train"),
             ("train-labels-idx1", "a25bea736e30d166cdddb491f175f624", 60_008, 28_881, 2049, 60_000, None),
             ("t10k-images-idx3", "2646ac647ad5339dbf082846283269ea", 7_840_016, 1_648_877, 2051, 10_000, "test"),
             ("t10k-labels-idx1", "27ae3e4e09519cfbb04c329615203637", 10_008, 4_542, 2049, 10_000, None)]
    return tuple(
        Expected(f"{stem}-ubyte", md5, size, magic.to_bytes(4, "big") + count.to_bytes(4, "big"), split,
                 packed=Expected(f"{stem}-ubyte.gz", gz[f"{stem}-ubyte.gz"], gz_size, b"\x1f\x8b"))
        for stem, md5, size, gz_size, magic, count, split in facts)


def _cifar_files(cls, sizes=None) -> tuple:
    sizes = sizes or {}
    return (Expected(cls.meta["filename"], cls.meta["md5"], sizes.get("meta"), _PICKLE),
            *(Expected(name, md5, sizes.get(name), _PICKLE, "train") for name, md5 in cls.train_list),
            *(Expected(name, md5, sizes.get(name), _PICKLE, "test") for name, md5 in cls.test_list))


@dataclass(frozen=True)
class Layout:
    """A folder holding a dataset, the files it must have, and the torchvision class that reads it."""

    folder: str  # relative to the data root
    files: tuple
    reader: type


def layouts(name: str) -> list:
    """Where a dataset may be, in order of preference; a download goes to the first."""
    if name == "mnist":
        return [Layout("MNIST/raw", _mnist_files(), datasets.MNIST)]
    rebuilt = {f"data_batch_{i}": 30_740_222 for i in range(1, 6)} | {"test_batch": 3_074_232, "meta": 158}
    return [Layout(datasets.CIFAR10.base_folder, _cifar_files(datasets.CIFAR10), datasets.CIFAR10),
            Layout(CIFAR10Rebuilt.base_folder, _cifar_files(CIFAR10Rebuilt, rebuilt), CIFAR10Rebuilt)]


_GOOD: set = set()  # (path, size, mtime, md5) of files already checksummed in this process


def _md5(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def file_problem(path: Path, expected: Expected) -> str | None:
    """What is wrong with one file (None: nothing): missing, size, header, then MD5."""
    if not path.is_file():
        return "missing"
    stat = path.stat()
    if expected.size is not None and stat.st_size != expected.size:
        return f"{stat.st_size:,} bytes, expected {expected.size:,}"
    with open(path, "rb") as f:
        head = f.read(len(expected.header))
    if head != expected.header:
        return f"header {head.hex() or 'empty'}, expected {expected.header.hex()}"
    key = (str(path), stat.st_size, stat.st_mtime_ns, expected.md5)
    if key not in _GOOD:
        md5 = _md5(path)
        if md5 != expected.md5:
            return f"{stat.st_size:,} bytes with MD5 {md5}, expected {expected.md5} (checksum mismatch)"
        _GOOD.add(key)
    return None


@dataclass
class DatasetStatus:
    """What is on disk of one dataset, and the one-line message when it is not usable."""

    name: str
    root: Path
    layout: Layout
    state: str  # complete, missing, incomplete, corrupt
    problem: str = ""  # the file and what is wrong with it
    unpack: list = field(default_factory=list)  # MNIST: (.gz, unpacked file) still to unpack

    @property
    def folder(self) -> Path:
        return self.root / self.layout.folder

    @property
    def title(self) -> str:
        return DATASETS[self.name].title

    def message(self, download_off: str = "") -> str:
        """One line: what is wrong, where, and the command that fixes it."""
        command = f"`labkit data download {self.name}`"
        if self.state == "missing":
            off = f" and downloading is off ({download_off})" if download_off else ""
            return (f"{self.title} is not in {self.folder}{off}: run {command} to fetch it, "
                    f"or set {DATA_VARIABLE} to a folder that has it")
        if self.state == "incomplete":
            return f"{self.title} in {self.folder} is incomplete ({self.problem}): run {command} to fetch it again"
        if self.state == "corrupt":
            return f"{self.title} file {self.problem}; delete it and run {command}"
        return f"{self.title} is complete in {self.folder}"

    def images(self) -> dict:
        """Images per split, read from the files (only when complete)."""
        counts = {}
        for expected in self.layout.files:
            if expected.split is None:
                continue
            path = self.folder / expected.name
            if expected.packed is not None:  # MNIST: the count is in the IDX header
                packed = not path.exists()
                with (gzip.open if packed else open)(self.folder / expected.packed.name if packed else path, "rb") as f:
                    count = int.from_bytes(f.read(8)[4:], "big")
            else:
                with open(path, "rb") as f:
                    count = len(pickle.load(f, encoding="latin1")["labels"])
            counts[expected.split] = counts.get(expected.split, 0) + count
        return counts


def _check(name: str, root: Path, layout: Layout) -> DatasetStatus:
    folder = root / layout.folder
    missing, unpack = [], []
    for expected in layout.files:
        path = folder / expected.name
        if not path.exists() and expected.packed is not None and (folder / expected.packed.name).exists():
            path, expected = folder / expected.packed.name, expected.packed
            unpack.append((path, folder / path.stem))
        problem = file_problem(path, expected)
        if problem == "missing":
            missing.append(expected.name)
        elif problem:
            return DatasetStatus(name, root, layout, "corrupt", f"{path} is corrupt: {problem}")
    if len(missing) == len(layout.files):
        return DatasetStatus(name, root, layout, "missing")
    if missing:
        return DatasetStatus(name, root, layout, "incomplete", f"missing {', '.join(missing)}")
    return DatasetStatus(name, root, layout, "complete", unpack=unpack)


def dataset_status(name: str, root=None) -> DatasetStatus:
    """The state of one dataset under ``root``: the first of its folders with any file in it."""
    check_choice("dataset", name, DATASETS)
    root = data_root(root)
    statuses = [_check(name, root, layout) for layout in layouts(name)]
    return next((s for s in statuses if s.state != "missing"), statuses[0])


def data_status(root=None):
    """A table: each dataset, its folder, its state (and what is wrong), its images per split."""
    import pandas as pd

    rows = []
    for name in DATASETS:
        status = dataset_status(name, root)
        images = status.images() if status.state == "complete" else {}
        rows.append({"dataset": name, "folder": str(status.folder), "state": status.state,
                     "train images": images.get("train"), "test images": images.get("test"),
                     "details": "" if status.state == "complete" else status.message()})
    return pd.DataFrame(rows).astype({"train images": "Int64", "test images": "Int64"})
