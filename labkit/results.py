"""Saving and loading results as plain files: JSON for one run, CSV for tables.

Every write goes to a temporary file that is then renamed, so a run killed
mid-write leaves either the old file or the new one -- never half a file.
No pickles: results are readable by any tool, and safe to load.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from pathlib import Path

import pandas as pd

from .errors import LabkitError

__all__ = ["plain_data", "save_json", "load_json", "save_csv", "load_csv", "check_out_dir", "write_atomically",
           "notebook_text"]


def plain_data(value):
    """Turn numbers that JSON cannot hold (NaN, tensors, numpy scalars) into plain ones."""
    if isinstance(value, dict):
        return {str(k): plain_data(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain_data(v) for v in value]
    if hasattr(value, "item") and callable(value.item) and getattr(value, "ndim", 0) == 0:
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def write_atomically(path, write) -> Path:
    """Call ``write(temporary_path)``, then rename it to ``path``: readers see the old file or the new, never half.

    Every file labkit saves (JSON, CSV, checkpoints) is written this way.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    write(temporary)
    os.replace(temporary, path)
    return path


def notebook_text(notebook: dict) -> str:
    """A notebook as the repository keeps it: JSON indented by 1, non-ASCII as is, a final newline (the
    layout of every tool that rewrites notebooks here, so that a rewrite changes only what it means to)."""
    return json.dumps(notebook, indent=1, ensure_ascii=False) + "\n"


def save_json(data: dict, path) -> Path:
    """Write ``data`` as indented JSON, atomically."""
    text = json.dumps(plain_data(data), indent=2) + "\n"
    return write_atomically(path, lambda temporary: temporary.write_text(text))


def load_json(path) -> dict:
    return json.loads(Path(path).read_text())


def save_csv(table: pd.DataFrame, path) -> Path:
    """Write a table as CSV, atomically."""
    text = table.to_csv(index=False)
    return write_atomically(path, lambda temporary: temporary.write_text(text))


def load_csv(path) -> pd.DataFrame:
    return pd.read_csv(path)


def check_out_dir(out) -> Path:
    """``out`` as a folder results can be written to, checked before any training; nothing is left behind.

    Refused in one line: an empty name, a file, a folder under a file, a folder that cannot be written.
    """
    if out is None or not str(out).strip():
        raise LabkitError("the output folder is empty; name a folder, e.g. --out runs/first")
    path = Path(out).expanduser()
    if path.exists() and not path.is_dir():
        raise LabkitError(f"output folder {str(path)!r} is a file; name a folder")
    existing = path
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise LabkitError(f"output folder {str(path)!r} cannot be made: {str(existing)!r} is a file")
    try:  # the one sure test, for every user and file system: write a file there, then remove it
        with tempfile.TemporaryFile(dir=existing):
            pass
    except OSError as error:
        raise LabkitError(f"output folder {str(path)!r} cannot be written: {error.strerror} in "
                          f"{str(existing)!r}") from None
    return path
