"""``build_model(name, dataset, **options)``: every network of the lab by name.

The registry is the front door for models: it checks the name, the dataset and
each option -- its type and range (defined once in :class:`labkit.options.Model`)
and whether this model takes it -- and refuses a network too large to build,
saying how many parameters it would have, before any weight is allocated.
The model classes check what only they know (an MLP's minimum depth, a CIFAR
ResNet's 6n + 2 layers).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import nn

from ..catalog import DATASETS
from ..errors import LabkitError, check_choice
from ..options import Model
from .cnn import CNN
from .mlp import MLP
from .resnet import ResNet, cifar_resnet, resnet18

__all__ = ["MODELS", "MAX_PARAMETERS", "build_model", "model_family", "count_parameters", "count_weight_layers",
           "describe_input"]

MAX_PARAMETERS = 500_000_000  # 2 GB of float32 weights; the lab's largest network, ResNet-18, has 11.2 million


@dataclass(frozen=True)
class ModelSpec:
    family: str  # "mlp", "cnn" or "resnet": decides the run size's epochs
    defaults: dict  # the options this model takes, with their defaults
    per_dataset: dict = field(default_factory=dict)  # dataset -> defaults that differ for it


def _mlp(info, depth, width, residual, norm):
    return MLP(info.channels * info.image_size**2, info.num_classes, depth, width, residual, norm)


def _cnn(info, widths, depth, residual):
    return CNN(info.channels, info.num_classes, tuple(widths), depth, residual)


def _resnet(info, depth, residual):
    return cifar_resnet(depth, info.channels, info.num_classes, residual)


def _resnet18(info, width, residual):
    return resnet18(info.channels, info.num_classes, residual, width)


MODELS = {
    "mlp": ModelSpec("mlp", {"depth": 3, "width": 256, "residual": False, "norm": None}),
    # MNIST is easy: a CNN with half the channels (a quarter of the work) reaches 99 %.
    "cnn": ModelSpec("cnn", {"widths": (32, 64, 128), "depth": 1, "residual": False},
                     {"mnist": {"widths": (16, 32, 64)}}),
    "resnet": ModelSpec("resnet", {"depth": 20, "residual": True}),
    **{f"resnet{d}": ModelSpec("resnet", {"residual": True}) for d in (20, 32, 44, 56, 110)},
    "resnet18": ModelSpec("resnet", {"width": 64, "residual": True}),
}
_BUILDERS = {"mlp": _mlp, "cnn": _cnn, "resnet": _resnet, "resnet18": _resnet18}


def model_family(name: str) -> str:
    """"mlp", "cnn" or "resnet": which kind of network ``name`` is."""
    return MODELS[check_choice("model", name, MODELS)].family


def _settings(name: str, dataset: str, options: dict) -> dict:
    spec = MODELS[name]
    given = Model.checked(options).given()  # types and ranges, defined once
    for key in given:
        if key not in spec.defaults:
            allowed = ", ".join(repr(k) for k in spec.defaults)
            fixed = f" (its depth is fixed: for another depth use model 'resnet' with depth={given[key]!r})" \
                if key == "depth" and name.startswith("resnet") and spec.family == "resnet" else ""
            raise LabkitError(f"model {name!r} takes no option {key!r}{fixed}; its options: {allowed}")
    settings = {**spec.defaults, **spec.per_dataset.get(dataset, {}), **given}
    if name.startswith("resnet") and name not in ("resnet", "resnet18"):
        settings["depth"] = int(name[len("resnet"):])
    return settings


def build_model(name: str, dataset: str = "cifar10", **options) -> nn.Module:
    """Build the network ``name`` for the images and classes of ``dataset`` ("mnist" or "cifar10").

    Examples: ``build_model("mlp", "mnist", depth=5)``,
    ``build_model("resnet20", "cifar10", residual=False)`` (the plain-20 twin),
    ``build_model("resnet", depth=56)``.
    """
    check_choice("model", name, MODELS)
    info = DATASETS[check_choice("dataset", dataset, DATASETS)]
    settings = _settings(name, dataset, options)
    builder = _BUILDERS.get(name, _resnet)
    with torch.device("meta"):  # the shape of the network, without allocating a single weight
        parameters = count_parameters(builder(info, **settings))
    if parameters > MAX_PARAMETERS:
        raise LabkitError(f"model {name!r} with {settings} would have {parameters:,} parameters "
                          f"({parameters * 4 / 1e9:.1f} GB of weights); at most {MAX_PARAMETERS:,} are allowed")
    return builder(info, **settings)


def count_parameters(model: nn.Module) -> int:
    """Number of trainable numbers in the model."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def count_weight_layers(model: nn.Module, shortcuts: bool = False) -> int:
    """Convolutional and Linear layers on the main path (projection shortcuts only if ``shortcuts``)."""
    return sum(
        isinstance(module, (nn.Conv2d, nn.Linear)) and (shortcuts or "shortcut" not in name)
        for name, module in model.named_modules()
    )


def describe_input(model: nn.Module) -> str:
    """What images a network of the lab takes, in words: 'takes 784 values per image (MNIST's 1x28x28)'."""
    if isinstance(model, MLP):
        known = [f"{info.title}'s {'x'.join(map(str, info.input_shape))}" for info in DATASETS.values()
                 if info.channels * info.image_size**2 == model.in_features]
        return f"takes {model.in_features:,} values per image" + (f" ({known[0]})" if known else "")
    if isinstance(model, (CNN, ResNet)):
        known = [info.title for info in DATASETS.values() if info.channels == model.in_channels]
        return (f"takes images with {model.in_channels} channel{'s' if model.in_channels > 1 else ''}"
                + (f" (like {' and '.join(known)})" if known else ""))
    return "takes other images"
