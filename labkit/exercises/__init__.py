"""Exercises that check themselves: write the piece, run the check, read what it says.

Each notebook 01-08 ends with code exercises. The student writes a function or a module in the
exercise cell, and the next cell checks it::

    lk.exercises.check("03.residual_block", ResidualBlock)

The check answers in one line: ✓ with what was verified, ✗ with the mistake most likely made
(a ReLU before the addition, ``state_dict().copy()``, ...), or · when the exercise is not attempted
yet. It never raises, so a notebook with unsolved exercises still runs top to bottom.
Solutions live outside the package, in the repository's ``solutions/`` folder;
``python -m labkit.exercises`` makes the notebooks with solutions (and the student versions).
"""

from . import nb01, nb02, nb03, nb04, nb05, nb06, nb07, nb08  # noqa: F401  (each registers its exercises)
from .core import EXERCISES, Mistake, Result, check, relative_error

__all__ = ["check", "EXERCISES", "Mistake", "Result", "relative_error"]
