"""The datasets of the lab as plain facts: image shape, class names, whether to augment.

Models need an input shape and a number of classes; loaders need to know
whether a dataset is flipped and cropped.  Both read them here, so a model
never has to import the code that reads datasets from disk.  This module
imports nothing but the standard library.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DatasetInfo", "DATASETS"]


@dataclass(frozen=True)
class DatasetInfo:
    """What every part of the lab may know about a dataset without reading it."""

    title: str  # how the text names it: "MNIST", "CIFAR-10"
    channels: int
    image_size: int  # images are square
    classes: tuple  # class names, in label order
    augment: bool  # random crop + flip by default?
    train_images: int  # in the official training set
    test_images: int  # in the official test set (the offline CIFAR-10 copy has only the first 1,000)

    @property
    def input_shape(self) -> tuple:
        """(channels, height, width) of one image."""
        return (self.channels, self.image_size, self.image_size)

    @property
    def num_classes(self) -> int:
        return len(self.classes)


DATASETS = {
    "mnist": DatasetInfo(
        title="MNIST", channels=1, image_size=28,
        classes=("0 - zero", "1 - one", "2 - two", "3 - three", "4 - four",
                 "5 - five", "6 - six", "7 - seven", "8 - eight", "9 - nine"),
        augment=False,  # flipping a digit changes its meaning
        train_images=60_000, test_images=10_000,
    ),
    "cifar10": DatasetInfo(
        title="CIFAR-10", channels=3, image_size=32,
        classes=("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"),
        augment=True,
        train_images=50_000, test_images=10_000,
    ),
}
