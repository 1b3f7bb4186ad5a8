"""Notebook 01's exercises: a Linear layer's forward pass, and a numerically stable cross-entropy."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from .core import Mistake, close, exercise, expect_tensor, off_by

__all__ = ["check_linear", "check_cross_entropy"]


@exercise("01.linear", "a Linear layer's forward pass: y = x W^T + b")
def check_linear(linear) -> str:
    """``linear(x, weight, bias)`` for x (batch, n), weight (m, n), bias (m,) must equal ``F.linear``."""
    generator = torch.Generator().manual_seed(0)
    x, weight, bias = (torch.randn(*shape, generator=generator) for shape in ((4, 3), (5, 3), (5,)))
    expected = F.linear(x, weight, bias)
    try:
        answer = linear(x, weight, bias)
    except RuntimeError as error:
        if "mat1 and mat2" in str(error) or "size mismatch" in str(error) or "must match" in str(error):
            raise Mistake("the shapes do not fit: weight is (out, in), so the product is x @ weight.T "
                          f"(PyTorch said: {str(error).splitlines()[0]})") from None
        raise
    answer = expect_tensor(answer, "linear(x, weight, bias)", expected.shape)
    if close(answer, x @ weight.T):
        raise Mistake("the bias is missing: y = x @ weight.T + bias")
    if close(answer, x @ weight.T - bias):
        raise Mistake("the bias is subtracted: y = x @ weight.T + bias")
    square = torch.randn(3, 3, generator=generator)
    if close(linear(x, square, bias[:3]), x @ square + bias[:3]) and not close(square, square.T):
        raise Mistake("weight is used without its transpose: with weight of shape (out, in), y = x @ weight.T + b")
    if not close(answer, expected):
        raise Mistake(f"linear(x, weight, bias) differs from F.linear: {off_by(answer, expected)}")
    if not close(linear(x, square, bias[:3]), F.linear(x, square, bias[:3])):
        raise Mistake("right for one weight shape, wrong for a square weight: is weight used as weight.T?")
    return "equals F.linear (relative error below 1e-05), also for a square weight where a missing .T would hide"


@exercise("01.cross_entropy", "a numerically stable cross-entropy from logits")
def check_cross_entropy(cross_entropy) -> str:
    """``cross_entropy(logits, targets)``: the mean of -log softmax(logits)[target], stable for large logits."""
    generator = torch.Generator().manual_seed(1)
    logits = torch.randn(6, 10, generator=generator)
    targets = torch.randint(0, 10, (6,), generator=generator)
    expected = F.cross_entropy(logits, targets)
    answer = expect_tensor(cross_entropy(logits, targets), "cross_entropy(logits, targets)")
    columns = ("logits[:, targets] picks whole columns, a batch x batch table that scores every image against "
               "every image's target: each row needs its own target, logits[range(len(targets)), targets] "
               "(or logits.gather(1, targets[:, None]))")
    if tuple(answer.shape) == (len(targets), len(targets)):
        raise Mistake(columns)
    if answer.numel() == len(targets) and close(answer.flatten(), F.cross_entropy(logits, targets, reduction="none")):
        raise Mistake("one loss per image was returned: the loss of a batch is their mean (.mean())")
    if answer.numel() != 1:
        raise Mistake(f"the loss should be one number (a 0-d tensor), got shape {tuple(answer.shape)}")
    if close(answer, -expected):
        raise Mistake("the sign is wrong: the loss is -log p(target), a positive number")
    if close(answer, expected * len(targets)):
        raise Mistake("the losses are summed: the loss of a batch is their mean, not their sum")
    probabilities = logits.softmax(1)[range(6), targets]
    if close(answer, -probabilities.mean()) or close(answer, (1 - probabilities).mean()):
        raise Mistake("the log is missing: the loss is -log softmax(logits)[target]")
    if close(answer, F.cross_entropy(logits.softmax(1), targets)):
        raise Mistake("softmax is applied twice: cross_entropy takes logits (raw scores), not probabilities")
    log_sum_exp = logits.logsumexp(1)
    if close(answer, log_sum_exp.mean() - logits[:, targets].mean()):
        raise Mistake(columns)
    largest = logits.max(1).values
    if close(answer, expected - largest.mean()):
        raise Mistake("the max is not added back: log sum exp(z) = m + log sum exp(z - m), so after summing "
                      "exp(z - m) add m (each row's largest logit) to its log; without + m every image's loss "
                      "is short by its m")
    if not close(answer, expected):
        raise Mistake(f"differs from F.cross_entropy: {off_by(answer, expected)}")
    large = logits * 1000  # exp(1000) overflows to inf in float32
    stable = cross_entropy(large, targets)
    if not torch.isfinite(torch.as_tensor(stable)).all():
        raise Mistake("right for small logits, but inf or NaN for logits near 1000: exp overflows. "
                      "Subtract each row's largest logit before exp (log-sum-exp trick): "
                      "log sum exp(z) = m + log sum exp(z - m)")
    if not close(stable, F.cross_entropy(large, targets)):
        raise Mistake(f"wrong for large logits: {off_by(stable, F.cross_entropy(large, targets))}")
    return (f"equals F.cross_entropy (relative error below 1e-05), and stays finite for logits near 1000; "
            f"a guess among 10 classes costs ln 10 = {math.log(10):.4f}")
