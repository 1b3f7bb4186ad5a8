"""Notebook 05's exercises: tell a trained run from one stuck at chance or diverged, and a standard error."""

from __future__ import annotations

import math

from .core import Mistake, exercise

__all__ = ["check_outcome", "check_standard_error"]

_RUNS = [(0.05, "trained"), (1.9, "trained"), (math.log(10), "stuck"), (2.3029, "stuck"), (2.2990, "stuck"),
         (float("nan"), "diverged"), (float("inf"), "diverged"), (float("-inf"), "diverged"), (2.25, "trained"),
         (2.5, "trained")]
_LABELS = ("trained", "stuck", "diverged")


@exercise("05.outcome", "classify a depth-study run by its final training loss")
def check_outcome(outcome) -> str:
    """``outcome(train_loss)``: "diverged" (NaN or inf), "stuck" (within 0.01 of ln 10), else "trained"."""
    for loss, expected in _RUNS:
        answer = outcome(loss)
        if answer == expected:
            continue
        if answer not in _LABELS:
            raise Mistake(f"loss {loss} was classed {answer!r}: return exactly one of "
                          f"{', '.join(map(repr, _LABELS))}")
        if expected == "diverged" and loss != loss:
            raise Mistake(f"a NaN loss was classed {answer!r}: every comparison with NaN is False, so test "
                          "math.isnan(loss) (or not math.isfinite(loss)) first")
        if expected == "diverged":
            raise Mistake(f"an infinite loss was classed {answer!r}: math.isfinite(loss) catches inf and NaN")
        if expected == "stuck":
            raise Mistake(f"loss {loss:.4f} was classed {answer!r}: a network that guesses uniformly among 10 "
                          f"classes has loss ln 10 = {math.log(10):.4f}; within 0.01 of it is 'stuck'")
        if answer == "stuck" and loss > math.log(10):
            raise Mistake(f"loss {loss} is above ln 10 + 0.01 = {math.log(10) + 0.01:.4f} and was classed 'stuck': "
                          "'within 0.01' holds on both sides of ln 10, abs(loss - math.log(10)) < 0.01")
        raise Mistake(f"loss {loss} was classed {answer!r}, expected {expected!r}")
    return "trained, stuck at ln 10 and diverged (NaN or inf) all recognised"


@exercise("05.standard_error", "the standard error of an accuracy measured on n test images")
def check_standard_error(standard_error) -> str:
    """``standard_error(p, n)`` = sqrt(p (1 - p) / n), the spread of an accuracy p measured on n images."""
    for p, n in ((0.5, 1000), (0.9, 10_000), (0.1135, 10_000), (0.55, 1000)):
        answer, expected = standard_error(p, n), math.sqrt(p * (1 - p) / n)
        if isinstance(answer, (int, float)) and math.isclose(answer, expected, rel_tol=1e-6):
            continue
        case = f"p = {p}, n = {n}: expected {expected:.5f}, got {answer!r}"
        if isinstance(answer, (int, float)) and math.isclose(answer, p * (1 - p) / n, rel_tol=1e-6):
            raise Mistake(f"that is the variance; the standard error is its square root ({case})")
        if isinstance(answer, (int, float)) and math.isclose(answer, math.sqrt(p * (1 - p)), rel_tol=1e-6):
            raise Mistake(f"n is missing: more test images, a smaller error ({case})")
        if isinstance(answer, (int, float)) and math.isclose(answer, p * (1 - p) / math.sqrt(n), rel_tol=1e-6):
            raise Mistake(f"the square root covers p (1 - p) too: sqrt(p (1 - p) / n) ({case})")
        raise Mistake(case)
    return (f"for 0.55 on 1,000 test images the standard error is {math.sqrt(0.55 * 0.45 / 1000):.4f}: "
            "differences smaller than about two of them are noise")
