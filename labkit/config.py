"""Experiment configurations: YAML files with sections ``model``, ``dataset``, ``training``.

A configuration is a plain dictionary of three sections.  Values not given
come from :data:`DEFAULTS` and the run size; the command line's flags
override the file.  Every key and type is checked, so a typo is an error that
names the key and the allowed ones -- not an option silently ignored.
"""

from __future__ import annotations

import copy
from pathlib import Path

import yaml

from .errors import LabkitError

__all__ = ["DEFAULTS", "SCHEMA", "load_config", "check_config", "merge"]

_INT, _FLOAT, _BOOL, _STR = (int,), (int, float), (bool,), (str,)
_OPTIONAL_INT, _INT_LIST = (int, type(None)), (list,)

SCHEMA = {
    "model": {"name": _STR, "residual": _BOOL, "depth": _INT, "width": _INT, "widths": _INT_LIST,
              "norm": (str, type(None))},
    "dataset": {"name": _STR, "root": _STR, "batch_size": _INT, "train_images": _OPTIONAL_INT,
                "val_images": _INT, "test_images": _OPTIONAL_INT, "augment": _BOOL, "loader": _STR,
                "num_workers": _OPTIONAL_INT, "download": _BOOL},
    "training": {"epochs": _INT, "optimizer": _STR, "lr": _FLOAT, "momentum": _FLOAT, "nesterov": _BOOL,
                 "weight_decay": _FLOAT, "schedule": _STR, "label_smoothing": _FLOAT,
                 "early_stopping": _OPTIONAL_INT, "checkpoint_every": _OPTIONAL_INT, "seed": _INT,
                 "precision": _STR, "compile": _BOOL},
}

DEFAULTS = {
    "model": {"name": "mlp"},
    "dataset": {"name": "mnist", "loader": "device"},
    "training": {"optimizer": "sgd", "schedule": "onecycle", "seed": 0},
}

_TYPE_WORDS = {_INT: "an integer", _FLOAT: "a number", _BOOL: "true or false", _STR: "a string",
               _OPTIONAL_INT: "an integer or null", _INT_LIST: "a list of integers",
               (str, type(None)): "a string or null"}


def _type_ok(value, types) -> bool:
    if isinstance(value, bool) and bool not in types:
        return False  # YAML's `yes` is not a number
    if types is _INT_LIST:
        return isinstance(value, list) and all(isinstance(v, int) and not isinstance(v, bool) for v in value)
    return isinstance(value, types)


def check_config(config: dict, source: str = "the configuration") -> dict:
    """Check sections, keys and value types; return ``config`` unchanged."""
    if not isinstance(config, dict):
        raise LabkitError(f"{source} must be a mapping with sections 'model', 'dataset', 'training'")
    for section, values in config.items():
        if section not in SCHEMA:
            raise LabkitError(f"unknown section {section!r} in {source}; allowed sections: "
                              + ", ".join(repr(s) for s in SCHEMA))
        if not isinstance(values, dict):
            raise LabkitError(f"section {section!r} in {source} must be a mapping of keys to values")
        for key, value in values.items():
            if key not in SCHEMA[section]:
                raise LabkitError(f"unknown key {key!r} in section {section!r} of {source}; allowed keys: "
                                  + ", ".join(repr(k) for k in SCHEMA[section]))
            types = SCHEMA[section][key]
            if not _type_ok(value, types):
                raise LabkitError(f"key {key!r} in section {section!r} of {source} must be "
                                  f"{_TYPE_WORDS[types]}, got {value!r}")
    return config


def merge(*configs: dict) -> dict:
    """Later configurations override earlier ones, key by key within each section."""
    merged = copy.deepcopy(DEFAULTS)
    for config in configs:
        for section, values in config.items():
            merged.setdefault(section, {}).update({k: v for k, v in values.items() if v is not None})
    return merged


def load_config(path) -> dict:
    """Read and check a YAML configuration file."""
    path = Path(path)
    if not path.is_file():
        raise LabkitError(f"configuration file {str(path)!r} does not exist")
    try:
        config = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as error:
        raise LabkitError(f"{path} is not valid YAML: {str(error).splitlines()[0]}") from None
    return check_config(config, str(path))
