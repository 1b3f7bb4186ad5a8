"""A model's layers, output shapes and parameter counts, via torchinfo."""

from __future__ import annotations

import re

from torch import nn

from .catalog import DATASETS
from .errors import check_choice

__all__ = ["model_summary", "ModelSummary"]


class ModelSummary:
    """torchinfo's table, printed with plain unit names.

    On Python 3.11+ torchinfo 1.8 prints "Total mult-adds (Units.MEGABYTES)"
    where it means millions of multiply-adds, "(M)".  The numbers themselves
    (``total_params``, ``total_mult_adds`` ...) are torchinfo's, reached as
    attributes of this object.
    """

    def __init__(self, statistics):
        self.statistics = statistics

    def __getattr__(self, name):
        return getattr(self.statistics, name)

    def __repr__(self) -> str:
        return re.sub(r"\(Units\.(\w+)\)", lambda m: f"({_UNITS.get(m.group(1), m.group(1))})",
                      repr(self.statistics))

    __str__ = __repr__


_UNITS = {"MEGABYTES": "M", "GIGABYTES": "G", "TERABYTES": "T"}


def model_summary(model: nn.Module, dataset: str = "cifar10", batch_size: int = 1, depth: int = 3):
    """torchinfo's summary of ``model`` for one batch of ``dataset`` images (printed as a table)."""
    import torchinfo  # imported only when a summary is asked for

    info = DATASETS[check_choice("dataset", dataset, DATASETS)]
    shape = (batch_size, info.channels, info.image_size, info.image_size)
    return ModelSummary(torchinfo.summary(model, input_size=shape, depth=depth, device="cpu", verbose=0,
                                          col_names=("output_size", "num_params")))
