"""Where a notebook runs: the data folder, the device, its precision, and a faster choice if one is there.

Every notebook shows this small table in its first cells, beside the run size, so that each number
it prints can be read with the hardware that produced it -- and a student on a laptop with an Apple
GPU, or on a Colab runtime without a GPU, is told in one line that something faster is at hand.
"""

from __future__ import annotations

import pandas as pd

from .data import data_root
from .device import choose_precision, default_device, describe_device, device_hint

__all__ = ["this_machine"]


def this_machine(device=None) -> pd.DataFrame:
    """The data root, the device (``device``, else the default one), its precision and a hint, as a table."""
    chosen = default_device(device)
    precision = choose_precision(chosen)
    rows = {"data root": str(data_root()), "device": describe_device(chosen),
            "precision": f"{precision.name} ({precision.reason})"}
    hint = device_hint(chosen)
    if hint:
        rows["faster choice"] = hint
    return pd.DataFrame({"this machine": rows})
