"""Every option of a run, defined once: its type, allowed values, help text and default.

A run has three groups of options, as in a configuration file::

    model:    {name: resnet20, residual: false}          # -> Model
    dataset:  {name: cifar10, batch_size: 128}            # -> Data
    training: {epochs: 30, optimizer: sgd, lr: 0.1}       # -> Training

The command line's flags (``labkit train --lr 0.1``), the YAML files and the
checks made by ``fit``, ``load_data`` and the studies are all built from the
classes below, so an option cannot mean one thing in a file and another on the
command line.  Each option is an annotated type (its range and help), used with
a default in a class.  pydantic does the checking; what it refuses becomes one
:class:`~labkit.errors.LabkitError` line naming the option, the bad value and
what is allowed.  Why pydantic: its ``Field(gt=0)``, ``Literal[...]`` and
``allow_inf_nan=False`` say the rule where the option is defined, in the words
a reader would use, and it reports *where* a value was wrong.

``FROM_RUN_SIZE`` as a default means "whatever ``LABKIT_SIZE`` says" (see
:mod:`labkit.sizes`); ``None`` for a number of images means "all of them".
"""

from __future__ import annotations

import operator
import os
from typing import Annotated, Literal, get_args, get_origin

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, TypeAdapter, ValidationError, model_validator

from .catalog import DATASETS
from .errors import LabkitError
from .sizes import FROM_RUN_SIZE, SIZES

__all__ = [
    "Options", "Model", "Data", "Training", "RunConfig", "FROM_RUN_SIZE",
    "OPTIMIZERS", "SCHEDULES", "PRECISIONS", "LOADERS", "NORMS", "check", "choices", "describe_error",
]

OPTIMIZERS = ("sgd", "adam", "adamw")
SCHEDULES = ("onecycle", "cosine", "step", "plateau", "none")
PRECISIONS = ("auto", "bf16", "fp32")
LOADERS = ("device", "classic")
NORMS = ("none", "batch", "layer")
MAX_SEED = 2**32  # what every random generator of the lab takes


def _whole(value):
    """numpy's and torch's integers count as whole numbers; booleans and 3.0 do not."""
    if not isinstance(value, (bool, float)) and hasattr(value, "__index__"):
        return operator.index(value)
    return value


def _sequence(value):
    """A list from a YAML file or the command line, or a tuple from Python: both are a sequence."""
    return tuple(value) if isinstance(value, list) else value


Whole = Annotated[int, BeforeValidator(_whole)]
PositiveWhole = Annotated[Whole, Field(gt=0)]
Images = PositiveWhole | None  # None: all of them


def _path(value):
    """A folder given as a ``pathlib.Path`` is as good as one given as text."""
    return os.fspath(value) if isinstance(value, os.PathLike) else value


def _literal(values: tuple):
    return Literal.__getitem__(values)


# ---------------------------------------------------------------- the options, each once
# model
ModelName = Annotated[str, Field(title="model", description="the network: mlp, cnn, resnet, "
                                 "resnet20/32/44/56/110 or resnet18 (see labkit.MODELS)")]
Residual = Annotated[bool | None, Field(title="residual", description="with skip connections "
                     "(y = F(x) + x); False: the plain twin. Default: the model's own")]
Depth = Annotated[Whole | None, Field(ge=0, title="depth", description="mlp: Linear layers; "
                  "cnn: blocks per stage; resnet: weight layers, 6n + 2")]
Width = Annotated[PositiveWhole | None, Field(title="width", description="mlp: hidden units; "
                  "resnet18: channels of the first stage")]
Widths = Annotated[Annotated[tuple[PositiveWhole, ...], Field(min_length=1)] | None, BeforeValidator(_sequence),
                   Field(title="widths", description="cnn: channels of each stage")]
Norm = Annotated[_literal(NORMS) | None, Field(title="norm", description="mlp: normalisation after each "
                 "Linear layer: none, batch or layer")]
# data
DatasetName = Annotated[_literal(tuple(DATASETS)), Field(title="dataset", description="mnist or cifar10")]
Root = Annotated[Annotated[str, Field(min_length=1)] | None, BeforeValidator(_path), Field(title="data folder",
                 description="the folder holding the datasets (default: $LABKIT_DATA, else a per-user folder)")]
BatchSize = Annotated[PositiveWhole, Field(title="batch size", description="images per optimiser step")]
TrainImages = Annotated[Images, Field(title="training images",
                        description="use only this many training images (None: all)")]
ValImages = Annotated[Whole, Field(ge=0, title="validation images",
                      description="held out of the training set, a seeded random choice")]
TestImages = Annotated[Images, Field(title="test images", description="the first this many test images (None: all)")]
Augment = Annotated[bool | None, Field(title="augment", description="random crop and flip of training "
                    "batches (default: CIFAR-10 yes, MNIST no)")]
Loader = Annotated[_literal(LOADERS), Field(title="loader", description="device: batches built on the "
                   "training device; classic: torch DataLoader with per-image transforms")]
Workers = Annotated[Whole | None, Field(ge=0, title="loader workers",
                    description="classic loader: worker processes (default: from the CPU cores)")]
Download = Annotated[bool | None, Field(title="download", description="download a missing dataset "
                     "(default: $LABKIT_DOWNLOAD, else yes)")]
Seed = Annotated[Whole, Field(ge=0, lt=MAX_SEED, title="seed", description="seeds the weights, the "
                 "validation split and the batch order")]
# training
Epochs = Annotated[PositiveWhole, Field(title="epochs", description="passes over the training images")]
Optimizer = Annotated[_literal(OPTIMIZERS), Field(title="optimizer", description="sgd (with momentum), "
                      "adam or adamw")]
LearningRate = Annotated[float | None, Field(gt=0, title="learning rate", description="the peak rate "
                         "with onecycle (default: 0.1 for sgd, 0.001 for adam and adamw)")]
Momentum = Annotated[float, Field(ge=0, lt=1, title="momentum", description="sgd: momentum, 0 <= m < 1")]
Nesterov = Annotated[bool, Field(title="nesterov", description="sgd: Nesterov momentum")]
WeightDecay = Annotated[float, Field(ge=0, title="weight decay", description="L2 penalty (decoupled for adamw)")]
Schedule = Annotated[_literal(SCHEDULES), Field(title="schedule", description="learning-rate schedule: "
                     "onecycle, cosine, step, plateau or none")]
LabelSmoothing = Annotated[float, Field(ge=0, lt=1, title="label smoothing",
                           description="share of the target spread over all classes, 0 <= s < 1")]
Patience = Annotated[PositiveWhole | None, Field(title="early-stopping patience", description="stop "
                     "when validation accuracy has not improved for this many epochs")]
CheckpointEvery = Annotated[PositiveWhole | None, Field(title="checkpoint interval", description="save "
                            "everything needed to resume every this many epochs (needs an output folder)")]
Precision = Annotated[_literal(PRECISIONS), Field(title="precision", description="auto (bf16 on a GPU that "
                      "has it, else fp32), bf16 or fp32")]
Compile = Annotated[bool, Field(title="compile", description="torch.compile the model")]
RunSizeName = Annotated[_literal(tuple(SIZES)) | None, Field(title="run size", description="smoke, cpu "
                        "or full (default: $LABKIT_SIZE, else full with a GPU, cpu without)")]


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


class Model(Options):
    """Which network to build.  Each model takes only some options (``labkit.MODELS`` says which)."""

    name: ModelName = "mlp"
    residual: Residual = None
    depth: Depth = None
    width: Width = None
    widths: Widths = None
    norm: Norm = None

    def options(self) -> dict:
        """The options given for the model, for ``build_model(name, dataset, **options)``."""
        return {key: value for key, value in self.given().items() if key != "name"}


class Data(Options):
    """Which dataset, how much of it, and how it is batched."""

    name: DatasetName = "mnist"
    root: Root = None
    batch_size: BatchSize = FROM_RUN_SIZE
    train_images: TrainImages = FROM_RUN_SIZE
    val_images: ValImages = FROM_RUN_SIZE
    test_images: TestImages = FROM_RUN_SIZE
    augment: Augment = None
    loader: Loader = "device"
    num_workers: Workers = None
    download: Download = None

    @model_validator(mode="after")
    def _leaves_training_images(self):
        total = DATASETS[self.name].train_images
        val = self.val_images if isinstance(self.val_images, int) else 0
        if val >= total:
            raise ValueError(f"validation images must leave training images: {self.name} has {total:,} "
                             f"training images, got val_images={val!r}")
        return self


class Training(Options):
    """How the network is trained: everything ``fit`` takes besides the model and the data."""

    epochs: Epochs = FROM_RUN_SIZE
    optimizer: Optimizer = "sgd"
    lr: LearningRate = None
    momentum: Momentum = 0.9
    nesterov: Nesterov = True
    weight_decay: WeightDecay = 5e-4
    schedule: Schedule = "onecycle"
    label_smoothing: LabelSmoothing = 0.0
    early_stopping: Patience = None
    checkpoint_every: CheckpointEvery = None
    seed: Seed = 0
    precision: Precision = "auto"
    compile: Compile = False

    @property
    def learning_rate(self) -> float:
        """``lr``, or the usual rate for the optimiser: 0.1 for SGD, 0.001 for Adam(W)."""
        if self.lr is not None:
            return self.lr
        return 0.1 if self.optimizer == "sgd" else 1e-3


class RunConfig(Options):
    """A whole run, as in a YAML configuration file: sections ``model``, ``dataset``, ``training``."""

    model: Model = Model()
    dataset: Data = Data()
    training: Training = Training()


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
