"""A small convolutional network, plain or residual.

Each stage is: one conv-BN-ReLU that sets the number of channels, ``depth``
blocks of two 3x3 conv-BN layers, then a 2x2 max-pool that halves the image.
A global average pool and one Linear layer give the class scores.

In the residual variant each block adds its input to its output,
``y = relu(F(x) + x)``; the skip has no weights, so plain and residual CNNs
of the same widths and depth have the same layers and parameters.
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["CNN", "CNNStage", "ConvBlock", "conv_bn_relu"]


def conv_bn_relu(in_channels: int, out_channels: int) -> nn.Sequential:
    """3x3 convolution (padding 1 keeps the size), batch norm, ReLU."""
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, 3, padding=1, bias=False),
        nn.BatchNorm2d(out_channels),
        nn.ReLU(inplace=True),
    )


class ConvBlock(nn.Module):
    """Two 3x3 conv-BN layers with the same number of channels, and an identity skip when ``residual``."""

    def __init__(self, channels: int, residual: bool = False):
        super().__init__()
        self.residual = residual
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(channels)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(channels)
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        if self.residual:
            out = out + x  # y = F(x) + x
        return self.relu(out)


class CNNStage(nn.Module):
    """entry conv-BN-ReLU (sets the channels), ``depth`` blocks, then a 2x2 max-pool."""

    def __init__(self, in_channels: int, width: int, depth: int, residual: bool):
        super().__init__()
        self.entry = conv_bn_relu(in_channels, width)
        self.blocks = nn.Sequential(*(ConvBlock(width, residual) for _ in range(depth)))
        self.pool = nn.MaxPool2d(2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pool(self.blocks(self.entry(x)))


class CNN(nn.Module):
    """Stages of convolutions and pooling, then a linear classifier."""

    def __init__(self, in_channels: int, num_classes: int, widths=(32, 64, 128), depth: int = 1,
                 residual: bool = False):
        super().__init__()
        stages = []
        for width in widths:
            stages.append(CNNStage(in_channels, width, depth, residual))
            in_channels = width
        self.stages = nn.Sequential(*stages)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(in_channels, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(torch.flatten(self.pool(self.stages(x)), 1))
