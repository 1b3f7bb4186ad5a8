"""A model's layers, output shapes and parameter counts, via torchinfo."""

from __future__ import annotations

from torch import nn

from .data import DATASETS

__all__ = ["model_summary"]


def model_summary(model: nn.Module, dataset: str = "cifar10", batch_size: int = 1, depth: int = 3):
    """torchinfo's summary of ``model`` for one batch of ``dataset`` images (printed as a table)."""
    import torchinfo  # imported only when a summary is asked for

    info = DATASETS[dataset]
    shape = (batch_size, info.channels, info.image_size, info.image_size)
    return torchinfo.summary(model, input_size=shape, depth=depth, device="cpu", verbose=0,
                             col_names=("output_size", "num_params"))
