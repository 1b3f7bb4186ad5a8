"""The run-size switch shared by every notebook, runner and the command line.

``LABKIT_SIZE`` chooses how much work an experiment does:

* ``smoke`` -- a few seconds per experiment; CI runs every notebook at this size.
  Numbers are *not* meaningful, only that the code runs.
* ``cpu``   -- minutes on a laptop; results are meaningful (MNIST well above 97 %).
* ``gpu``   -- what one notebook should do on one GPU: each within about 5 minutes on
  an H200, results close to the references (fewer seeds and epochs in the studies).
* ``full``  -- the reference results in ``assets/``: the size of the reference runners
  and the command line; hours of GPU time for the studies.

It is read in one place, :func:`run_size`.  The default is ``gpu`` when a
CUDA GPU is present, else ``cpu`` (an Apple GPU trains at ``cpu`` size: its
speed is that of a laptop, not of a data-centre GPU).
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass

from .device import has_cuda
from .errors import LabkitError

__all__ = ["RunSize", "StudySize", "SIZES", "run_size", "SIZE_VARIABLE", "FROM_RUN_SIZE"]

SIZE_VARIABLE = "LABKIT_SIZE"


class _FromRunSize:
    """The default of an argument whose value comes from the run size.

    ``None`` cannot say it, because for a number of images ``None`` means "all".
    """

    def __repr__(self) -> str:
        return "FROM_RUN_SIZE"


FROM_RUN_SIZE = _FromRunSize()


@dataclass(frozen=True)
class StudySize:
    """What each run of one depth study trains at a run size (``studies["mlp_batchnorm"]``: MLPs with batch norm)."""

    depths: tuple  # MLP: Linear layers; ResNet: 6n + 2 weight layers
    seeds: int  # seeds 0, 1, ..., seeds - 1
    epochs: int
    batch_size: int
    lr: float  # SGD's peak rate (one-cycle schedule)
    train_images: int | None  # None: all
    width: int | None = None  # MLP hidden units (the ResNets have the paper's widths)


@dataclass(frozen=True)
class RunSize:
    """How much work one experiment does at a given size.

    ``None`` for a number of images means "all of them".
    """

    name: str
    train_images: dict  # dataset name -> number of training images (None: all)
    val_images: int  # held out from the training set, seeded split
    test_images: int | None  # None: the whole test set
    epochs: dict  # model family ("mlp", "cnn", "resnet") -> epochs
    batch_size: int
    resnet18_width: int  # channels of ResNet-18's first stage (64 in the paper)
    studies: dict  # study family ("mlp" on MNIST, "resnet" on CIFAR-10) -> StudySize
    # Random crop + flip of the training batches: None = the dataset's default (CIFAR-10 yes, MNIST no);
    # False where runs are too short for a regulariser to pay off.
    augment: bool | None = None

    def epochs_for(self, family: str) -> int:
        """Epochs for a model family: "mlp", "cnn" or "resnet"."""
        return self.epochs[family]

    def as_dict(self) -> dict:
        """Plain data, for results files and tables."""
        return asdict(self)

    def overview(self):
        """What a single run does at this size, as a small table for a notebook's first cells.

        The depth studies have their own settings (``studies``).
        """
        import pandas as pd

        rows = {"run size": self.name,
                "training images": _readable(self.train_images),
                "validation images (held out of training)": _readable(self.val_images),
                "test images": _readable(self.test_images) + " (CIFAR-10 offline copy: 1,000)"
                if self.test_images is None else _readable(self.test_images),
                "epochs": _readable(self.epochs), "batch size": self.batch_size,
                "augmentation (CIFAR-10 training batches)": "random crop + flip" if self.augment is not False
                else "none (runs too short for it to pay off)"}
        return pd.DataFrame({f"LABKIT_SIZE={self.name}": rows})  # a table in a notebook, not Series text


def _readable(value) -> str:
    """1000 -> '1,000'; None -> 'all'; a dict -> 'mnist: all, cifar10: 12,000'."""
    if isinstance(value, dict):
        return ", ".join(f"{key}: {_readable(number)}" for key, number in value.items())
    return "all" if value is None else f"{value:,}"


SIZES = {
    "smoke": RunSize(
        name="smoke",
        train_images={"mnist": 10_000, "cifar10": 5_000},
        val_images=1_000,
        test_images=1_000,
        epochs={"mlp": 4, "cnn": 1, "resnet": 1},
        batch_size=128,
        resnet18_width=8,
        studies={"mlp": StudySize(depths=(3, 10), seeds=1, epochs=2, batch_size=128, lr=0.1, train_images=2_000,
                                  width=32),
                 "mlp_batchnorm": StudySize(depths=(3, 10), seeds=1, epochs=2, batch_size=128, lr=0.1,
                                            train_images=2_000, width=32),
                 "resnet": StudySize(depths=(8, 14), seeds=1, epochs=1, batch_size=128, lr=0.1, train_images=1_000)},
    ),
    "cpu": RunSize(
        name="cpu",
        # Each notebook within about 4 minutes on a 2-core laptop: 15,000 of MNIST's 55,000 training images
        # (the MLP at 97.2 %, 96.5 % with 12,000) and 6,000 of CIFAR-10's 45,000; the CNN and ResNet-18 get
        # the same number of epochs (an equal budget).  No augmentation: two epochs are too few for it to pay
        # off, it only slows learning (seed 0, 1,000 test images: MLP 0.429 -> 0.458, CNN 0.459 -> 0.512,
        # ResNet-18 0.421 -> 0.445; with it the CNN led the MLP by 3 points, within the noise).
        train_images={"mnist": 15_000, "cifar10": 6_000},
        val_images=5_000,
        test_images=None,
        epochs={"mlp": 10, "cnn": 2, "resnet": 2},
        batch_size=128,
        resnet18_width=16,
        # Notebook 05 trains its three studies in 219 s on 2 AMD EPYC cores (81 s on 2 Intel Xeon cores), within
        # 240 s (452 s with MLP depths up to 100 and ResNet-8/20 on 4,000 images for 3 epochs; 282 s with the plans
        # below but MLPs for 4 epochs, the batch-norm study on 8,000 images and ResNet-8/20).
        studies={"mlp": StudySize(depths=(5, 10, 20, 50), seeds=1, epochs=3, batch_size=128, lr=0.1,
                                  train_images=10_000, width=128),
                 # with batch norm the plain MLPs train, only worse with depth: three depths show it (notebook 05)
                 "mlp_batchnorm": StudySize(depths=(5, 20, 50), seeds=1, epochs=4, batch_size=128, lr=0.1,
                                            train_images=5_000, width=128),
                 "resnet": StudySize(depths=(8, 14), seeds=1, epochs=2, batch_size=128, lr=0.1, train_images=2_000)},
        augment=False,
    ),
    # One GPU, one notebook within about 5 minutes: what an instructor re-runs before class (on an H200;
    # a T4 has about 1/12 of its FLOP rate, so there up to about an hour per notebook, as the README says).
    "gpu": RunSize(
        name="gpu",
        train_images={"mnist": None, "cifar10": None},
        val_images=5_000,
        test_images=None,
        epochs={"mlp": 20, "cnn": 15, "resnet": 15},
        batch_size=128,
        resnet18_width=64,
        studies={"mlp": StudySize(depths=(5, 10, 20, 30, 50, 100), seeds=1, epochs=8, batch_size=128, lr=0.1,
                                  train_images=None, width=256),
                 "mlp_batchnorm": StudySize(depths=(5, 10, 20, 30, 50, 100), seeds=1, epochs=8, batch_size=128,
                                            lr=0.1, train_images=None, width=256),
                 "resnet": StudySize(depths=(20, 56), seeds=1, epochs=15, batch_size=512, lr=0.2,
                                     train_images=None)},
    ),
    "full": RunSize(
        name="full",
        train_images={"mnist": None, "cifar10": None},
        val_images=5_000,
        test_images=None,
        epochs={"mlp": 20, "cnn": 30, "resnet": 50},
        batch_size=128,
        resnet18_width=64,
        studies={"mlp": StudySize(depths=(5, 10, 20, 30, 50, 100), seeds=3, epochs=20, batch_size=128, lr=0.1,
                                  train_images=None, width=256),
                 "mlp_batchnorm": StudySize(depths=(5, 10, 20, 30, 50, 100), seeds=3, epochs=20, batch_size=128,
                                            lr=0.1, train_images=None, width=256),
                 # 4x the batch and 2x the peak rate: 4x fewer steps keep 16 ResNet runs within a GPU session
                 "resnet": StudySize(depths=(20, 32, 44, 56), seeds=2, epochs=30, batch_size=512, lr=0.2,
                                     train_images=None)},
    ),
}


def run_size(name: str | None = None) -> RunSize:
    """The run size: ``name`` if given, else ``$LABKIT_SIZE``, else the machine's default."""
    if name is None:
        name = os.environ.get(SIZE_VARIABLE, "").strip().lower() or None
    if name is None:
        name = "gpu" if has_cuda() else "cpu"
    if name not in SIZES:
        raise LabkitError(
            f"unknown run size {name!r}; choose one of {', '.join(map(repr, SIZES))} (set with {SIZE_VARIABLE})"
        )
    return SIZES[name]
