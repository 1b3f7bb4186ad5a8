"""The basic block of the convolutional networks, plain or residual -- one class for the CNN and the ResNets.

Two 3x3 conv-BN layers compute F(x).  The residual block adds a shortcut::

    y = relu(F(x) + shortcut(x))        (plain twin: y = relu(F(x)))

The shortcut is the identity when the shape stays; when a block halves the
image and widens the channels it is either "zero_pad" (subsample, pad the new
channels with zeros: no weights, He et al.'s option A) or "projection" (a 1x1
convolution with batch norm, option B, as in torchvision's ResNet-18).  A plain
block has no shortcut at all: ``block.shortcut is None`` is how the code says "plain".
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..errors import check_choice

__all__ = ["BasicBlock", "ZeroPadShortcut", "conv_bn_relu", "SHORTCUTS"]

SHORTCUTS = ("zero_pad", "projection")


def conv_bn_relu(in_channels: int, out_channels: int) -> nn.Sequential:
    """3x3 convolution (padding 1 keeps the size), batch norm, ReLU."""
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, 3, padding=1, bias=False),
        nn.BatchNorm2d(out_channels),
        nn.ReLU(inplace=True),
    )


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
    """Two 3x3 conv-BN layers; with ``residual``, y = relu(F(x) + shortcut(x)), else y = relu(F(x))."""

    def __init__(self, in_channels: int, out_channels: int | None = None, stride: int = 1, residual: bool = True,
                 shortcut: str = "zero_pad"):
        super().__init__()
        out_channels = in_channels if out_channels is None else out_channels
        check_choice("shortcut", shortcut, SHORTCUTS)
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_channels)
        self.relu = nn.ReLU(inplace=True)
        self.shortcut = _shortcut(in_channels, out_channels, stride, shortcut) if residual else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))  # F(x)
        if self.shortcut is not None:
            out = out + self.shortcut(x)  # y = F(x) + x
        return self.relu(out)
