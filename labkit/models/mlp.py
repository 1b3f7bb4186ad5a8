"""Multi-layer perceptrons, plain or residual.

``depth`` counts Linear layers: one from the pixels to the hidden width, then
``depth - 2`` hidden layers, then one to the class scores.  The residual
variant groups the hidden layers into blocks of two (the last block has one
layer when ``depth - 2`` is odd) and adds the block's input to its output::

    y = relu(F(x) + x)        F(x) = fc2(relu(fc1(x)))

The identity skip has no weights, so the plain and the residual MLP of the same
depth have exactly the same Linear layers and the same number of parameters.
"""

from __future__ import annotations

import torch
from torch import nn

from ..errors import LabkitError, check_choice

__all__ = ["MLP", "MLPBlock", "NORMS"]

NORMS = (None, "none", "batch", "layer")  # "none" and None both mean no normalisation


def _norm(kind: str | None, width: int) -> nn.Module:
    if kind == "batch":
        return nn.BatchNorm1d(width)
    if kind == "layer":
        return nn.LayerNorm(width)
    return nn.Identity()


class MLPBlock(nn.Module):
    """One or two hidden Linear layers; with ``residual``, y = relu(F(x) + x), else y = relu(F(x))."""

    def __init__(self, width: int, layers: int = 2, residual: bool = False, norm: str | None = None):
        super().__init__()
        self.fc1 = nn.Linear(width, width)
        self.norm1 = _norm(norm, width)
        self.fc2 = nn.Linear(width, width) if layers == 2 else None
        self.norm2 = _norm(norm, width) if layers == 2 else None
        self.relu = nn.ReLU()
        self.shortcut = nn.Identity() if residual else None  # None: the plain twin

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.norm1(self.fc1(x))
        if self.fc2 is not None:
            out = self.norm2(self.fc2(self.relu(out)))
        if self.shortcut is not None:
            out = out + self.shortcut(x)  # y = F(x) + x
        return self.relu(out)


class MLP(nn.Module):
    """An image classifier that sees the image as one long vector of pixels."""

    family = "mlp"

    def __init__(self, in_features: int, num_classes: int, depth: int = 3, width: int = 256,
                 residual: bool = False, norm: str | None = None):
        super().__init__()
        if depth < 2:
            raise LabkitError(f"depth {depth} is below the minimum for an MLP: 2 (one Linear layer in, one out)")
        if width < 1:
            raise LabkitError(f"an MLP's width must be at least 1, got {width}")
        check_choice("norm", norm, NORMS)
        self.in_features, self.depth, self.residual = in_features, depth, residual
        self.flatten = nn.Flatten()
        self.input = nn.Sequential(nn.Linear(in_features, width), _norm(norm, width), nn.ReLU())
        hidden = depth - 2
        self.blocks = nn.Sequential(*(
            MLPBlock(width, layers=min(2, hidden - start), residual=residual, norm=norm)
            for start in range(0, hidden, 2)
        ))
        self.output = nn.Linear(width, num_classes)

    @property
    def name(self) -> str:
        return "residual mlp" if self.residual else "mlp"

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.output(self.blocks(self.input(self.flatten(x))))
