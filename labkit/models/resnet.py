"""Residual networks for small images, and their plain twins.

* ``cifar_resnet(depth)``: the CIFAR-10 networks of He et al. (2016, section 4.2),
  depth = 6n + 2: a 3x3 stem, three stages of n basic blocks with 16, 32 and 64
  channels, global average pooling and one Linear layer.  Shortcuts are
  identities; where a stage halves the image and doubles the channels, the
  shortcut subsamples and pads the new channels with zeros ("option A").  They
  have no weights, so the plain twin has exactly the same parameters.
* ``resnet18(width)``: ResNet-18 adapted to 32x32 images (3x3 stem, no
  max-pool), stages of 2 blocks with width, 2, 4 and 8 times width channels.
  As in torchvision, a shortcut that changes shape is a 1x1 convolution with
  batch norm ("option B"); its plain twin has no shortcuts, so it lacks those
  three small convolutions.  Both have the same 18 weight layers on the main path.
"""

from __future__ import annotations

import torch
from torch import nn

from ..errors import LabkitError
from .blocks import BasicBlock, conv_bn_relu

__all__ = ["ResNet", "cifar_resnet", "resnet18"]


class ResNet(nn.Module):
    """A 3x3 stem, stages of basic blocks (each stage after the first halves the image), pool, Linear.

    Its depth is its number of weight layers on the main path: the stem, two per block, the Linear layer.
    """

    family = "resnet"

    def __init__(self, blocks_per_stage, widths, in_channels: int = 3, num_classes: int = 10,
                 residual: bool = True, shortcut: str = "zero_pad"):
        super().__init__()
        self.in_channels, self.residual = in_channels, residual
        self.depth = 2 + 2 * sum(blocks_per_stage)
        self.stem = conv_bn_relu(in_channels, widths[0])
        stages, channels = [], widths[0]
        for index, (blocks, width) in enumerate(zip(blocks_per_stage, widths)):
            stride = 1 if index == 0 else 2
            stage = []
            for block in range(blocks):
                stage.append(BasicBlock(channels, width, stride if block == 0 else 1, residual, shortcut))
                channels = width
            stages.append(nn.Sequential(*stage))
        self.stages = nn.Sequential(*stages)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(channels, num_classes)
        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")

    @property
    def name(self) -> str:
        return f"resnet{self.depth}" if self.residual else f"plain resnet{self.depth}"

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(torch.flatten(self.pool(self.stages(self.stem(x))), 1))


def cifar_resnet(depth: int = 20, in_channels: int = 3, num_classes: int = 10, residual: bool = True) -> ResNet:
    """He et al.'s CIFAR ResNet of ``depth`` = 6n + 2 weight layers (20, 32, 44, 56, 110, ...)."""
    if depth < 8:
        raise LabkitError(f"depth {depth} is below the minimum for a CIFAR ResNet: 8 (n = 1 block per stage)")
    if (depth - 2) % 6:
        raise LabkitError(f"depth {depth} is not allowed for a CIFAR ResNet: it has 6n + 2 layers "
                          "(8, 14, 20, 26, 32, ..., 56, 110)")
    n = (depth - 2) // 6
    return ResNet((n, n, n), (16, 32, 64), in_channels, num_classes, residual, shortcut="zero_pad")


def resnet18(in_channels: int = 3, num_classes: int = 10, residual: bool = True, width: int = 64) -> ResNet:
    """ResNet-18 for 32x32 images; ``width`` = 64 is the original, smaller is faster."""
    if width < 1:
        raise LabkitError(f"ResNet-18's width must be at least 1, got {width}")
    widths = (width, 2 * width, 4 * width, 8 * width)
    return ResNet((2, 2, 2, 2), widths, in_channels, num_classes, residual, shortcut="projection")
