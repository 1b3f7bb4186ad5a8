"""The one exception a labkit user sees, and the checks that raise it.

Every front door (the command line, ``build_model``, ``load_data``, ``fit``,
``run_size``) validates its input once and raises a :class:`LabkitError`
whose message names the bad value and the allowed ones.  The command line
turns it into a single line on stderr and exit code 2; in Jupyter (or IPython)
a cell that raises one shows that line alone, without the traceback.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable

__all__ = ["LabkitError", "check_choice", "check_positive", "check_non_negative"]


class LabkitError(ValueError):
    """A user-facing error: bad input, or a missing dataset."""


def _quoted(values: Iterable[object]) -> str:
    return ", ".join(repr(v) for v in values)


def check_choice(what: str, value: object, allowed: Iterable[object]) -> object:
    """Return ``value`` if it is one of ``allowed``, else raise a clear error."""
    allowed = list(allowed)
    if value not in allowed:
        raise LabkitError(f"unknown {what} {value!r}; choose one of {_quoted(allowed)}")
    return value


def check_positive(what: str, value: object) -> object:
    """Return ``value`` if it is a number > 0 (booleans are not numbers here)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise LabkitError(f"{what} must be a positive number, got {value!r}")
    return value


def check_non_negative(what: str, value: object) -> object:
    """Return ``value`` if it is a number >= 0."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise LabkitError(f"{what} must be zero or positive, got {value!r}")
    return value


def _one_line_in_ipython() -> None:
    """In a Jupyter kernel or IPython, show a :class:`LabkitError` as its one line, not a traceback.

    The cell still fails (so "Run all" stops there); only the traceback into
    labkit's code, which says nothing the message does not, is left out.  An
    exception handler someone else set is left alone.
    """
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    if shell is None or getattr(shell, "custom_exceptions", ()) not in ((), (LabkitError,)):
        return

    def show(self, etype, value, tb, tb_offset=None):
        line = self.InteractiveTB.get_exception_only(etype, value)  # "LabkitError: ..."
        self._showtraceback(etype, value, line)  # what showtraceback ends in (ipykernel overrides it)

    shell.set_custom_exc((LabkitError,), show)


_one_line_in_ipython()
