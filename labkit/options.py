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

from typing import Annotated

from pydantic import BeforeValidator, Field, model_validator

from .catalog import DATASETS
from .sizes import FROM_RUN_SIZE, SIZES
from .validation import Options, PositiveWhole, Whole, check, choices, describe_error, literal
from .validation import path_text as _path
from .validation import sequence as _sequence

__all__ = [
    "Options", "Model", "Data", "Training", "RunConfig", "FROM_RUN_SIZE",
    "OPTIMIZERS", "SCHEDULES", "PRECISIONS", "LOADERS", "NORMS", "check", "choices", "describe_error",
]

OPTIMIZERS = ("sgd", "adam", "adamw")
SCHEDULES = ("onecycle", "cosine", "step", "plateau", "none")
PRECISIONS = ("auto", "bf16", "fp16", "fp32")
LOADERS = ("device", "classic")
NORMS = ("none", "batch", "layer")
MAX_SEED = 2**32  # what every random generator of the lab takes
Images = PositiveWhole | None  # None: all of them


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
Norm = Annotated[literal(NORMS) | None, Field(title="norm", description="mlp: normalisation after each "
                 "Linear layer: none, batch or layer")]
# data
DatasetName = Annotated[literal(tuple(DATASETS)), Field(title="dataset", description="mnist or cifar10")]
Root = Annotated[Annotated[str, Field(min_length=1)] | None, BeforeValidator(_path), Field(title="data folder",
                 description="the folder holding the datasets (default: $LABKIT_DATA, else a per-user folder)")]
BatchSize = Annotated[PositiveWhole, Field(title="batch size", description="images per optimiser step")]
TrainImages = Annotated[Images, Field(title="training images",
                        description="use only this many training images (None: all)")]
ValImages = Annotated[Whole, Field(ge=0, title="validation images",
                      description="held out of the training set, a seeded random choice")]
TestImages = Annotated[Images, Field(title="test images", description="the first this many test images (None: all)")]
Augment = Annotated[bool | None, Field(title="augment", description="random crop and flip of training "
                    "batches (default: the run size's choice, else CIFAR-10 yes, MNIST no)")]
Loader = Annotated[literal(LOADERS), Field(title="loader", description="device: batches built on the "
                   "training device; classic: torch DataLoader with per-image transforms")]
Workers = Annotated[Whole | None, Field(ge=0, title="loader workers",
                    description="classic loader: worker processes (default: from the CPU cores)")]
Download = Annotated[bool | None, Field(title="download", description="download a missing dataset "
                     "(default: $LABKIT_DOWNLOAD, else yes)")]
Seed = Annotated[Whole, Field(ge=0, lt=MAX_SEED, title="seed", description="seeds the weights, the "
                 "validation split and the batch order")]
# training
Epochs = Annotated[PositiveWhole, Field(title="epochs", description="passes over the training images")]
Optimizer = Annotated[literal(OPTIMIZERS), Field(title="optimizer", description="sgd (with momentum), "
                      "adam or adamw")]
LearningRate = Annotated[float | None, Field(gt=0, title="learning rate", description="the peak rate "
                         "with onecycle (default: 0.1 for sgd, 0.001 for adam and adamw)")]
Momentum = Annotated[float, Field(ge=0, lt=1, title="momentum", description="sgd: momentum, 0 <= m < 1")]
Nesterov = Annotated[bool, Field(title="nesterov", description="sgd: Nesterov momentum")]
WeightDecay = Annotated[float, Field(ge=0, title="weight decay", description="L2 penalty (decoupled for adamw)")]
Schedule = Annotated[literal(SCHEDULES), Field(title="schedule", description="learning-rate schedule: "
                     "onecycle, cosine, step, plateau or none")]
LabelSmoothing = Annotated[float, Field(ge=0, lt=1, title="label smoothing",
                           description="share of the target spread over all classes, 0 <= s < 1")]
Patience = Annotated[PositiveWhole | None, Field(title="early-stopping patience", description="stop "
                     "when validation accuracy has not improved for this many epochs")]
CheckpointEvery = Annotated[PositiveWhole | None, Field(title="checkpoint interval", description="save "
                            "everything needed to resume every this many epochs (needs an output folder)")]
Precision = Annotated[literal(PRECISIONS), Field(title="precision", description="auto (bf16 on a GPU that "
                      "has it natively, fp16 with a gradient scaler on older GPUs, else fp32), bf16, fp16 or fp32")]
Compile = Annotated[bool, Field(title="compile", description="torch.compile the model")]
RunSizeName = Annotated[literal(tuple(SIZES)) | None, Field(title="run size", description="smoke, cpu, gpu "
                        "or full (default: $LABKIT_SIZE, else gpu with a CUDA GPU, cpu without)")]


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
