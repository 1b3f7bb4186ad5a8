"""Every figure the notebooks and the README show; each function returns a matplotlib Figure.

* ``training``: one run or a few -- curves, image grids, confusion matrices, filters.
* ``gradients``: gradient flow inside a few networks -- per-layer gradient norms, activation scales.
* ``cam``: class activation maps over the images -- correct vs wrong, two networks or two classes side by side.
* ``depth``: depth studies -- accuracy against depth, curves and gradients of every depth.
* ``side_by_side``: depth studies next to each other (without and with batch norm).
* ``compare``: comparison studies -- plain vs residual twins over many seeds.

Figures are drawn from results (DataFrames, saved JSON), so a plot never needs a re-run.
"""

from .cam import *  # noqa: F403
from .cam import __all__ as _cam
from .compare import *  # noqa: F403
from .compare import __all__ as _compare
from .depth import *  # noqa: F403
from .depth import __all__ as _depth
from .gradients import *  # noqa: F403
from .gradients import __all__ as _gradients
from .side_by_side import *  # noqa: F403
from .side_by_side import __all__ as _side_by_side
from .speed import *  # noqa: F403
from .speed import __all__ as _speed
from .training import *  # noqa: F403
from .training import __all__ as _training

__all__ = [*_training, *_gradients, *_depth, *_side_by_side, *_compare, *_speed, *_cam]
