import pytest
import torch

from labkit import LabkitError, build_model, count_parameters, count_weight_layers
from labkit.models import MODELS, BasicBlock, MLPBlock

SHAPES = {"mnist": (1, 28, 28), "cifar10": (3, 32, 32)}
SMALL = {"resnet18": {"width": 8}}


@pytest.mark.parametrize("dataset", SHAPES)
@pytest.mark.parametrize("name", MODELS)
def test_every_model_gives_ten_scores_per_image(name, dataset):
    if name == "resnet110":
        pytest.skip("same code as resnet20, only deeper")
    model = build_model(name, dataset, **SMALL.get(name, {})).eval()
    assert model(torch.randn(2, *SHAPES[dataset])).shape == (2, 10)


@pytest.mark.parametrize("name, options", [
    ("mlp", {"depth": 2}), ("mlp", {"depth": 5}), ("mlp", {"depth": 50}), ("mlp", {"depth": 7, "norm": "batch"}),
    ("cnn", {}), ("cnn", {"depth": 3, "widths": [8, 16]}), ("resnet20", {}), ("resnet56", {}),
    ("resnet", {"depth": 14}),
])
def test_plain_and_residual_twins_have_equal_layers_and_parameters(name, options):
    plain = build_model(name, "cifar10", residual=False, **options)
    residual = build_model(name, "cifar10", residual=True, **options)
    assert count_parameters(plain) == count_parameters(residual)
    assert count_weight_layers(plain) == count_weight_layers(residual)
    assert count_weight_layers(plain, shortcuts=True) == count_weight_layers(residual, shortcuts=True)


@pytest.mark.parametrize("depth", [2, 3, 5, 10, 50, 100])
def test_mlp_depth_counts_linear_layers(depth):
    model = build_model("mlp", "mnist", depth=depth, residual=True)
    assert sum(isinstance(m, torch.nn.Linear) for m in model.modules()) == depth


@pytest.mark.parametrize("depth", [20, 32, 44, 56, 110])
def test_cifar_resnet_has_6n_plus_2_weight_layers(depth):
    assert count_weight_layers(build_model("resnet", "cifar10", depth=depth)) == depth


def test_parameter_counts_match_the_papers():
    # He et al. (2016), Table 6: ResNet-20 has 0.27M parameters, ResNet-110 1.7M.
    assert round(count_parameters(build_model("resnet20")) / 1e6, 2) == 0.27
    assert round(count_parameters(build_model("resnet110")) / 1e6, 1) == 1.7
    # ResNet-18 for CIFAR (3x3 stem, 10 classes) is the well-known 11.17M.
    assert round(count_parameters(build_model("resnet18")) / 1e6, 2) == 11.17


def test_resnet18_twins_differ_only_by_projection_shortcuts():
    plain, residual = build_model("resnet18", residual=False), build_model("resnet18", residual=True)
    assert count_weight_layers(plain) == count_weight_layers(residual) == 18
    shortcut = sum(p.numel() for n, p in residual.named_parameters() if "shortcut" in n)
    assert count_parameters(residual) - count_parameters(plain) == shortcut > 0


def _zero_last(*layers):
    for layer in layers:
        torch.nn.init.zeros_(layer.weight)
        if layer.bias is not None:
            torch.nn.init.zeros_(layer.bias)


@pytest.mark.parametrize("layers", [1, 2])
def test_mlp_block_is_the_identity_when_its_branch_is_zero(layers):
    block = MLPBlock(16, layers=layers, residual=True)
    _zero_last(block.fc2 if layers == 2 else block.fc1)
    x = torch.rand(4, 16)  # a block's input comes from a ReLU: never negative
    assert torch.equal(block(x), x)
    plain = MLPBlock(16, layers=layers, residual=False)
    _zero_last(plain.fc2 if layers == 2 else plain.fc1)
    assert torch.equal(plain(x), torch.zeros_like(x))  # without the skip, the signal is gone


@pytest.mark.parametrize("block", [BasicBlock(8, residual=True),
                                   BasicBlock(8, 8, residual=True, shortcut="projection")])
def test_conv_blocks_are_the_identity_when_their_branch_is_zero(block):
    _zero_last(block.bn2)  # F(x) = bn2(...) = 0
    x = torch.rand(2, 8, 6, 6)
    assert torch.allclose(block.eval()(x), x)


def test_zero_pad_shortcut_keeps_the_subsampled_input():
    block = BasicBlock(4, 8, stride=2, residual=True, shortcut="zero_pad")
    _zero_last(block.bn2)
    x = torch.rand(1, 4, 6, 6)
    out = block.eval()(x)
    assert out.shape == (1, 8, 3, 3)
    assert torch.equal(out[:, :4], x[:, :, ::2, ::2]) and torch.equal(out[:, 4:], torch.zeros(1, 4, 3, 3))


@pytest.mark.parametrize("call, words", [
    (lambda: build_model("vgg16"), ["'vgg16'", "'mlp'", "'resnet18'"]),
    (lambda: build_model("mlp", "imagenet"), ["'imagenet'", "'mnist'", "'cifar10'"]),
    (lambda: build_model("mlp", depth=1), ["depth 1", "minimum", "2"]),
    (lambda: build_model("resnet", depth=4), ["depth 4", "minimum", "8"]),
    (lambda: build_model("resnet", depth=21), ["21", "6n + 2"]),
    (lambda: build_model("mlp", dropout=0.5), ["'dropout'", "'depth'", "'width'"]),
    (lambda: build_model("mlp", width="wide"), ["width", "whole number greater than 0", "'wide'"]),
    (lambda: build_model("mlp", norm="group"), ["'group'", "'batch'", "'layer'"]),
    (lambda: build_model("resnet20", depth=32), ["depth is fixed", "'resnet'"]),
])
def test_bad_model_requests_say_what_is_allowed(call, words):
    with pytest.raises(LabkitError) as error:
        call()
    assert all(word in str(error.value) for word in words), str(error.value)
