"""A small convolutional network, plain or residual.

Each stage is: one conv-BN-ReLU that sets the number of channels, ``depth``
basic blocks (two 3x3 conv-BN layers each), then a 2x2 max-pool that halves
the image.  A global average pool and one Linear layer give the class scores.

In the residual variant each block adds its input to its output,
``y = relu(F(x) + x)``; the skip has no weights, so plain and residual CNNs
of the same widths and depth have the same layers and parameters.
"""

from __future__ import annotations

import torch
from torch import nn

from ..errors import LabkitError
from .blocks import BasicBlock, conv_bn_relu

__all__ = ["CNN", "CNNStage"]


class CNNStage(nn.Module):
    """entry conv-BN-ReLU (sets the channels), ``depth`` blocks, then a 2x2 max-pool."""

    def __init__(self, in_channels: int, width: int, depth: int, residual: bool):
        super().__init__()
        self.entry = conv_bn_relu(in_channels, width)
        self.blocks = nn.Sequential(*(BasicBlock(width, width, residual=residual) for _ in range(depth)))
        self.pool = nn.MaxPool2d(2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pool(self.blocks(self.entry(x)))


class CNN(nn.Module):
    """Stages of convolutions and pooling, then a linear classifier.

    ``depth`` counts basic blocks per stage (0: only the entry convolution), so a
    CNN has ``len(widths) * (1 + 2 * depth) + 1`` weight layers.
    """

    family = "cnn"

    def __init__(self, in_channels: int, num_classes: int, widths=(32, 64, 128), depth: int = 1,
                 residual: bool = False):
        super().__init__()
        if not widths or any(w < 1 for w in widths) or depth < 0:
            raise LabkitError(f"a CNN needs at least one stage of at least one channel and depth >= 0; "
                              f"got widths={tuple(widths)!r}, depth={depth!r}")
        self.in_channels, self.residual = in_channels, residual
        stages = []
        for width in widths:
            stages.append(CNNStage(in_channels, width, depth, residual))
            in_channels = width
        self.stages = nn.Sequential(*stages)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(in_channels, num_classes)

    @property
    def name(self) -> str:
        return "residual cnn" if self.residual else "cnn"

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(torch.flatten(self.pool(self.stages(x)), 1))
