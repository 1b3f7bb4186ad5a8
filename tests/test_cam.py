"""Class activation maps: a hand-set network whose map is known, CAM = Grad-CAM on the pooled layer of real
networks, hooks that go away, and pytorch-grad-cam as an independent cross-check."""

import pytest
import torch
from torch import nn

import labkit as lk
from labkit.cam import class_activation_maps, feature_layer, grad_cam, upsample
from labkit.errors import LabkitError


class HandSet(nn.Module):
    """Two feature maps of a one-channel 8 x 8 image: A_0 = relu(x), A_1 = relu(1 - x); w = [[2, 0], [0, 3]]."""

    def __init__(self):
        super().__init__()
        conv = nn.Conv2d(1, 2, 1)
        self.stages = nn.Sequential(nn.Sequential(conv, nn.ReLU()))
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(2, 2)
        with torch.no_grad():
            conv.weight.copy_(torch.tensor([1.0, -1.0]).view(2, 1, 1, 1))
            conv.bias.copy_(torch.tensor([0.0, 1.0]))
            self.fc.weight.copy_(torch.tensor([[2.0, 0.0], [0.0, 3.0]]))
            self.fc.bias.copy_(torch.tensor([0.5, -0.25]))

    def forward(self, x):
        return self.fc(torch.flatten(self.pool(self.stages(x)), 1))


def _square_image():
    x = torch.zeros(1, 1, 8, 8)
    x[..., :3, 5:] = 1.0  # a bright 3 x 3 square in the top right corner
    return x


def test_cam_of_a_hand_set_network_is_the_map_its_weights_say():
    model, x = HandSet(), _square_image()
    square = class_activation_maps(model, x, classes=0)
    background = class_activation_maps(model, x, classes=torch.tensor([1]))
    assert torch.equal(square.maps, 2 * x[:, 0])  # w_00 A_0 = 2 x: bright exactly on the square
    assert torch.equal(background.maps, 3 * (1 - x[:, 0]))  # w_11 A_1: everywhere but the square
    # the score is the map's mean plus the bias, for each class
    assert torch.allclose(square.logits[0], torch.stack([m.mean() for m in (square.maps, background.maps)])
                          + model.fc.bias.detach())
    assert square.predicted.tolist() == [1] and class_activation_maps(model, x).classes.tolist() == [1]


def test_cam_is_upsampled_to_the_image_and_keeps_its_mean():
    model = lk.build_model("resnet20", "cifar10")
    x = torch.randn(3, 3, 32, 32)
    small = class_activation_maps(model, x, upsample_to_image=False)
    large = class_activation_maps(model, x)
    assert small.maps.shape == (3, 8, 8) and large.maps.shape == (3, 32, 32)
    assert torch.allclose(large.maps, upsample(small.maps, (32, 32)))
    bias = model.fc.bias.detach()[small.classes]
    assert torch.allclose(small.maps.mean(dim=(1, 2)) + bias, small.logits.gather(1, small.classes[:, None])[:, 0],
                          atol=1e-5)


@pytest.mark.parametrize("name, options", [("cnn", {}), ("resnet20", {}), ("resnet20", {"residual": False}),
                                           ("resnet18", {"width": 8})])
def test_grad_cam_on_the_pooled_layer_is_cam_up_to_a_positive_factor(name, options):
    """For a GAP + Linear head, dy_c/dA_k(i, j) = w_ck / hw at every pixel: Grad-CAM = relu(CAM) / hw."""
    torch.manual_seed(0)
    model = lk.build_model(name, "cifar10", **options)
    with torch.no_grad():  # batch norm statistics that are not the initial 0 and 1, like a trained network's
        model.train()
        model(torch.randn(16, 3, 32, 32))
    x = torch.randn(4, 3, 32, 32)
    classes = torch.tensor([0, 3, 7, 9])
    cam = class_activation_maps(model, x, classes, upsample_to_image=False)
    grad = grad_cam(model, x, classes, upsample_to_image=False)
    h, w = cam.maps.shape[-2:]
    assert (cam.maps < 0).any() and (cam.maps > 0).any()  # the ReLU matters
    assert torch.allclose(grad.maps * h * w, cam.maps.relu(), rtol=1e-4, atol=1e-5)
    assert torch.equal(grad.classes, classes) and torch.allclose(grad.logits, cam.logits, atol=1e-5)


def test_grad_cam_works_on_an_earlier_layer_and_restores_the_model():
    model = lk.build_model("cnn", "cifar10")
    model.train()
    x = torch.randn(2, 3, 32, 32)
    early = grad_cam(model, x, layer=model.stages[0].entry, upsample_to_image=False)
    assert early.maps.shape == (2, 32, 32) and (early.maps >= 0).all()
    assert grad_cam(model, x, layer=model.stages[1]).maps.shape == (2, 32, 32)
    assert model.training  # the mode it had
    assert all(p.grad is None for p in model.parameters())  # no gradient left in the weights


def _hooks(model):
    return sum(len(m._forward_hooks) + len(m._forward_pre_hooks) for m in model.modules())


def test_hooks_are_removed_after_use_even_when_the_forward_pass_fails():
    model = lk.build_model("resnet20", "cifar10")
    x = torch.randn(2, 3, 32, 32)
    class_activation_maps(model, x)
    grad_cam(model, x)
    grad_cam(model, x, layer=model.stem)
    assert _hooks(model) == 0
    with pytest.raises(RuntimeError):
        grad_cam(model, torch.randn(2, 1, 32, 32))  # three colour channels expected
    with pytest.raises(RuntimeError):
        class_activation_maps(model, torch.randn(2, 1, 32, 32))
    assert _hooks(model) == 0


def test_bad_input_is_refused_in_one_line():
    model = lk.build_model("resnet20", "cifar10")
    with pytest.raises(LabkitError, match="global average pooling"):
        class_activation_maps(lk.build_model("mlp", "cifar10"), torch.randn(1, 3, 32, 32))
    with pytest.raises(LabkitError, match="normalised floats"):
        class_activation_maps(model, torch.zeros(3, 32, 32, dtype=torch.uint8))
    with pytest.raises(LabkitError, match="each in 0..9"):
        grad_cam(model, torch.randn(2, 3, 32, 32), classes=10)
    with pytest.raises(LabkitError, match="one per image"):
        class_activation_maps(model, torch.randn(2, 3, 32, 32), classes=[1, 2, 3])
    with pytest.raises(LabkitError, match="feature maps"):
        grad_cam(model, torch.randn(2, 3, 32, 32), layer=model.fc)
    assert _hooks(model) == 0
    assert feature_layer(model) is model.stages[-1]


def test_grad_cam_agrees_with_pytorch_grad_cam():
    """pytorch-grad-cam (the `grad-cam` package) resizes each map with OpenCV and scales it to [0, 1]."""
    pytest.importorskip("pytorch_grad_cam")
    from pytorch_grad_cam import GradCAM
    from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget

    torch.manual_seed(1)
    model = lk.build_model("resnet20", "cifar10").eval()
    x = torch.randn(3, 3, 32, 32)
    classes = [2, 5, 8]
    ours = grad_cam(model, x, classes, layer=model.stages[1]).maps
    low, high = ours.amin(dim=(1, 2), keepdim=True), ours.amax(dim=(1, 2), keepdim=True)
    ours = (ours - low) / (high - low + 1e-7)
    with GradCAM(model=model, target_layers=[model.stages[1]]) as theirs:
        expected = theirs(input_tensor=x, targets=[ClassifierOutputTarget(c) for c in classes])
    assert torch.allclose(ours, torch.as_tensor(expected), atol=1e-4)
