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
        raise Mistake(f"the schedule should return a float for each step (math.cos, not torch.cos), "
                      f"got {type(odd).__name__} {odd!r:.40}")
    if any(not math.isfinite(value) for value in answer):
        step = next(s for s, value in enumerate(answer) if not math.isfinite(value))
        raise Mistake(f"at step {step} the rate is {answer[step]}: every step needs a finite rate")

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
    wrong_steps = [s for s in range(total) if abs(answer[s] - expected[s]) > 1e-9 + 1e-6 * abs(expected[s])]
    if wrong_steps == [warmup]:
        if abs(answer[warmup] - peak * (warmup + 1) / warmup) < 1e-9:
            raise Mistake(f"the warm-up lasts one step too long (step <= warmup?): step {warmup} gets "
                          f"{answer[warmup]:.6g}, above the peak {peak}; the warm-up is steps 0 to {warmup - 1}, "
                          "so use step < warmup, and the cosine starts at the peak at step warmup")
        raise Mistake(f"only step {warmup}, the first after the warm-up, is wrong: expected the peak {peak}, "
                      f"got {answer[warmup]!r}; is the boundary step < warmup?")
    one_short = [_warmup_cosine(step, total - 1, warmup, peak) if step >= warmup else expected[step]
                 for step in range(total)]
    if all(abs(a - b) < 1e-9 for a, b in zip(answer, one_short)):
        raise Mistake(f"t divides by (total - warmup - 1): then the last step has rate 0 and trains nothing; "
                      f"t = (step - warmup) / (total - warmup) stays below 1 (at step {total - 1} expected "
                      f"{expected[-1]:.6g}, got {answer[-1]:.6g})")
    step = max(wrong_steps, key=lambda s: abs(answer[s] - expected[s]))  # where the error is largest
    where = (f"the largest error is at step {step} (of {total}, warm-up {warmup}, peak {peak}): expected "
             f"{expected[step]:.6g}, got {answer[step]:.6g}")
    if all(s >= warmup for s in wrong_steps):
        raise Mistake(f"the warm-up is right, the cosine is not: {where} (0.5 * peak * (1 + cos(pi * t)), "
                      "t = (step - warmup) / (total - warmup))")
    raise Mistake(where)


@exercise("04.best_state", "keep the best model's weights: a copy that later training does not change")
def check_best_state(best_state) -> str:
    """``best_state(model)`` returns a state dict that stays as it was when the model trains on."""
    torch.manual_seed(5)
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 2))
    model(torch.randn(8, 3))  # batch norm's running statistics move: buffers belong in the copy too
    before = {name: value.clone() for name, value in model.state_dict().items()}
    kept = best_state(model)
    if isinstance(kept, nn.Module):
        raise Mistake(f"a whole model ({type(kept).__name__}) was returned, not its state dict: return a dict of "
                      "tensors, e.g. copy.deepcopy(model.state_dict()) or "
                      "{name: value.clone() for name, value in model.state_dict().items()}")
    if not isinstance(kept, dict):
        listed = not isinstance(kept, (str, bytes, torch.Tensor)) and hasattr(kept, "__iter__")
        raise Mistake(f"expected a dict like model.state_dict() (name -> tensor), got {type(kept).__name__}"
                      + (": model.parameters() misses batch norm's running statistics" if listed else ""))
    missing = sorted(set(before) - set(kept))
    if missing:
        raise Mistake(f"the copy lacks {', '.join(missing[:3])}: copy the whole state_dict(), buffers included")
    odd = {name: value for name, value in kept.items() if not isinstance(value, torch.Tensor)}
    if odd:
        name, value = next(iter(odd.items()))
        kind = type(value).__name__ if type(value).__module__ == "builtins" else (
            f"{type(value).__module__.split('.')[0]}.{type(value).__name__}")
        raise Mistake(f"the copy holds a {kind} for "
                      f"{name!r}, not a torch tensor: load_state_dict needs tensors; copy each with "
                      "value.clone() (not .numpy() or .tolist())")
    misshapen = [name for name in before if kept[name].shape != before[name].shape]
    if misshapen:
        raise Mistake(f"{misshapen[0]!r} has shape {tuple(kept[misshapen[0]].shape)} in the copy, "
                      f"{tuple(before[misshapen[0]].shape)} in the model: copy each tensor as it is")
    with torch.no_grad():  # "training goes on": the weights change in place, as optimiser.step() does
        for value in model.state_dict().values():
            value.add_(1)
    changed = [name for name in before if not torch.equal(kept[name], before[name])]
    if changed:
        raise Mistake("the kept weights changed when the model trained on: state_dict() (and its .copy(), a "
                      "shallow copy) holds the model's own tensors; copy each tensor (.clone()) or copy.deepcopy")
    try:
        model.load_state_dict(kept)
    except RuntimeError as error:
        raise Mistake(f"load_state_dict refuses the copy ({str(error).strip().splitlines()[0]}): keep exactly the "
                      "keys of model.state_dict()") from None
    if not all(torch.equal(model.state_dict()[name], before[name]) for name in before):
        raise Mistake("load_state_dict(kept) does not bring the kept weights back")
    return "a real copy: training on leaves it unchanged, and load_state_dict brings the best weights back"
