"""How an exercise is checked: run the student's answer, recognise the usual mistakes, answer in one line.

An exercise is a name (``"03.residual_block"``: notebook 03), a title and a *check*: a function
that takes the student's answer (a function or a module they wrote) and either returns a short
confirmation or raises :class:`Mistake` with a hint that names the mistake a student most likely
made ("the ReLU comes after the addition, not before"), not only "wrong".

:func:`check` never lets an exception out: an answer left as given (``raise NotImplementedError``)
is reported as not attempted yet, and an exception inside the student's own code is reported in
one line, with the line of their cell where it happened.  So "Run all" goes through a notebook
whose exercises are unsolved.

Numerical answers are compared the way CS231n's assignments do, with a relative error
:math:`\\max |a - b| / \\max(|a| + |b|, 10^{-12})`, and the threshold is stated in the message.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch

__all__ = ["Exercise", "Mistake", "Result", "EXERCISES", "exercise", "check", "relative_error", "close",
           "expect_tensor", "off_by", "TOLERANCE"]

TOLERANCE = 1e-5  # relative error below which two float32 answers are the same


class Mistake(Exception):
    """Raised by a check: the answer is wrong, and the message says what is likely wrong with it."""


@dataclass(frozen=True)
class Exercise:
    """One exercise: ``name`` is ``"NN.short_name"`` (NN: its notebook), ``check`` judges an answer."""

    name: str
    title: str
    check: Callable


@dataclass(frozen=True)
class Result:
    """What :func:`check` found: ``status`` is "correct", "mistake", "unsolved" or "error"."""

    name: str
    status: str
    message: str

    @property
    def passed(self) -> bool:
        return self.status == "correct"

    def __bool__(self) -> bool:
        return self.passed

    def __repr__(self) -> str:
        mark = {"correct": "✓", "mistake": "✗", "error": "✗", "unsolved": "·"}[self.status]
        return f"{mark} {self.name}: {self.message}"


EXERCISES: dict[str, Exercise] = {}


def exercise(name: str, title: str) -> Callable:
    """Register the decorated function as the check of exercise ``name``."""

    def register(function: Callable) -> Callable:
        EXERCISES[name] = Exercise(name, title, function)
        return function

    return register


_LIBRARIES = (str(Path(__file__).resolve().parents[1]), str(Path(torch.__file__).resolve().parent))


def _where_in_student_code(error: BaseException) -> str:
    """' (line 4 of your code)' for the innermost frame outside labkit and torch (a notebook cell), else ''."""
    frames = [frame for frame in traceback.extract_tb(error.__traceback__)
              if not str(Path(frame.filename).resolve()).startswith(_LIBRARIES)]
    return f" (line {frames[-1].lineno} of your code)" if frames else ""


def check(name: str, answer) -> Result:
    """Check ``answer`` to exercise ``name``; the result shows as one line (✓, ✗ or · not attempted)."""
    from . import EXERCISES as known  # the notebook modules register their exercises on import

    if name not in known:
        return Result(name, "error", f"there is no exercise {name!r}; the exercises are {', '.join(sorted(known))}")
    if answer is None:
        return Result(name, "unsolved", "not attempted yet: write your answer in the cell above, then run this one")
    try:
        confirmation = known[name].check(answer)
    except Mistake as mistake:
        return Result(name, "mistake", str(mistake))
    except NotImplementedError:
        return Result(name, "unsolved", "not attempted yet: replace `raise NotImplementedError()` with your code, "
                                        "then run this cell again")
    except Exception as error:  # the student's code raised: say what and where, in one line
        text = str(error).strip().splitlines()[0] if str(error).strip() else ""
        return Result(name, "error", f"your code raised {type(error).__name__}{': ' + text if text else ''}"
                                     f"{_where_in_student_code(error)}")
    return Result(name, "correct", confirmation or "correct")


def relative_error(a, b) -> float:
    """CS231n's relative error of two arrays: max |a - b| / max(|a| + |b|) (0 when both are 0)."""
    a, b = (torch.as_tensor(value).detach().to(torch.float64) for value in (a, b))
    scale = (a.abs() + b.abs()).max().clamp_min(1e-12)
    return float((a - b).abs().max() / scale)


def close(a, b, tolerance: float = TOLERANCE) -> bool:
    """Same shape and a relative error below ``tolerance``, no NaN or inf in ``a``."""
    a, b = torch.as_tensor(a).detach(), torch.as_tensor(b).detach()
    return a.shape == b.shape and bool(torch.isfinite(a).all()) and relative_error(a, b) < tolerance


def expect_tensor(value, what: str, shape=None) -> torch.Tensor:
    """``value`` as a tensor of ``shape``, or a :class:`Mistake` saying what it is instead."""
    if not isinstance(value, torch.Tensor):
        raise Mistake(f"{what} should be a torch tensor, got {type(value).__name__} {value!r:.60}")
    if shape is not None and tuple(value.shape) != tuple(shape):
        raise Mistake(f"{what} has shape {tuple(value.shape)}, expected {tuple(shape)}")
    return value


def off_by(answer, expected, tolerance: float = TOLERANCE) -> str:
    """'relative error 3.2e-02 (the threshold is 1e-05)': how far a numerical answer is off."""
    return f"relative error {relative_error(answer, expected):.1e} (the threshold is {tolerance:.0e})"
