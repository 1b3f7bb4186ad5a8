"""How labkit checks options: a pydantic base class, and one line for every refusal.

:mod:`labkit.options` says *what* each option is; this module makes pydantic's
verdict readable: a value it refuses becomes one :class:`~labkit.errors.LabkitError`
line naming the option as the user spelt it (``--lr``, ``training.lr in run.yaml``,
``lr=``), the bad value, and the allowed range or choices.
"""

from __future__ import annotations

import operator
import os
import warnings
from typing import Annotated, Literal, get_args, get_origin

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, TypeAdapter, ValidationError

from .errors import LabkitError
from .sizes import FROM_RUN_SIZE

__all__ = ["Options", "Whole", "PositiveWhole", "check", "choices", "describe_error", "literal", "path_text",
           "sequence"]


def _whole(value):
    """numpy's and torch's integers count as whole numbers; booleans and 3.0 do not."""
    if not isinstance(value, (bool, float)) and hasattr(value, "__index__"):
        return operator.index(value)
    return value


def sequence(value):
    """A list from a YAML file or the command line, or a tuple from Python: both are a sequence."""
    return tuple(value) if isinstance(value, list) else value


Whole = Annotated[int, BeforeValidator(_whole)]
PositiveWhole = Annotated[Whole, Field(gt=0)]


def path_text(value):
    """A folder given as a ``pathlib.Path`` is as good as one given as text."""
    return os.fspath(value) if isinstance(value, os.PathLike) else value


def literal(values: tuple):
    return Literal.__getitem__(values)


class Options(BaseModel):
    """A group of options.  Unknown keys, NaN, infinity and values of the wrong type are refused."""

    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False, frozen=True,
                              arbitrary_types_allowed=True)

    def __init__(self, **values):
        """``Training(lr=-1)`` raises the same one-line ``LabkitError`` as ``--lr -1``."""
        try:
            super().__init__(**{key: value for key, value in values.items() if value is not FROM_RUN_SIZE})
        except ValidationError as error:
            raise _Refused(error, type(self)) from None

    @classmethod
    def checked(cls, values: dict | None = None, *, spelling=None, **more):
        """Check ``values`` (and keyword ``more``); a bad one raises one ``LabkitError`` line.

        A value of ``FROM_RUN_SIZE`` is the same as not giving it.  ``spelling(location)``
        says how the user wrote an option, for the message: ``--lr`` on the command line,
        ``training.lr in run.yaml`` in a file; by default ``lr=``.
        """
        values = {key: value for key, value in {**(values or {}), **more}.items() if value is not FROM_RUN_SIZE}
        try:
            return cls.model_validate(values)
        except ValidationError as error:
            raise LabkitError(describe_error(error, cls, spelling)) from None

    def plain(self) -> dict:
        """Every option as plain data, for a results file; an option left to the run size says so."""
        def value(v):
            if isinstance(v, Options):
                return v.plain()
            return "from the run size" if v is FROM_RUN_SIZE else list(v) if isinstance(v, tuple) else v
        return {key: value(getattr(self, key)) for key in type(self).model_fields}

    def given(self) -> dict:
        """The options set explicitly (not left at their defaults), as plain data."""
        return {key: getattr(self, key) for key in self.model_fields_set}


def check(option, value, where: str):
    """Check one value against one option's definition, e.g. ``check(Seed, seed, "seed=")``."""
    try:
        return TypeAdapter(option).validate_python(value, strict=True)
    except ValidationError as error:
        raise LabkitError(describe_error(error, spelling=lambda _: where, title=_title(option))) from None


def choices(annotation) -> tuple:
    """The allowed values of an option that is one of a few, e.g. ``("sgd", "adam", "adamw")``; else ()."""
    if get_origin(annotation) is Literal:
        return get_args(annotation)
    return tuple(value for arg in get_args(annotation) for value in choices(arg))


# ---------------------------------------------------------------- one line per refusal
class _Refused(LabkitError):
    """A section refused its options; pydantic reports it at the section's place in a larger whole."""

    def __init__(self, error: ValidationError, cls):
        self.error, self.cls = error, cls
        super().__init__(describe_error(error, cls))


_KIND = {"int_type": "a whole number", "int_from_float": "a whole number", "float_type": "a number",
         "finite_number": "a finite number", "bool_type": "true or false", "string_type": "a string",
         "tuple_type": "a list", "list_type": "a list", "model_type": "a mapping of keys to values",
         "dict_type": "a mapping of keys to values"}
_BOUND = {"greater_than": "greater than {gt}", "greater_than_equal": "at least {ge}",
          "less_than": "less than {lt}", "less_than_equal": "at most {le}",
          "too_short": "at least {min_length} long", "string_too_short": "a non-empty string"}


def _number(value):
    return f"{value:g}" if isinstance(value, float) else value


def _field(cls, keys: tuple):
    """The field a pydantic error location points at, following nested sections."""
    for key in keys[:-1]:
        field = cls.model_fields.get(key)
        if field is None or not (isinstance(field.annotation, type) and issubclass(field.annotation, Options)):
            return cls, None
        cls = field.annotation
    return cls, cls.model_fields.get(keys[-1]) if keys else None


def _bounds(field) -> str:
    """The range an option allows, in words, from its definition: 'greater than 0', 'at least 0, less than 1'."""
    option = Annotated[(field.annotation, *field.metadata)] if field.metadata else field.annotation
    with warnings.catch_warnings():  # a section's defaults include FROM_RUN_SIZE, which JSON cannot hold
        warnings.simplefilter("ignore")
        schema = TypeAdapter(option).json_schema()
    words = []
    for part in [schema, *schema.get("anyOf", [])]:
        words += [f"{word} {_number(part[key])}" for key, word in _SCHEMA_BOUNDS if key in part]
    return ", ".join(words)


_SCHEMA_BOUNDS = (("exclusiveMinimum", "greater than"), ("gt", "greater than"), ("minimum", "at least"),
                  ("ge", "at least"), ("exclusiveMaximum", "less than"), ("lt", "less than"),
                  ("maximum", "at most"), ("le", "at most"))


def _title(option) -> str | None:
    return next((m.title for m in getattr(option, "__metadata__", ()) if getattr(m, "title", None)), None)


def describe_error(error: ValidationError, cls=None, spelling=None, title=None, within=()) -> str:
    """pydantic's first complaint as one line: which option, the bad value, and what is allowed."""
    problem = error.errors()[0]
    keys = within + tuple(step for step in problem["loc"] if isinstance(step, str) and "[" not in step)
    inner = problem.get("ctx", {}).get("error")
    if problem["type"] == "value_error" and isinstance(inner, _Refused):  # a section, checked on its own
        return describe_error(inner.error, cls, spelling, title, within=keys)
    item = next((f", item {step + 1}" for step in problem["loc"] if isinstance(step, int)), "")
    kind, value, context = problem["type"], problem.get("input"), problem.get("ctx", {})
    spelled = spelling(keys) if spelling else ".".join(keys) + "=" if keys else ""
    owner, field = _field(cls, keys) if cls is not None else (None, None)
    title = title or (field.title if field is not None and field.title else keys[-1] if keys else "value")
    where = f" ({spelled}{item})" if spelled or item else ""
    if kind == "extra_forbidden":
        allowed = ", ".join(repr(k) for k in owner.model_fields) if owner is not None else ""
        section = f" in section {keys[-2]!r}" if len(keys) > 1 else ""
        return f"unknown option {keys[-1]!r}{section}{where}; allowed: {allowed}"
    if kind == "literal_error":
        return f"unknown {title} {value!r}{where}; choose one of {context['expected'].replace(' or ', ', ')}"
    if kind == "missing":
        return f"{title}{where} is needed"
    if kind == "value_error":
        return str(context.get("error", problem["msg"]))
    if kind in _BOUND:
        bound = (_bounds(field) if field is not None and not item and kind != "too_short" else "") or \
            _BOUND[kind].format(**{k: _number(v) for k, v in context.items()})
        return f"{title}{where} must be {bound}, got {value!r}"
    if kind in _KIND:
        bounds = _bounds(field) if field is not None and not item else ""
        return f"{title}{where} must be {_KIND[kind]}{' ' + bounds if bounds else ''}, got {value!r}"
    return f"{title}{where}: {problem['msg'][0].lower()}{problem['msg'][1:]}, got {value!r}"
