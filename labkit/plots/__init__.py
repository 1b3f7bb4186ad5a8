"""Every figure the notebooks and the README show; each function returns a matplotlib Figure.

* ``training``: one run or a few -- curves, image grids, confusion matrices, filters.
* ``depth``: depth studies and gradient flow -- accuracy against depth, per-layer gradient norms.

Figures are drawn from results (DataFrames, saved JSON), so a plot never needs a re-run.
"""

from .depth import *  # noqa: F403
from .depth import __all__ as _depth
from .training import *  # noqa: F403
from .training import __all__ as _training

__all__ = [*_training, *_depth]
