"""Notebook 07's exercises: the FLOPs of a convolution, and a loop's share of the hardware's limit."""

from __future__ import annotations

import math

from .core import Mistake, exercise

__all__ = ["check_conv_flops", "check_share_of_limit"]

_CONVS = [(3, 64, 3, 32, 32), (64, 128, 3, 16, 16), (128, 128, 1, 8, 8), (16, 32, 5, 7, 9)]


def _number(value, what):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise Mistake(f"{what} should be a number, got {value!r:.60}")
    return value


@exercise("07.conv_flops", "the forward FLOPs of one convolution on one image")
def check_conv_flops(conv_flops) -> str:
    """``conv_flops(in_channels, out_channels, kernel, out_height, out_width)`` = 2 k^2 C_in C_out H_out W_out."""
    for c_in, c_out, k, h, w in _CONVS:
        answer = _number(conv_flops(c_in, c_out, k, h, w), "conv_flops(...)")
        expected = 2 * k * k * c_in * c_out * h * w
        if math.isclose(answer, expected):
            continue
        case = f"{c_in} -> {c_out} channels, {k}x{k} kernel, {h}x{w} output: expected {expected:,}, got {answer:,}"
        if math.isclose(answer, expected / 2):
            raise Mistake(f"that counts multiply-adds; a multiply and an add are 2 FLOPs ({case})")
        if math.isclose(answer, expected / k):
            raise Mistake(f"the kernel has k x k weights per channel pair: k**2, not k ({case})")
        if math.isclose(answer, 3 * expected):
            raise Mistake(f"that is a training step (forward and backward); the exercise asks for the forward ({case})")
        if math.isclose(answer, expected / (h * w)):
            raise Mistake(f"every output position repeats the work: multiply by H_out x W_out ({case})")
        raise Mistake(case)
    return "2 k^2 C_in C_out H_out W_out: right for 1x1, 3x3 and 5x5 kernels and a non-square output"


@exercise("07.share_of_limit", "how close a training loop comes to the hardware's limit")
def check_share_of_limit(share_of_limit) -> str:
    """``share_of_limit(images_per_second, flops_per_image, peak_flops)`` = images/s x FLOPs per image / peak."""
    cases = [(45_000 / 1.11, 3.33e9, 790e12), (1200.0, 2.0e8, 1.0e12), (10.0, 1.0e9, 1.0e11)]
    for images_per_second, flops, peak in cases:
        answer = _number(share_of_limit(images_per_second, flops, peak), "share_of_limit(...)")
        expected = images_per_second * flops / peak
        if math.isclose(answer, expected, rel_tol=1e-9):
            continue
        case = (f"{images_per_second:,.0f} images/s, {flops:.3g} FLOPs per image, peak {peak:.3g} FLOP/s: "
                f"expected {expected:.4f}, got {answer:.4g}")
        if math.isclose(answer, 100 * expected, rel_tol=1e-9):
            raise Mistake(f"that is a percentage; return the fraction (0.19, not 19) ({case})")
        if expected and math.isclose(answer, 1 / expected, rel_tol=1e-9):
            raise Mistake(f"upside down: the share is what the loop does (images/s x FLOPs per image) over what the "
                          f"hardware can do ({case})")
        if math.isclose(answer, peak / flops, rel_tol=1e-9):
            raise Mistake(f"that is the limit in images/s (peak / FLOPs per image); the share divides the loop's "
                          f"images/s by it ({case})")
        raise Mistake(case)
    first = cases[0]
    return (f"right: ResNet-18 at 1.11 s per epoch of 45,000 images on an H200 uses "
            f"{first[0] * first[1] / first[2]:.0%} of the bf16 limit")
