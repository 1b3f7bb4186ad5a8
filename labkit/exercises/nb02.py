"""Notebook 02's exercises: a convolution's output size, and a convolution written with ``unfold``."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from .core import Mistake, close, exercise, expect_tensor, off_by

__all__ = ["check_output_size", "check_conv2d"]

_CASES = [(32, 3, 1, 1), (32, 3, 2, 1), (28, 5, 1, 0), (7, 3, 2, 0), (8, 2, 2, 0), (33, 3, 2, 1), (6, 1, 1, 0)]


def _size(size, kernel, stride, padding):
    return (size + 2 * padding - kernel) // stride + 1


@exercise("02.output_size", "the output size of a convolution")
def check_output_size(output_size) -> str:
    """``output_size(size, kernel, stride, padding)`` = floor((size + 2 padding - kernel) / stride) + 1."""
    answers = [output_size(*case) for case in _CASES]
    if answers == [_size(*case) for case in _CASES] and not any(isinstance(a, float) for a in answers):
        return f"right for all {len(_CASES)} cases, stride 2 on an odd size included (33 -> 17)"
    # a mistake is recognised when one wrong formula explains every answer
    wrong = [(lambda n, k, s, p: (n + p - k) // s + 1, "padding counts twice, once on each side (+ 2 * padding)"),
             (lambda n, k, s, p: (n + 2 * p - k) // s,
              "the + 1 is missing: a kernel as large as the padded image still has one position"),
             (lambda n, k, s, p: -(-(n + 2 * p - k) // s) + 1,
              "rounded up: a window that does not fit is dropped, so round down (//)"),
             (lambda n, k, s, p: (n + 2 * p - k) / s + 1, "the size should be a whole number: use //, not /"),
             (lambda n, k, s, p: (n + 2 * p - k + 1) // s, "divide first, then add 1: (n + 2p - k) // s + 1")]
    first = next(i for i, case in enumerate(_CASES) if answers[i] != _size(*case) or isinstance(answers[i], float))
    size, kernel, stride, padding = _CASES[first]
    case = (f"size {size}, kernel {kernel}, stride {stride}, padding {padding}: expected "
            f"{_size(*_CASES[first])}, got {answers[first]!r}")
    for formula, hint in wrong:
        if all(answer == formula(*c) and type(answer) is type(formula(*c)) for answer, c in zip(answers, _CASES)):
            raise Mistake(f"{hint}; {case}")
    raise Mistake(f"wrong for {case}")


@exercise("02.conv2d", "a convolution written as a matrix product with unfold")
def check_conv2d(conv2d) -> str:
    """``conv2d(x, weight, bias, stride, padding)`` must equal ``F.conv2d`` (a cross-correlation)."""
    generator = torch.Generator().manual_seed(2)
    x = torch.randn(2, 3, 7, 7, generator=generator)
    weight, bias = torch.randn(4, 3, 3, 3, generator=generator), torch.randn(4, generator=generator)
    for stride, padding in ((1, 1), (2, 0), (2, 1)):
        expected = F.conv2d(x, weight, bias, stride=stride, padding=padding)
        answer = expect_tensor(conv2d(x, weight, bias, stride, padding),
                               f"conv2d(x, weight, bias, stride={stride}, padding={padding})")
        if tuple(answer.shape) != tuple(expected.shape):
            if answer.numel() == expected.numel():
                raise Mistake(f"the numbers may be right but the shape is {tuple(answer.shape)}, expected "
                              f"{tuple(expected.shape)}: reshape the product to (batch, out channels, height, width)")
            raise Mistake(f"shape {tuple(answer.shape)}, expected {tuple(expected.shape)} (stride {stride}, padding "
                          f"{padding}): are stride and padding passed to unfold?")
        if close(answer, F.conv2d(x, weight.flip(2, 3), bias, stride=stride, padding=padding)):
            raise Mistake("the kernel is flipped: deep-learning 'convolutions' are cross-correlations; "
                          "use the weight as it is")
        if close(answer, F.conv2d(x, weight, None, stride=stride, padding=padding)):
            raise Mistake("the bias is missing: add bias[c] to every position of output channel c")
        if not close(answer, expected, 1e-4):
            raise Mistake(f"differs from F.conv2d at stride {stride}, padding {padding}: "
                          f"{off_by(answer, expected, 1e-4)}")
    return "equals F.conv2d for strides 1 and 2 and paddings 0 and 1"
