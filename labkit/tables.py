"""Tables for reading: counts with thousands separators, other numbers to a few decimals, a dash for NaN.

A DataFrame keeps every digit, for computing with; ``readable(table)`` changes only how a
notebook shows it (a pandas ``Styler``), so ``151306`` parameters read as ``151,306`` and a
standard deviation that needs a second seed reads as ``–`` instead of ``NaN``.
"""

from __future__ import annotations

__all__ = ["readable"]


def readable(table, decimals: int = 4):
    """``table`` for display: whole-number columns as ``10,000``, other numbers to ``decimals`` places, NaN as –."""
    import pandas as pd

    formats = {}
    for column in table.columns:
        dtype = table[column].dtype
        if pd.api.types.is_bool_dtype(dtype):
            continue
        if pd.api.types.is_integer_dtype(dtype):
            formats[column] = "{:,}"
        elif pd.api.types.is_float_dtype(dtype):
            formats[column] = f"{{:,.{decimals}f}}"
    return table.style.format(formats, na_rep="–")
