"""The networks of the lab: MLP, CNN and ResNet, each plain or residual."""

from .cnn import CNN, ConvBlock
from .mlp import MLP, MLPBlock
from .registry import MODELS, build_model, count_parameters, count_weight_layers, model_family
from .resnet import BasicBlock, ResNet, cifar_resnet, resnet18

__all__ = [
    "MLP", "MLPBlock", "CNN", "ConvBlock", "ResNet", "BasicBlock", "cifar_resnet", "resnet18",
    "MODELS", "build_model", "model_family", "count_parameters", "count_weight_layers",
]
