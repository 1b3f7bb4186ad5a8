"""The datasets: where they live, how they are split, normalised and batched.

Two ways of feeding a network are offered, because comparing them is part of
the lab:

* :class:`DeviceLoader` (the default) keeps the whole dataset as one ``uint8``
  tensor on the training device and builds each batch there: index, scale to
  [0, 1], augment, normalise.  No per-image Python work, so a GPU never waits.
* the *classic* ``torch.utils.data.DataLoader``: torchvision transforms applied
  image by image in worker processes, as most tutorials do it.

Normalisation constants are computed from the training split only (never from
validation or test images), so no information leaks from held-out data.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import torch
import torch.nn.functional as F
from torchvision import datasets, transforms

from .device import default_device, loader_workers, pin_memory
from .errors import LabkitError, check_choice, check_non_negative, check_positive
from .sizes import run_size

__all__ = [
    "DATASETS",
    "DataBundle",
    "DeviceLoader",
    "CIFAR10Rebuilt",
    "channel_stats",
    "data_root",
    "load_data",
    "load_images",
    "random_crop_flip",
]

DATA_VARIABLE = "LABKIT_DATA"
DOWNLOAD_VARIABLE = "LABKIT_DOWNLOAD"


@dataclass(frozen=True)
class DatasetInfo:
    channels: int
    image_size: int
    num_classes: int
    augment: bool  # does this dataset get random crop + flip by default?
    files: tuple  # the files torchvision expects, relative to the data root


DATASETS = {
    "mnist": DatasetInfo(
        channels=1,
        image_size=28,
        num_classes=10,
        augment=False,  # flipping a digit changes its meaning
        files=tuple(
            f"MNIST/raw/{stem}-ubyte.gz"
            for stem in ("train-images-idx3", "train-labels-idx1", "t10k-images-idx3", "t10k-labels-idx1")
        ),
    ),
    "cifar10": DatasetInfo(
        channels=3,
        image_size=32,
        num_classes=10,
        augment=True,
        files=tuple(f"cifar-10-batches-py/{f}" for f in
                    ("batches.meta", *(f"data_batch_{i}" for i in range(1, 6)), "test_batch")),
    ),
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
    files = "\n  ".join(str(root / f) for f in DATASETS[name].files)
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


def channel_stats(images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-channel mean and standard deviation of ``uint8`` images, on the [0, 1] scale."""
    total = torch.zeros(images.shape[1], dtype=torch.float64)
    squares = torch.zeros_like(total)
    for chunk in images.split(4096):
        x = chunk.double().div_(255)
        total += x.sum(dim=(0, 2, 3))
        squares += x.square().sum(dim=(0, 2, 3))
    count = images.shape[0] * images.shape[2] * images.shape[3]
    mean = total / count
    std = (squares / count - mean.square()).sqrt()
    return mean.float(), std.float()


def random_crop_flip(x: torch.Tensor, padding: int, generator: torch.Generator) -> torch.Tensor:
    """Augment a batch on its own device: pad with zeros, crop back at a random offset, flip half.

    The same as torchvision's ``RandomCrop(size, padding)`` + ``RandomHorizontalFlip()``,
    but for the whole batch at once.
    """
    n, _, height, width = x.shape
    padded = F.pad(x, (padding,) * 4)
    top = torch.randint(0, 2 * padding + 1, (n, 1), generator=generator).to(x.device)
    left = torch.randint(0, 2 * padding + 1, (n, 1), generator=generator).to(x.device)
    rows = top + torch.arange(height, device=x.device)  # (n, height)
    cols = left + torch.arange(width, device=x.device)  # (n, width)
    batch = torch.arange(n, device=x.device)[:, None, None]
    crops = padded[batch, :, rows[:, :, None], cols[:, None, :]]  # (n, height, width, C)
    crops = crops.permute(0, 3, 1, 2)
    flip = (torch.rand(n, generator=generator) < 0.5).to(x.device)[:, None, None, None]
    return torch.where(flip, crops.flip(3), crops)


class DeviceLoader:
    """Batches made on the training device from one ``uint8`` tensor.

    Iterating gives ``(images, labels)`` with images as normalised floats.
    The order (and the augmentation) of epoch ``e`` depends only on
    ``(seed, e)``, so a resumed run sees the same batches as an unbroken one.
    """

    def __init__(self, images, labels, mean, std, *, batch_size=128, shuffle=False,
                 augment=False, padding=4, seed=0, device=None):
        self.device = default_device(device)
        self.images = images.to(self.device)
        self.labels = labels.to(self.device)
        self.mean = mean.to(self.device).view(1, -1, 1, 1)
        self.std = std.to(self.device).view(1, -1, 1, 1)
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.augment = augment
        self.padding = padding
        self.seed = seed
        self.epoch = 0

    def __len__(self) -> int:
        return -(-len(self.labels) // self.batch_size)

    @property
    def num_images(self) -> int:
        return len(self.labels)

    def set_epoch(self, epoch: int) -> None:
        """Choose the epoch whose order and augmentation the next pass uses."""
        self.epoch = epoch

    def __iter__(self):
        generator = torch.Generator().manual_seed(self.seed * 100_003 + self.epoch)
        count = len(self.labels)
        order = torch.randperm(count, generator=generator) if self.shuffle else torch.arange(count)
        order = order.to(self.device)
        for start in range(0, count, self.batch_size):
            index = order[start:start + self.batch_size]
            x = self.images[index].float().div_(255)
            if self.augment:
                x = random_crop_flip(x, self.padding, generator)
            yield (x - self.mean) / self.std, self.labels[index]
        self.epoch += 1


class _Transformed(torch.utils.data.Dataset):
    """A view of some images of a torchvision dataset, with its own transform.

    Train and validation views of one dataset each get their own transform, so
    setting the validation transform can never switch off the training
    augmentation (the classic ``random_split`` pitfall, where both subsets
    share one underlying dataset and one ``.transform``).
    """

    def __init__(self, dataset, indices, transform):
        self.dataset, self.indices, self.transform = dataset, indices.tolist(), transform

    def __len__(self):
        return len(self.indices)

    def __getitem__(self, i):
        image, label = self.dataset[self.indices[i]]
        return self.transform(image), label


def _classic_loader(dataset, indices, mean, std, *, augment, image_size, batch_size, shuffle,
                    seed, device, num_workers):
    steps = [transforms.RandomCrop(image_size, padding=4), transforms.RandomHorizontalFlip()] if augment else []
    steps += [transforms.ToTensor(), transforms.Normalize(mean.tolist(), std.tolist())]
    workers = loader_workers(num_workers)
    return torch.utils.data.DataLoader(
        _Transformed(dataset, indices, transforms.Compose(steps)),
        batch_size=batch_size,
        shuffle=shuffle,
        num_workers=workers,
        pin_memory=pin_memory(device),
        persistent_workers=workers > 0,
        generator=torch.Generator().manual_seed(seed),
    )


@dataclass
class DataBundle:
    """Everything a notebook needs about one dataset: loaders, class names, sizes, constants."""

    name: str
    classes: list
    train: object
    val: object
    test: object
    mean: torch.Tensor
    std: torch.Tensor
    device: torch.device
    images: dict = field(repr=False)  # split -> uint8 images (N, C, H, W), on the CPU
    labels: dict = field(repr=False)  # split -> labels

    @property
    def input_shape(self) -> tuple:
        return tuple(self.images["train"].shape[1:])

    @property
    def num_classes(self) -> int:
        return len(self.classes)

    @property
    def counts(self) -> dict:
        """Number of images in each split, e.g. {'train': 45000, 'val': 5000, 'test': 10000}."""
        return {split: len(labels) for split, labels in self.labels.items()}

    def normalise(self, images: torch.Tensor) -> torch.Tensor:
        """``uint8`` images -> the normalised floats the networks see."""
        x = images.float().div(255)
        return (x - self.mean.view(1, -1, 1, 1)) / self.std.view(1, -1, 1, 1)

    def plain_loader(self, split: str) -> DeviceLoader:
        """All images of a split in order, never augmented: to measure accuracy on the training set."""
        check_choice("split", split, self.images)
        return DeviceLoader(self.images[split], self.labels[split], self.mean, self.std,
                            batch_size=512, device=self.device)

    def sample(self, split: str = "val", count: int = 256):
        """The first ``count`` images of a split, normalised, never augmented, on the device.

        Always the same images: use it as a fixed probe batch.
        """
        check_choice("split", split, self.images)
        images = self.normalise(self.images[split][:count])
        return images.to(self.device), self.labels[split][:count].to(self.device)


def load_data(name: str, root=None, *, size=None, train_images=..., val_images=None, test_images=...,
              batch_size=None, augment=None, seed=0, device=None, loader="device",
              num_workers=None, download=None) -> DataBundle:
    """Load a dataset, split it, and make train / validation / test loaders.

    Defaults come from the run size (``LABKIT_SIZE``): how many training,
    validation and test images, and the batch size.  Pass a number (or
    ``None`` for "all") to override.  The validation images are a seeded
    random choice from the official training set; the test set is the
    official one (its first ``test_images`` images).

    ``loader`` is ``"device"`` (whole dataset on the device) or ``"classic"``
    (``torch.utils.data.DataLoader`` with per-image transforms).
    """
    check_choice("dataset", name, DATASETS)
    check_choice("loader", loader, ("device", "classic"))
    sizes = run_size(size)
    info = DATASETS[name]
    train_images = sizes.train_images[name] if train_images is ... else train_images
    test_images = sizes.test_images if test_images is ... else test_images
    val_images = sizes.val_images if val_images is None else val_images
    batch_size = sizes.batch_size if batch_size is None else batch_size
    augment = info.augment if augment is None else augment
    check_positive("batch size", batch_size)
    check_non_negative("validation images", val_images)
    device = default_device(device)

    images, labels, classes, train_set = load_images(name, "train", root, download)
    test_x, test_y, _, test_set = load_images(name, "test", root, download)
    order = torch.randperm(len(labels), generator=torch.Generator().manual_seed(seed))
    val_index, train_index = order[:val_images], order[val_images:]
    if train_images is not None:
        train_index = train_index[:check_positive("training images", train_images)]
    test_index = torch.arange(len(test_y) if test_images is None else min(test_images, len(test_y)))

    split_images = {"train": images[train_index], "val": images[val_index], "test": test_x[test_index]}
    split_labels = {"train": labels[train_index], "val": labels[val_index], "test": test_y[test_index]}
    mean, std = channel_stats(split_images["train"])

    def make(split, dataset, index, train):
        if loader == "classic":
            return _classic_loader(dataset, index, mean, std, augment=augment and train,
                                   image_size=info.image_size, batch_size=batch_size, shuffle=train,
                                   seed=seed, device=device, num_workers=num_workers)
        return DeviceLoader(split_images[split], split_labels[split], mean, std, batch_size=batch_size,
                            shuffle=train, augment=augment and train, seed=seed, device=device)

    return DataBundle(
        name=name,
        classes=classes,
        train=make("train", train_set, train_index, True),
        val=make("val", train_set, val_index, False),
        test=make("test", test_set, test_index, False),
        mean=mean,
        std=std,
        device=device,
        images=split_images,
        labels=split_labels,
    )
