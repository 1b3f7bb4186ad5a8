"""Notebook 08's exercises: a class activation map from the feature maps and the Linear layer's weights, and
Grad-CAM from a layer's activations and gradients."""

from __future__ import annotations

import torch

from .core import Mistake, close, exercise, expect_tensor, off_by

__all__ = ["check_class_map", "check_grad_cam_map"]

_N, _K, _H, _W = 3, 10, 4, 5  # images, feature maps (as many as classes: a row and a column look alike), pixels


def _same(answer, expected) -> bool:
    return tuple(answer.shape) == tuple(expected.shape) and close(answer, expected)


@exercise("08.class_map", "a class activation map: M_c = sum over k of w_ck A_k")
def check_class_map(class_map) -> str:
    """``class_map(features, weight, c)``: features (N, K, h, w), fc weight (classes, K) -> the map (N, h, w)."""
    torch.manual_seed(8)
    features = torch.randn(_N, _K, _H, _W).relu()  # after a ReLU, as the last stage's maps are
    weight = torch.randn(_K, _K)
    c = 3
    answer = class_map(features, weight, c)
    expected = torch.einsum("k,nkhw->nhw", weight[c], features)
    if isinstance(answer, torch.Tensor) and tuple(answer.shape) in ((_N, _K), (_N,), (_N, 1), (_N, 1, 1)):
        raise Mistake(f"the result has shape {tuple(answer.shape)}: the pixels were averaged away; the map keeps "
                      f"one value per pixel, (N, h, w) = {(_N, _H, _W)} -- averaging is what the pool does after")
    answer = expect_tensor(answer, f"class_map(features, weight, c={c})", expected.shape)
    if _same(answer, expected):
        if not _same(class_map(features, weight, 7), torch.einsum("k,nkhw->nhw", weight[7], features)):
            raise Mistake("right for class 3 but not for class 7: take the row weight[c] of the class asked for")
        return "M_c = sum_k w_ck A_k, one value per pixel; its mean plus b_c is the score of class c"
    wrong = [(torch.einsum("k,nkhw->nhw", weight[:, c], features),
              "that uses the column weight[:, c]; class c's weights (one per feature map) are the row weight[c]"),
             (expected.relu(), "CAM keeps the negative values (evidence against the class); the ReLU is Grad-CAM's"),
             (expected / _K, "that averages over the feature maps; CAM sums w_ck A_k over k"),
             (torch.einsum("nkhw->nhw", features) * weight[c].sum(), "each map A_k needs its own weight w_ck: "
              "multiply before summing over k, not the sums")]
    for output, hint in wrong:
        if _same(answer, output):
            raise Mistake(hint)
    for other in range(_K):
        if other != c and _same(answer, torch.einsum("k,nkhw->nhw", weight[other], features)):
            raise Mistake(f"that is the map of class {other}; use the row weight[c] of class c = {c}")
    raise Mistake(f"differs from sum_k weight[c, k] * features[:, k]: {off_by(answer, expected)}")


@exercise("08.grad_cam", "Grad-CAM: relu(sum over k of alpha_k A_k), alpha_k the mean gradient of map k")
def check_grad_cam_map(grad_cam_map) -> str:
    """``grad_cam_map(activations, gradients)``: both (N, K, h, w) -> the maps (N, h, w)."""
    torch.manual_seed(9)
    activations = torch.randn(_N, _K, _H, _W).relu()
    gradients = torch.randn(_N, _K, _H, _W)
    answer = grad_cam_map(activations, gradients)
    alpha = gradients.mean(dim=(2, 3), keepdim=True)
    expected = (alpha * activations).sum(dim=1).relu()
    answer = expect_tensor(answer, "grad_cam_map(activations, gradients)", expected.shape)
    if _same(answer, expected):
        weight = torch.randn(_K, _K)[2]  # a GAP + Linear head: dy/dA_k(i, j) = w_k / hw at every pixel
        flat = weight.view(1, _K, 1, 1).expand(_N, _K, _H, _W) / (_H * _W)
        cam = torch.einsum("k,nkhw->nhw", weight, activations)
        if not _same(grad_cam_map(activations, flat), cam.relu() / (_H * _W)):
            raise Mistake("right on random gradients but not on those of a GAP + Linear head: check the ReLU")
        return "alpha_k is the mean gradient, the map relu(sum_k alpha_k A_k); on the pooled layer it is relu(CAM)/hw"
    summed = (gradients.sum(dim=(2, 3), keepdim=True) * activations).sum(dim=1).relu()
    wrong = [((alpha * activations).sum(dim=1), "the ReLU is missing: Grad-CAM keeps only the positive evidence, "
                                                "relu(sum_k alpha_k A_k)"),
             (summed, f"alpha_k is the *mean* gradient over the pixels, not their sum: the map is h*w = {_H * _W} "
                      "times too large"),
             ((gradients * activations).sum(dim=1).relu(), "the gradient multiplies the map pixel by pixel; alpha_k "
              "is one number per map, the mean of its gradient over the pixels (dim=(2, 3))"),
             ((gradients.mean(dim=1, keepdim=True) * activations).sum(dim=1).relu(),
              "that averages the gradient over the feature maps (dim=1); alpha_k averages over the pixels, dim=(2, 3)"),
             ((gradients.mean(dim=(0, 2, 3), keepdim=True) * activations).sum(dim=1).relu(),
              "that averages over the images too (dim 0): each image has its own weights alpha_k, dim=(2, 3) only"),
             ((alpha * activations).mean(dim=1).relu(), "that averages over k; the map sums alpha_k A_k over k")]
    for output, hint in wrong:
        if _same(answer, output):
            raise Mistake(hint)
    raise Mistake(f"differs from relu(sum_k alpha_k A_k): {off_by(answer, expected)}")
