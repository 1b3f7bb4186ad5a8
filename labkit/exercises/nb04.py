"""Notebook 04's exercises: a warm-up + cosine learning-rate schedule, and a best-model keeper that copies."""

from __future__ import annotations

import math

import torch
from torch import nn

from .core import Mistake, exercise

__all__ = ["check_warmup_cosine", "check_best_state"]


def _warmup_cosine(step, total, warmup, peak):
    if step < warmup:
        return peak * (step + 1) / warmup
    return 0.5 * peak * (1 + math.cos(math.pi * (step - warmup) / (total - warmup)))


@exercise("04.warmup_cosine", "a learning rate that warms up linearly, then follows a cosine to 0")
def check_warmup_cosine(schedule) -> str:
    """``schedule(step, total, warmup, peak)``: peak*(step+1)/warmup, then 0.5*peak*(1 + cos(pi*t)), t in [0, 1)."""
    total, warmup, peak = 100, 10, 0.1
    answer = [schedule(step, total, warmup, peak) for step in range(total)]
    expected = [_warmup_cosine(step, total, warmup, peak) for step in range(total)]
    if any(not isinstance(value, (int, float)) or isinstance(value, bool) for value in answer):
        odd = next(value for value in answer if not isinstance(value, (int, float)) or isinstance(value, bool))
        raise Mistake(f"the schedule should give a number for each step, got {odd!r}")

    def same(values):
        return all(abs(a - b) <= 1e-9 + 1e-6 * abs(b) for a, b in zip(values, expected))

    if same(answer):
        return (f"warms up to {peak} in {warmup} steps (never 0 at the first step), then falls along a cosine "
                f"to {answer[-1]:.2e} at the last step")
    if answer[0] == 0 and all(abs(answer[s] - peak * s / warmup) < 1e-9 for s in range(warmup)):
        raise Mistake("the warm-up starts at 0, so the first step does not train at all: "
                      "use peak * (step + 1) / warmup")
    if abs(answer[0] - peak) < 1e-9 and answer[warmup] < peak:
        raise Mistake("there is no warm-up: the first steps should rise linearly from peak/warmup to the peak")
    cosine_from_zero = [0.5 * peak * (1 + math.cos(math.pi * step / total)) for step in range(total)]
    if all(abs(a - b) < 1e-9 for a, b in list(zip(answer, cosine_from_zero))[warmup:]):
        raise Mistake("the cosine does not start after the warm-up: t = (step - warmup) / (total - warmup)")
    if answer[warmup] < 1e-9 and answer[-1] > 0.9 * peak:
        raise Mistake("the cosine rises instead of falling: 0.5 * peak * (1 + cos(pi * t)) starts at the peak")
    if all(abs(a - b) < 1e-9 for a, b in list(zip(answer, expected))[:warmup]):
        step = next(s for s in range(warmup, total) if abs(answer[s] - expected[s]) > 1e-9)
        raise Mistake(f"the warm-up is right, the cosine is not: at step {step} expected {expected[step]:.5f}, "
                      f"got {answer[step]:.5f} (0.5 * peak * (1 + cos(pi * t)))")
    step = next(s for s in range(total) if abs(answer[s] - expected[s]) > 1e-9)
    raise Mistake(f"at step {step} (of {total}, warm-up {warmup}, peak {peak}) expected {expected[step]:.5f}, "
                  f"got {answer[step]:.5f}")


@exercise("04.best_state", "keep the best model's weights: a copy that later training does not change")
def check_best_state(best_state) -> str:
    """``best_state(model)`` returns a state dict that stays as it was when the model trains on."""
    torch.manual_seed(5)
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 2))
    model(torch.randn(8, 3))  # batch norm's running statistics move: buffers belong in the copy too
    before = {name: value.clone() for name, value in model.state_dict().items()}
    kept = best_state(model)
    if not isinstance(kept, dict):
        raise Mistake(f"expected a dict like model.state_dict(), got {type(kept).__name__}: "
                      "model.parameters() misses batch norm's running statistics")
    missing = sorted(set(before) - set(kept))
    if missing:
        raise Mistake(f"the copy lacks {', '.join(missing[:3])}: copy the whole state_dict(), buffers included")
    with torch.no_grad():  # "training goes on": the weights change in place, as optimiser.step() does
        for value in model.state_dict().values():
            value.add_(1)
    changed = [name for name in before if not torch.equal(kept[name], before[name])]
    if changed:
        raise Mistake("the kept weights changed when the model trained on: state_dict() (and its .copy(), a "
                      "shallow copy) holds the model's own tensors; copy each tensor (.clone()) or copy.deepcopy")
    model.load_state_dict(kept)
    if not all(torch.equal(model.state_dict()[name], before[name]) for name in before):
        raise Mistake("load_state_dict(kept) does not bring the kept weights back")
    return "a real copy: training on leaves it unchanged, and load_state_dict brings the best weights back"
