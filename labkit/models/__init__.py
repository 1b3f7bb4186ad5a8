"""The networks of the lab: MLP, CNN and ResNet, each plain or residual."""

from .blocks import BasicBlock, ZeroPadShortcut
from .cnn import CNN
from .mlp import MLP, MLPBlock
from .registry import MODELS, build_model, count_parameters, count_weight_layers, describe_input, model_family
from .resnet import ResNet, cifar_resnet, resnet18

__all__ = [
    "MLP", "MLPBlock", "CNN", "ResNet", "BasicBlock", "ZeroPadShortcut", "cifar_resnet", "resnet18",
    "MODELS", "build_model", "model_family", "count_parameters", "count_weight_layers", "describe_input",
]
