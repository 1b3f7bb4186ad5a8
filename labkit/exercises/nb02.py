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


def _unfold_conv2d(x, flat_weight, bias, kernel, stride, padding):
    """The product of a (C_out, C_in k_h k_w) weight with unfold's columns, plus the bias: the exercise's recipe."""
    columns = F.unfold(x, kernel, padding=padding, stride=stride)
    height = _size(x.shape[2], kernel[0], stride, padding)
    width = _size(x.shape[3], kernel[1], stride, padding)
    out = flat_weight @ columns + bias[:, None]
    return out.reshape(x.shape[0], flat_weight.shape[0], height, width)


def _call_conv2d(conv2d, x, weight, bias, stride, padding, passed):
    """The student's conv2d(x, weight, bias, stride, padding); a bias added without its reshape is named, and an
    error on an oblong image or kernel, after the ``passed`` cases went right, is blamed on height and width."""
    try:
        return conv2d(x, weight, bias, stride, padding)
    except RuntimeError as error:
        expected = F.conv2d(x, weight, bias, stride=stride, padding=padding)
        for reshaped in (bias[:, None], bias[:, None, None]):  # does it work once the bias is reshaped?
            try:
                answer = conv2d(x, weight, reshaped, stride, padding)
            except Exception:
                continue
            if isinstance(answer, torch.Tensor) and close(answer, expected, 1e-4):
                raise Mistake("the bias is added without a reshape: the product has shape (batch, out channels, "
                              "positions), so bias (out channels,) lines up with the positions, not the channels; "
                              "add bias[:, None] (shape (out channels, 1))") from None
        if "is invalid for input of size" in str(error):
            raise Mistake("a reshape does not fit (PyTorch said: " + str(error).splitlines()[0] + "): the check "
                          f"uses a {x.shape[2]} x {x.shape[3]} image and a {weight.shape[2]} x {weight.shape[3]} "
                          "kernel; compute the output's height from x.shape[2] and weight.shape[2], its width from "
                          "x.shape[3] and weight.shape[3]") from None
        if passed:
            text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            raise Mistake(f"right on a {passed}, but on a {x.shape[2]} x {x.shape[3]} image with a "
                          f"{weight.shape[2]} x {weight.shape[3]} kernel it raised RuntimeError ({text}): take the "
                          "kernel's height and width from weight.shape[2:] (unfold's kernel_size=(k_h, k_w)) and "
                          "compute the output's height and width each from its own side") from None
        raise


def _check_conv2d_case(conv2d, x, weight, bias, passed) -> None:
    """Raise a Mistake naming what is wrong with ``conv2d`` on this input, for three strides and paddings
    (``passed``: the case it got right before, or "")."""
    out_channels, in_channels, kernel_h, kernel_w = weight.shape
    size = f"{x.shape[2]} x {x.shape[3]} image, {kernel_h} x {kernel_w} kernel"
    for stride, padding in ((1, 1), (2, 0), (2, 1)):
        expected = F.conv2d(x, weight, bias, stride=stride, padding=padding)
        height, width = expected.shape[2:]
        answer = expect_tensor(_call_conv2d(conv2d, x, weight, bias, stride, padding, passed),
                               f"conv2d(x, weight, bias, stride={stride}, padding={padding}) on a {size}")
        if tuple(answer.shape) != tuple(expected.shape):
            if tuple(answer.shape) == (x.shape[0], out_channels, width, height):
                raise Mistake(f"height and width are swapped: on a {size} (stride {stride}, padding {padding}) "
                              f"the output is {height} high and {width} wide, got shape {tuple(answer.shape)}; "
                              "reshape to (batch, out channels, height, width)")
            swapped_kernel = F.conv2d(x, weight.transpose(2, 3), None, stride=stride, padding=padding)
            if kernel_h != kernel_w and tuple(answer.shape) == tuple(swapped_kernel.shape):
                raise Mistake(f"the kernel's height and width are swapped: weight is (out, in, k_h, k_w) = "
                              f"{tuple(weight.shape)}, so pass kernel_size=(k_h, k_w) = ({kernel_h}, {kernel_w}) "
                              "to unfold and size the output with k_h for the height, k_w for the width")
            if answer.numel() == expected.numel():
                raise Mistake(f"the numbers may be right but the shape is {tuple(answer.shape)}, expected "
                              f"{tuple(expected.shape)}: reshape the product to (batch, out channels, height, width)")
            raise Mistake(f"shape {tuple(answer.shape)}, expected {tuple(expected.shape)} (stride {stride}, padding "
                          f"{padding}, {size}): are stride and padding passed to unfold?")
        if close(answer, expected, 1e-4):
            continue
        if close(answer, F.conv2d(x, weight.flip(2, 3), bias, stride=stride, padding=padding), 1e-4):
            raise Mistake("the kernel is flipped: deep-learning 'convolutions' are cross-correlations; "
                          "use the weight as it is")
        if close(answer, F.conv2d(x, weight, None, stride=stride, padding=padding), 1e-4):
            raise Mistake("the bias is missing: add bias[c] to every position of output channel c")
        if height == width and close(answer, expected.transpose(2, 3), 1e-4):
            raise Mistake("the output is transposed (height and width swapped): unfold lists the positions row by "
                          "row, so reshape the product straight to (batch, out channels, height, width), "
                          "without a transpose")
        permuted = {(0, 2, 3, 1): "with the channels last: weight.permute(0, 2, 3, 1)",
                    (0, 1, 3, 2): "with the kernel's rows and columns swapped: weight.transpose(2, 3)",
                    (1, 0, 2, 3): "with in and out channels swapped: weight.transpose(0, 1)"}
        for order, how in permuted.items():
            flat = weight.permute(*order).reshape(out_channels, -1)
            if close(answer, _unfold_conv2d(x, flat, bias, (kernel_h, kernel_w), stride, padding), 1e-4):
                raise Mistake(f"the weight is flattened in the wrong order ({how}): unfold's rows run over "
                              "(in channel, kernel row, kernel column), the order of weight's own dimensions 1, 2, 3, "
                              "so use weight.reshape(out channels, -1) without a permute")
        raise Mistake(f"differs from F.conv2d at stride {stride}, padding {padding} ({size}): "
                      f"{off_by(answer, expected, 1e-4)}")


@exercise("02.conv2d", "a convolution written as a matrix product with unfold")
def check_conv2d(conv2d) -> str:
    """``conv2d(x, weight, bias, stride, padding)`` must equal ``F.conv2d`` (a cross-correlation), also when
    neither the image nor the kernel is square (a swap of height and width shows only then)."""
    generator = torch.Generator().manual_seed(2)
    # 6 output channels: no output height, width or position count is 6, so a misplaced bias cannot fit by chance
    square, oblong = torch.randn(2, 3, 7, 7, generator=generator), torch.randn(2, 3, 7, 9, generator=generator)
    weight, bias = torch.randn(6, 3, 3, 3, generator=generator), torch.randn(6, generator=generator)
    oblong_weight = torch.randn(6, 3, 3, 2, generator=generator)
    cases = [(square, weight, ""), (oblong, weight, "square image and kernel"),
             (oblong, oblong_weight, "square kernel (a 7 x 7 and a 7 x 9 image)")]
    for x, kernel_weight, passed in cases:
        _check_conv2d_case(conv2d, x, kernel_weight, bias, passed)
    return ("equals F.conv2d for strides 1 and 2 and paddings 0 and 1, on a 7 x 7 and a 7 x 9 image, with a "
            "3 x 3 and a 3 x 2 kernel")
