"""Configuration files: YAML with sections ``model``, ``dataset``, ``training``.

A file holds the same options as the command line's flags (both are made from
:mod:`labkit.options`); flags given on the command line override the file.
Reading is strict where YAML is loose and loose where users expect it:

* a key given twice, a file that is not a mapping of sections, a file that is
  not UTF-8 text: refused in one line, with the line and column of a syntax error;
* ``lr: 1e-3`` is a number (plain YAML 1.1 reads it as the string "1e-3").
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from .errors import LabkitError
from .options import RunConfig

__all__ = ["load_config", "read_yaml", "merge"]


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing duplicate keys and reading 1e-3 as a number."""

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                mark = key_node.start_mark
                raise LabkitError(f"key {key!r} is given twice (line {mark.line + 1}, column {mark.column + 1})")
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


# YAML 1.2's floats: 1e-3, 1.5E+2, .5 -- YAML 1.1 (PyYAML) insists on a dot and a signed exponent
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9][0-9_]*\.[0-9_]*(?:[eE][-+]?[0-9]+)?|\.[0-9_]+(?:[eE][-+]?[0-9]+)?"
               r"|[0-9][0-9_]*[eE][-+]?[0-9]+|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"),
    list("-+0123456789."),
)


def read_yaml(path) -> object:
    """The contents of a YAML file, or one line saying why it cannot be read."""
    path = Path(path)
    if not path.exists():
        raise LabkitError(f"configuration file {str(path)!r} does not exist")
    if not path.is_file():
        raise LabkitError(f"configuration file {str(path)!r} is not a file")
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as error:
        raise LabkitError(f"{path} is not UTF-8 text (byte {error.start + 1} cannot be read)") from None
    except OSError as error:
        raise LabkitError(f"cannot read {path}: {error.strerror}") from None
    try:
        return yaml.load(text, Loader=_Loader)
    except LabkitError as error:
        raise LabkitError(f"{path}: {error}") from None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        raise LabkitError(f"{path} is not valid YAML{where}: {error.problem}") from None
    except yaml.YAMLError as error:
        raise LabkitError(f"{path} is not valid YAML: {str(error).splitlines()[0]}") from None


def load_config(path) -> dict:
    """Read a configuration file and check it; return its sections as plain data (only what it sets)."""
    config = read_yaml(path)
    if config is None:
        return {}
    if not isinstance(config, dict):
        raise LabkitError(f"{path} must be a mapping with sections 'model', 'dataset', 'training'; "
                          f"it holds {type(config).__name__} {config!r:.40}")
    for section, values in config.items():
        keys = [section, *(values if isinstance(values, dict) else ())]
        odd = [key for key in keys if not isinstance(key, str)]
        if odd:  # a list, not next(..., None): the odd key may itself be None (YAML's "?")
            raise LabkitError(f"{path}: section names and keys are words, got {odd[0]!r}")
    RunConfig.checked(config, spelling=lambda keys: f"{'.'.join(keys)} in {path}")
    return config


def merge(*configs: dict) -> dict:
    """Later configurations override earlier ones, key by key within each section."""
    merged = {}
    for config in configs:
        for section, values in config.items():
            merged.setdefault(section, {}).update(values)
    return merged
