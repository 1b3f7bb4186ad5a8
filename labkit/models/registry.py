"""``build_model(name, dataset, **options)``: every network of the lab by name.

The registry is the front door for models: it checks the name, the dataset
and each option (name, type, minimum depth) and raises a ``LabkitError``
listing the allowed values, before any layer is built.
"""

from __future__ import annotations

from dataclasses import dataclass

from torch import nn

from ..catalog import DATASETS
from ..errors import LabkitError, check_choice
from .cnn import CNN
from .mlp import MLP
from .resnet import cifar_resnet, resnet18

__all__ = ["MODELS", "build_model", "model_family", "count_parameters", "count_weight_layers"]


@dataclass(frozen=True)
class ModelSpec:
    family: str  # "mlp", "cnn" or "resnet": decides the run size's epochs
    defaults: dict  # option name -> default value (its type is the allowed type)
    choices: dict  # option name -> allowed values, where only some are allowed
    per_dataset: dict = None  # dataset -> defaults that differ for it


def _mlp(info, depth, width, residual, norm):
    pixels = info.channels * info.image_size**2
    return MLP(pixels, info.num_classes, depth, width, residual, norm)


def _cnn(info, widths, depth, residual):
    return CNN(info.channels, info.num_classes, tuple(widths), depth, residual)


def _resnet(info, depth, residual):
    return cifar_resnet(depth, info.channels, info.num_classes, residual)


def _resnet18(info, width, residual):
    return resnet18(info.channels, info.num_classes, residual, width)


MODELS = {
    "mlp": ModelSpec("mlp", {"depth": 3, "width": 256, "residual": False, "norm": None},
                     {"norm": (None, "batch", "layer")}),
    # MNIST is easy: a CNN with half the channels (a quarter of the work) reaches 99 %.
    "cnn": ModelSpec("cnn", {"widths": (32, 64, 128), "depth": 1, "residual": False}, {},
                     {"mnist": {"widths": (16, 32, 64)}}),
    "resnet": ModelSpec("resnet", {"depth": 20, "residual": True}, {}),
    **{f"resnet{d}": ModelSpec("resnet", {"depth": d, "residual": True}, {}) for d in (20, 32, 44, 56, 110)},
    "resnet18": ModelSpec("resnet", {"width": 64, "residual": True}, {}),
}
_BUILDERS = {"mlp": _mlp, "cnn": _cnn, "resnet18": _resnet18}
_MIN_DEPTH = {"mlp": 2, "cnn": 0, "resnet": 8}


def model_family(name: str) -> str:
    """"mlp", "cnn" or "resnet": which kind of network ``name`` is."""
    return MODELS[check_choice("model", name, MODELS)].family


def _check_option(name: str, key: str, value, spec: ModelSpec):
    if key not in spec.defaults:
        allowed = ", ".join(repr(k) for k in spec.defaults)
        raise LabkitError(f"unknown option {key!r} for model {name!r}; allowed options: {allowed}")
    if key in spec.choices:
        return check_choice(f"{key} for model {name!r}", value, spec.choices[key])
    default = spec.defaults[key]
    if isinstance(default, tuple):
        ok = isinstance(value, (list, tuple)) and value and all(
            isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in value)
        wanted = "a list of positive integers"
    elif isinstance(default, bool):
        ok, wanted = isinstance(value, bool), "true or false"
    else:  # depth may be 0 (a CNN without blocks); its minimum is checked per model
        ok = isinstance(value, int) and not isinstance(value, bool) and value >= (0 if key == "depth" else 1)
        wanted = "a whole number" if key == "depth" else "a positive integer"
    if not ok:
        raise LabkitError(f"option {key!r} of model {name!r} must be {wanted}, got {value!r}")
    return value


def _check_depth(name: str, family: str, depth: int) -> None:
    if depth < _MIN_DEPTH[family]:
        raise LabkitError(f"depth {depth} is below the minimum for model {name!r}: {_MIN_DEPTH[family]}")
    if family == "resnet" and (depth - 2) % 6:
        raise LabkitError(f"depth {depth} is not allowed for model {name!r}: "
                          "a CIFAR ResNet has 6n + 2 layers (8, 14, 20, 26, 32, ..., 56, 110)")


def build_model(name: str, dataset: str = "cifar10", **options) -> nn.Module:
    """Build the network ``name`` for ``dataset`` ("mnist" or "cifar10").

    Examples: ``build_model("mlp", "mnist", depth=5)``,
    ``build_model("resnet20", "cifar10", residual=False)`` (the plain-20 twin),
    ``build_model("resnet", depth=56)``.
    """
    spec = MODELS[check_choice("model", name, MODELS)]
    info = DATASETS[check_choice("dataset", dataset, DATASETS)]
    if name.startswith("resnet") and name != "resnet18" and name != "resnet" and "depth" in options:
        raise LabkitError(f"model {name!r} has a fixed depth; use model 'resnet' with depth={options['depth']!r}")
    settings = {**spec.defaults, **(spec.per_dataset or {}).get(dataset, {})}
    settings.update({key: _check_option(name, key, value, spec) for key, value in options.items()})
    if "depth" in settings:
        _check_depth(name, spec.family, settings["depth"])
    builder = _BUILDERS.get(name, _resnet)
    model = builder(info, **settings)
    model.label = name  # what progress bars call it: "resnet18", not the class name "ResNet"
    return model


def count_parameters(model: nn.Module) -> int:
    """Number of trainable numbers in the model."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def count_weight_layers(model: nn.Module, shortcuts: bool = False) -> int:
    """Convolutional and Linear layers on the main path (projection shortcuts only if ``shortcuts``)."""
    return sum(
        isinstance(module, (nn.Conv2d, nn.Linear)) and (shortcuts or "shortcut" not in name)
        for name, module in model.named_modules()
    )
