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
import torch.nn.functional as F
from torch import nn

__all__ = ["BasicBlock", "ResNet", "ZeroPadShortcut", "cifar_resnet", "resnet18"]


class ZeroPadShortcut(nn.Module):
    """Identity shortcut across a change of shape: subsample, pad channels with zeros."""

    def __init__(self, extra_channels: int, stride: int):
        super().__init__()
        self.extra_channels, self.stride = extra_channels, stride

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x[:, :, ::self.stride, ::self.stride]
        return F.pad(x, (0, 0, 0, 0, 0, self.extra_channels))


def _shortcut(in_channels: int, out_channels: int, stride: int, kind: str) -> nn.Module:
    if stride == 1 and in_channels == out_channels:
        return nn.Identity()
    if kind == "zero_pad":
        return ZeroPadShortcut(out_channels - in_channels, stride)
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, 1, stride=stride, bias=False),
        nn.BatchNorm2d(out_channels),
    )


class BasicBlock(nn.Module):
    """Two 3x3 conv-BN layers; with ``residual``, y = relu(F(x) + shortcut(x))."""

    def __init__(self, in_channels: int, out_channels: int, stride: int = 1, residual: bool = True,
                 shortcut: str = "zero_pad"):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_channels)
        self.relu = nn.ReLU(inplace=True)
        self.shortcut = _shortcut(in_channels, out_channels, stride, shortcut) if residual else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        if self.shortcut is not None:
            out = out + self.shortcut(x)  # y = F(x) + x
        return self.relu(out)


class ResNet(nn.Module):
    """A 3x3 stem, stages of basic blocks (each stage after the first halves the image), pool, Linear."""

    def __init__(self, blocks_per_stage, widths, in_channels: int = 3, num_classes: int = 10,
                 residual: bool = True, shortcut: str = "zero_pad"):
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv2d(in_channels, widths[0], 3, padding=1, bias=False),
            nn.BatchNorm2d(widths[0]),
            nn.ReLU(inplace=True),
        )
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

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(torch.flatten(self.pool(self.stages(self.stem(x))), 1))


def cifar_resnet(depth: int = 20, in_channels: int = 3, num_classes: int = 10, residual: bool = True) -> ResNet:
    """He et al.'s CIFAR ResNet of ``depth`` = 6n + 2 weight layers (20, 32, 44, 56, 110, ...)."""
    n = (depth - 2) // 6
    return ResNet((n, n, n), (16, 32, 64), in_channels, num_classes, residual, shortcut="zero_pad")


def resnet18(in_channels: int = 3, num_classes: int = 10, residual: bool = True, width: int = 64) -> ResNet:
    """ResNet-18 for 32x32 images; ``width`` = 64 is the original, smaller is faster."""
    widths = (width, 2 * width, 4 * width, 8 * width)
    return ResNet((2, 2, 2, 2), widths, in_channels, num_classes, residual, shortcut="projection")
