"""Notebook 03's exercises: a residual MLP block, and the zero-padding shortcut across a change of shape."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..models.blocks import ZeroPadShortcut
from .core import Mistake, close, exercise, expect_tensor, off_by

__all__ = ["check_residual_block", "check_zero_pad_shortcut"]


@exercise("03.residual_block", "a residual MLP block: y = relu(x + fc2(relu(fc1(x))))")
def check_residual_block(block_class) -> str:
    """``block_class(width)`` must hold two Linear(width, width) layers and compute relu(x + F(x))."""
    torch.manual_seed(3)
    width = 6
    block = block_class(width)
    if not isinstance(block, nn.Module):
        raise Mistake(f"ResidualBlock({width}) should be an nn.Module (class ResidualBlock(nn.Module)), "
                      f"got {type(block).__name__}")
    linears = [module for module in block.modules() if isinstance(module, nn.Linear)]
    if len(linears) == 3:
        raise Mistake("three Linear layers: the identity shortcut has no weights, so the block has two, "
                      "exactly like its plain twin")
    if len(linears) != 2 or any((m.in_features, m.out_features) != (width, width) for m in linears):
        shapes = [(m.in_features, m.out_features) for m in linears]
        raise Mistake(f"expected two nn.Linear({width}, {width}) layers, found {shapes}")
    parameters = sum(p.numel() for p in block.parameters())
    if parameters != 2 * (width * width + width):
        raise Mistake(f"{parameters} parameters; the plain twin's two Linear layers have "
                      f"{2 * (width * width + width)}: the shortcut must add none")
    fc1, fc2 = linears
    x = torch.randn(5, width)
    f = fc2(torch.relu(fc1(x)))
    given = x.clone()  # the block gets a copy, so a forward that writes into its input is seen, not misjudged
    answer = block(given)
    if not torch.equal(given, x):
        raise Mistake("forward changed its input in place (x += F(x), x.add_(...) or an in-place ReLU on x): the "
                      "caller's tensor is overwritten, and autograd needs x as it was (fc1 saved it for its "
                      "gradient), so backward() fails with 'modified by an inplace operation'; write "
                      "out = x + F(x), a new tensor")
    answer = expect_tensor(answer, f"ResidualBlock({width})(x)", x.shape)
    wrong = [(torch.relu(f), "the shortcut is missing: add the block's input, y = relu(x + F(x))"),
             (torch.relu(x + torch.relu(f)), "F(x) ends with a ReLU (relu(fc2(...))): fc2's output goes straight "
                                             "into the addition, y = relu(x + fc2(relu(fc1(x)))); a ReLU on F(x) "
                                             "lets the block only add to x, never subtract"),
             (x + torch.relu(f), "the ReLU comes before the addition: y = relu(x + F(x)) adds first, then the ReLU"),
             (x + f, "the last ReLU is missing: y = relu(x + F(x))"),
             (torch.relu(x + fc2(fc1(x))), "the ReLU between fc1 and fc2 is missing: F(x) = fc2(relu(fc1(x)))"),
             (torch.relu(x + fc1(torch.relu(fc2(x)))), "fc1 and fc2 are swapped: F(x) = fc2(relu(fc1(x)))")]
    if not close(answer, torch.relu(x + f)):
        for output, hint in wrong:
            if close(answer, output):
                raise Mistake(hint)
        raise Mistake(f"differs from relu(x + fc2(relu(fc1(x)))): {off_by(answer, torch.relu(x + f))}")
    with torch.no_grad():
        for linear in linears:
            linear.weight.zero_(), linear.bias.zero_()
    if not close(block(x.clone()), torch.relu(x)):
        raise Mistake("with all weights zero the block should pass relu(x) through (the identity path)")
    return (f"relu(x + F(x)) with {parameters} parameters, the same as its plain twin; with zero weights "
            "it passes the input through")


@exercise("03.zero_pad_shortcut", "the zero-padding shortcut (He et al.'s option A)")
def check_zero_pad_shortcut(shortcut) -> str:
    """``shortcut(x, out_channels, stride)``: take every stride-th pixel, pad the new channels with zeros."""
    torch.manual_seed(4)
    x = torch.randn(2, 4, 8, 8)
    expected = ZeroPadShortcut(4, 2)(x)
    answer = expect_tensor(shortcut(x, 8, 2), "shortcut(x, out_channels=8, stride=2)")
    if tuple(answer.shape) == (2, 8, 8, 8):
        raise Mistake("the image keeps its size: a stride-2 block halves it, so take every second pixel "
                      "(x[:, :, ::2, ::2])")
    if tuple(answer.shape) == (2, 4, 4, 4) or tuple(answer.shape) == (2, 4, 6, 6):
        raise Mistake("the channels are not padded (or the image is padded instead): pad dimension 1, "
                      "e.g. F.pad(x, (0, 0, 0, 0, 0, extra))")
    answer = expect_tensor(answer, "shortcut(x, out_channels=8, stride=2)", expected.shape)
    zeros_first = torch.cat([torch.zeros_like(expected[:, 4:]), expected[:, :4]], 1)
    if close(answer, torch.cat([expected[:, :4], expected[:, :4]], 1)):
        raise Mistake("the new channels copy the input: option A pads them with zeros, so it adds no information")
    if close(answer[:, :4], F.avg_pool2d(x, 2)) or close(answer[:, 4:], F.avg_pool2d(x, 2)):
        raise Mistake("the image is averaged (pooling); option A takes every second pixel: x[:, :, ::2, ::2]")
    if close(answer, F.pad(x[:, :, 1::2, 1::2], (0, 0, 0, 0, 0, 4))):
        raise Mistake("the pixels taken start at 1; a stride-2 convolution with padding 1 is centred on pixels "
                      "0, 2, 4, ...: take x[:, :, ::2, ::2]")
    if close(answer, zeros_first):
        raise Mistake("the zero channels come first: they go after x's channels (channels 0-3 are x's, 4-7 zeros); "
                      "in F.pad the last pair is (before, after) for dimension 1, so pad with (0, 0, 0, 0, 0, extra)")
    if not close(answer, expected):
        raise Mistake(f"differs from subsample-then-zero-pad: {off_by(answer, expected)}")
    if not close(shortcut(x, 4, 1), x):
        raise Mistake("with the same channels and stride 1 the shortcut should be the identity")
    return "subsamples and pads with zeros: no weights, the same parameter count as the plain twin"
