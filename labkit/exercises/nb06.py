"""Notebook 06's exercises: per-layer gradient norms on one batch, and He initialisation."""

from __future__ import annotations

import math

import torch
from torch import nn

from .core import Mistake, exercise

__all__ = ["check_gradient_norms", "check_he_init"]


def _network():
    torch.manual_seed(6)
    return nn.Sequential(nn.Linear(5, 7), nn.ReLU(), nn.Linear(7, 7), nn.ReLU(), nn.Linear(7, 3))


@exercise("06.gradient_norms", "the gradient norm of each layer's weights, on one fixed batch")
def check_gradient_norms(gradient_norms) -> str:
    """``gradient_norms(model, images, labels)``: {name: ||dL/dW||} for every weight, after one backward."""
    model = _network()
    images, labels = torch.randn(16, 5), torch.randint(0, 3, (16,))
    reference = _network()
    nn.functional.cross_entropy(reference(images), labels).backward()
    expected = {name: p.grad.norm().item() for name, p in reference.named_parameters() if name.endswith("weight")}
    first = gradient_norms(model, images, labels)
    if not isinstance(first, dict):
        raise Mistake(f"expected a dict {{layer name: gradient norm}}, got {type(first).__name__}")
    missing = sorted(set(expected) - set(first))
    if missing:
        raise Mistake(f"no norm for {', '.join(missing)}: use model.named_parameters() and keep the weights")
    values = {name: float(first[name]) for name in expected}
    weights = {name: p.norm().item() for name, p in model.named_parameters() if name in expected}
    if all(math.isclose(values[n], weights[n], rel_tol=1e-4) for n in expected):
        raise Mistake("these are the norms of the weights themselves; the gradient is parameter.grad")
    second = {name: float(value) for name, value in gradient_norms(model, images, labels).items() if name in expected}
    if all(math.isclose(second[n], 2 * values[n], rel_tol=1e-4) for n in expected):
        raise Mistake("called twice, the norms doubled: gradients add up until they are zeroed; "
                      "call model.zero_grad() before backward()")
    if not all(math.isclose(values[n], expected[n], rel_tol=1e-4) for n in expected):
        name = next(n for n in expected if not math.isclose(values[n], expected[n], rel_tol=1e-4))
        raise Mistake(f"{name}: expected {expected[name]:.5f}, got {values[name]:.5f} -- the loss is "
                      "cross_entropy(model(images), labels), its gradient one backward()")
    if not all(math.isclose(second[n], expected[n], rel_tol=1e-4) for n in expected):
        raise Mistake("right the first time, different the second: zero the gradients before each backward")
    return "the same norms as PyTorch's own backward, and the same again on a second call"


@exercise("06.he_init", "He initialisation: weights with variance 2 / fan_in, biases 0")
def check_he_init(he_init) -> str:
    """``he_init(linear)`` sets ``linear.weight`` to N(0, 2/fan_in) (fan_in = in_features), the bias to 0."""
    torch.manual_seed(7)
    linear = nn.Linear(1000, 400)
    he_init(linear)
    std, mean = linear.weight.std().item(), linear.weight.mean().item()
    target = math.sqrt(2 / 1000)
    for wrong, hint in ((math.sqrt(1 / 1000), "std sqrt(1/fan_in) is LeCun's (Xavier's for equal fans); a ReLU "
                                              "zeroes half of its inputs, so He doubles the variance: 2/fan_in"),
                        (2 / 1000, "2/fan_in is the variance; the standard deviation is its square root"),
                        (math.sqrt(2 / 400), "that is 2/fan_out: fan_in is the number of inputs, in_features "
                                             "(weight.shape[1])"),
                        (math.sqrt(2 / 1400), "that is Xavier's 2/(fan_in + fan_out); He uses fan_in only")):
        if abs(std - wrong) < 0.03 * wrong and abs(std - target) > 0.03 * target:
            raise Mistake(f"weight std {std:.4f}: {hint} (expected {target:.4f})")
    if abs(std - target) > 0.03 * target:
        raise Mistake(f"weight std {std:.4f}, expected sqrt(2 / fan_in) = {target:.4f} (within 3 %)")
    if abs(mean) > 0.003:
        raise Mistake(f"the weights' mean is {mean:.4f}: they should be centred on 0")
    if linear.bias is not None and linear.bias.abs().max().item() != 0:
        raise Mistake("the bias should start at 0 (nn.init.zeros_)")
    return (f"weight std {std:.4f} against sqrt(2/fan_in) = {target:.4f} (within 3 %), biases 0: each ReLU layer "
            "then keeps the variance of its input")
