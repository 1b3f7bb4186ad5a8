"""One dataset ready to train on: split, normalised, and batched (:func:`load_data`).

The validation images are a seeded random choice from the official training
set; the test set is the official one.  Normalisation constants are computed
from the training split only (never from validation or test images), so no
information leaks from held-out data.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

from ..catalog import DATASETS
from ..device import default_device
from ..errors import LabkitError, check_choice
from ..options import Data, Seed, check
from ..sizes import FROM_RUN_SIZE, run_size
from .datasets import load_images
from .loaders import DeviceLoader, classic_loader

__all__ = ["DataBundle", "channel_stats", "load_data"]


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
    augment: bool = False  # whether the training batches are randomly cropped and flipped

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


def load_data(name: str, root=None, *, size=None, train_images=FROM_RUN_SIZE, val_images=FROM_RUN_SIZE,
              test_images=FROM_RUN_SIZE, batch_size=FROM_RUN_SIZE, augment=None, seed=0, device=None,
              loader="device", num_workers=None, download=None) -> DataBundle:
    """Load a dataset, split it, and make train / validation / test loaders.

    Defaults come from the run size (``LABKIT_SIZE``): how many training,
    validation and test images, and the batch size.  Pass a number (or
    ``None`` for "all") to override.  The validation images are a seeded
    random choice from the official training set; the test set is the
    official one (its first ``test_images`` images).  ``augment`` (random crop
    and flip of the training batches): the run size's choice (off at ``cpu``
    size, where runs are too short for it to pay off), else the dataset's
    (CIFAR-10 yes, MNIST no); ``True`` or ``False`` decides.

    ``loader`` is ``"device"`` (whole dataset on the device) or ``"classic"``
    (``torch.utils.data.DataLoader`` with per-image transforms).  Every option is
    defined in :class:`labkit.options.Data` and checked before anything is read.
    """
    options = Data.checked(name=name, root=root, train_images=train_images, val_images=val_images,
                           test_images=test_images, batch_size=batch_size, augment=augment, loader=loader,
                           num_workers=num_workers, download=download)
    check(Seed, seed, "seed=")
    sizes = run_size(size)
    info = DATASETS[name]
    given = options.given()
    train_images = given.get("train_images", sizes.train_images[name])
    test_images = given.get("test_images", sizes.test_images)
    val_images = given.get("val_images", sizes.val_images)
    batch_size = given.get("batch_size", sizes.batch_size)
    if augment is None:  # the run size's choice, else the dataset's
        augment = info.augment if sizes.augment is None else sizes.augment and info.augment
    if train_images is not None and train_images + val_images > info.train_images:
        raise LabkitError(f"{name} has {info.train_images:,} training images: {train_images:,} for training and "
                          f"{val_images:,} for validation do not fit (train_images={train_images!r})")
    device = default_device(device)

    images, labels, classes, train_set = load_images(name, "train", root, download)
    test_x, test_y, _, test_set = load_images(name, "test", root, download)
    order = torch.randperm(len(labels), generator=torch.Generator().manual_seed(seed))
    val_index, train_index = order[:val_images], order[val_images:]
    if train_images is not None:
        train_index = train_index[:train_images]
    test_index = torch.arange(len(test_y) if test_images is None else min(test_images, len(test_y)))

    split_images = {"train": images[train_index], "val": images[val_index], "test": test_x[test_index]}
    split_labels = {"train": labels[train_index], "val": labels[val_index], "test": test_y[test_index]}
    mean, std = channel_stats(split_images["train"])

    def make(split, dataset, index, train):
        if loader == "classic":
            return classic_loader(dataset, index, mean, std, augment=augment and train,
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
        augment=bool(augment),
    )
