"""Class activation maps: where in the image a convolutional network finds the evidence for a class.

The CNN and the ResNets of this lab end the same way: the last convolutional stage gives ``K``
feature maps :math:`A_k` of ``h x w`` pixels, a global average pool turns each into one number,
and one Linear layer weighs them into the class scores,

.. math::  y_c = \\sum_k w_{c,k} \\frac{1}{hw} \\sum_{i,j} A_k(i,j) + b_c
               = \\frac{1}{hw} \\sum_{i,j} M_c(i,j) + b_c,
           \\qquad M_c = \\sum_k w_{c,k} A_k .

So the score of class ``c`` is the average of the map :math:`M_c` (plus the bias): :math:`M_c`
says how much each place of the image adds to it.  That is the class activation map (CAM,
Zhou et al. 2016), :func:`class_activation_maps`.

Grad-CAM (Selvaraju et al. 2017), :func:`grad_cam`, needs no particular head and works on any
convolutional layer: it weighs the layer's maps by the mean gradient of the score,
:math:`\\alpha_k = \\frac{1}{hw} \\sum_{i,j} \\partial y_c / \\partial A_k(i,j)`, and keeps the positive part,
:math:`\\mathrm{relu}(\\sum_k \\alpha_k A_k)`.  On the layer the pool averages, the gradient is
:math:`w_{c,k} / hw` at every pixel, so Grad-CAM there is :math:`\\mathrm{relu}(M_c) / hw`: CAM again,
up to a positive factor.

Both read the feature maps with a forward hook that is removed as soon as the maps are made.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from .errors import LabkitError

__all__ = ["ClassMaps", "class_activation_maps", "grad_cam", "feature_layer", "upsample"]


@dataclass
class ClassMaps:
    """One map per image, the class each map is of, and the network's scores for every class."""

    maps: torch.Tensor  # (N, H, W): the image's size, or the feature maps' with upsample=False
    classes: torch.Tensor  # (N,): the class of each map
    logits: torch.Tensor  # (N, number of classes)

    @property
    def predicted(self) -> torch.Tensor:
        """The class each image is given: the highest score."""
        return self.logits.argmax(dim=1)

    @property
    def probabilities(self) -> torch.Tensor:
        """The softmax of the scores, (N, number of classes)."""
        return self.logits.float().softmax(dim=1)


def feature_layer(model: nn.Module) -> nn.Module:
    """The layer whose output the global average pool averages: the last stage of labkit's CNN and ResNets."""
    pool, fc, stages = getattr(model, "pool", None), getattr(model, "fc", None), getattr(model, "stages", None)
    if not (isinstance(pool, nn.AdaptiveAvgPool2d) and pool.output_size in (1, (1, 1))
            and isinstance(fc, nn.Linear) and isinstance(stages, nn.Sequential)):
        raise LabkitError(f"{type(model).__name__} does not end in stages -> global average pooling -> one Linear "
                          "layer (model.stages, model.pool, model.fc), which class activation maps need: "
                          "use labkit's cnn or a resnet, or grad_cam(..., layer=...) with a convolutional layer")
    return stages[-1]


def upsample(maps: torch.Tensor, size) -> torch.Tensor:
    """Maps (N, h, w) enlarged to ``size`` (H, W) by bilinear interpolation, to lie over the image."""
    return F.interpolate(maps.unsqueeze(1), size=tuple(size), mode="bilinear", align_corners=False).squeeze(1)


@contextmanager
def _keep_output(layer: nn.Module):
    """Inside the ``with`` block, every output of ``layer`` is appended to the list it gives; the hook goes after."""
    kept = []

    def hook(module, inputs, output):
        kept.append(output)
        return output.clone()  # an in-place ReLU after the layer changes the clone, not what we keep

    handle = layer.register_forward_hook(hook)
    try:
        yield kept
    finally:
        handle.remove()


@contextmanager
def _evaluating(model: nn.Module):
    """The model in evaluation mode (batch norm's running statistics), its mode restored afterwards."""
    was_training = model.training
    model.eval()
    try:
        yield
    finally:
        model.train(was_training)


def _inputs(model: nn.Module, images) -> torch.Tensor:
    images = torch.as_tensor(images)
    if images.ndim != 4 or not images.is_floating_point():
        raise LabkitError(f"images must be normalised floats of shape (N, C, H, W), got {images.dtype} of shape "
                          f"{tuple(images.shape)} (data.normalise(uint8 images) or data.sample(...) gives them)")
    return images.to(next(model.parameters()).device)


def _chosen(classes, logits: torch.Tensor) -> torch.Tensor:
    """The class of each image's map: its prediction (None), one class for all (an int), or one per image."""
    count, number = logits.shape
    if classes is None:
        return logits.argmax(dim=1)
    chosen = torch.as_tensor(classes, device=logits.device).long().flatten()
    chosen = chosen.expand(count) if chosen.numel() == 1 else chosen
    if chosen.numel() != count or chosen.min() < 0 or chosen.max() >= number:
        raise LabkitError(f"classes must be one class or one per image ({count}), each in 0..{number - 1}; "
                          f"got {classes!r:.80}")
    return chosen


def class_activation_maps(model: nn.Module, images, classes=None, *, upsample_to_image: bool = True) -> ClassMaps:
    """CAM of a global-average-pool + Linear network: :math:`M_c = \\sum_k w_{c,k} A_k` for each image.

    ``images`` are normalised (N, C, H, W); ``classes`` is the class of each map: None for the
    network's prediction, one class for all, or one per image.  The maps are upsampled to the
    image unless ``upsample_to_image=False`` (then they have the feature maps' size, e.g. 8 x 8).
    The mean of a map plus the Linear layer's bias is the class's score.
    """
    layer = feature_layer(model)
    images = _inputs(model, images)
    with torch.no_grad(), _evaluating(model), _keep_output(layer) as kept:
        logits = model(images)
    features = kept[-1].float()  # A: (N, K, h, w)
    chosen = _chosen(classes, logits)
    weights = model.fc.weight.detach().float()[chosen]  # the Linear layer's row of each image's class: (N, K)
    maps = torch.einsum("nk,nkhw->nhw", weights, features)  # sum over k of w_ck * A_k
    if upsample_to_image:
        maps = upsample(maps, images.shape[-2:])
    return ClassMaps(maps, chosen, logits.detach().float())


def grad_cam(model: nn.Module, images, classes=None, *, layer: nn.Module | None = None,
             upsample_to_image: bool = True) -> ClassMaps:
    """Grad-CAM of any convolutional layer: :math:`\\mathrm{relu}(\\sum_k \\alpha_k A_k)`, α the mean gradient.

    ``layer`` is a module of ``model`` that outputs feature maps (N, K, h, w); by default the one
    the global average pool averages (:func:`feature_layer`).  ``classes`` as in
    :func:`class_activation_maps`.
    """
    layer = feature_layer(model) if layer is None else layer
    images = _inputs(model, images).detach().requires_grad_(True)  # a graph even if the weights are frozen
    with torch.enable_grad(), _evaluating(model), _keep_output(layer) as kept:
        logits = model(images)
        activations = kept[-1]
        if activations.ndim != 4:
            raise LabkitError(f"Grad-CAM needs a layer that outputs feature maps (N, K, h, w); "
                              f"{type(layer).__name__} outputs shape {tuple(activations.shape)}")
        chosen = _chosen(classes, logits)
        # In evaluation mode each image's score depends on its own activations only, so one backward
        # pass of the sum gives every image the gradient of its own score.
        score = logits.gather(1, chosen.unsqueeze(1)).sum()
        (gradients,) = torch.autograd.grad(score, activations)
    alpha = gradients.float().mean(dim=(2, 3), keepdim=True)  # mean gradient of each feature map: (N, K, 1, 1)
    maps = (alpha * activations.detach().float()).sum(dim=1).relu()
    if upsample_to_image:
        maps = upsample(maps, images.shape[-2:])
    return ClassMaps(maps, chosen, logits.detach().float())
