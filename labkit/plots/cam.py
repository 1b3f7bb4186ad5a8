"""Figures of class activation maps: where a network looks, over the image it looks at.

Every function takes images (``uint8`` (N, C, H, W) as ``data.images["test"]``, or normalised floats
with ``mean`` and ``std``) and maps (N, H, W) of the same size, as ``labkit.cam`` makes them.  A map
is scaled to [0, 1] per image before it is drawn: only where it is large matters, not its scale.
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import torch

from .training import _as_display, _show

__all__ = ["plot_class_maps", "plot_map_comparison"]

ALPHA = 0.5  # how much of the map lies over the image
COLOURS = "jet"  # red where the map is high, blue where it is low (as in Zhou et al. and Selvaraju et al.)


def _scaled(maps) -> np.ndarray:
    """Maps (N, H, W) scaled to [0, 1], each on its own."""
    maps = torch.as_tensor(maps).detach().float().cpu()
    low, high = maps.amin(dim=(1, 2), keepdim=True), maps.amax(dim=(1, 2), keepdim=True)
    return ((maps - low) / (high - low).clamp_min(1e-12)).numpy()


def _overlay(ax, image: np.ndarray, cam_map: np.ndarray, title: str, colour: str = "black") -> None:
    _show(ax, image)
    ax.imshow(cam_map, cmap=COLOURS, alpha=ALPHA, vmin=0, vmax=1, interpolation="bilinear")
    ax.set_title(title, fontsize=8, color=colour)
    ax.set_xticks([])
    ax.set_yticks([])


def _name(classes, index) -> str:
    return str(classes[int(index)])


def plot_class_maps(images, maps, labels, predicted, classes, n: int = 8, ncols: int = 4, mean=None, std=None,
                    title: str | None = None):
    """Maps over correctly classified images (left) and over misclassified ones (right).

    Takes the first ``n`` correct and the first ``n`` wrong images.  Each title is the prediction
    and the true class; the map is that of the predicted class.  What it teaches: a map over the
    object is evidence the network uses the object; on the mistakes, look whether it looked at the
    wrong place (the background, another object) or at the right place and misread it.
    """
    labels, predicted = torch.as_tensor(labels).cpu(), torch.as_tensor(predicted).cpu()
    right = labels == predicted
    groups = {"correct": right.nonzero().flatten()[:n], "wrong": (~right).nonzero().flatten()[:n]}
    ncols = max(1, min(ncols, n))
    nrows = max(1, math.ceil(max(len(index) for index in groups.values()) / ncols))
    fig = plt.figure(figsize=(2 * ncols * 1.6 + 0.4, nrows * 1.95 + 0.6), layout="constrained")
    for panel, (group, index) in zip(fig.subfigures(1, 2, wspace=0.04), groups.items()):
        axes = list(panel.subplots(nrows, ncols, squeeze=False).flat)
        for ax in axes:
            ax.axis("off")
        shown = _as_display(images[index], mean, std) if len(index) else []
        for ax, i, image, cam_map in zip(axes, index, shown, _scaled(maps[index]) if len(index) else []):
            ax.axis("on")
            colour = "tab:green" if group == "correct" else "tab:red"
            _overlay(ax, image, cam_map, f"{_name(classes, predicted[i])}\n(true: {_name(classes, labels[i])})",
                     colour)
        panel.suptitle(f"{group} ({len(index)} shown)" if len(index) else f"{group}: none among these images",
                       fontsize=10)
    if title:
        fig.suptitle(title)
    return fig


def plot_map_comparison(images, columns: dict, labels, classes, n: int = 6, mean=None, std=None,
                        probabilities: dict | None = None, title: str | None = None):
    """The same images, one row each: the image, then one map per column of ``columns``.

    ``columns`` maps a name ("plain", "residual"; or "most likely", "second most likely") to
    ``(maps, map_classes)`` or to anything with ``.maps`` and ``.classes`` (``labkit.cam.ClassMaps``).
    Each title names the class the map is of, green when it is the true class.  With
    ``probabilities`` (the same names -> (N, classes) tensors) the title adds that class's probability.
    What it teaches: two networks (or two classes) side by side on the same pixels.
    """
    labels = torch.as_tensor(labels).cpu()[:n]
    shown = _as_display(images[:len(labels)], mean, std)
    count = len(shown)
    fig, axes = plt.subplots(count, len(columns) + 1, figsize=(1.8 * (len(columns) + 1), 1.95 * count + 0.5),
                             squeeze=False, layout="constrained")
    for row in range(count):
        _show(axes[row, 0], shown[row])
        axes[row, 0].set_title(f"true: {_name(classes, labels[row])}", fontsize=8)
        axes[row, 0].set_xticks([])
        axes[row, 0].set_yticks([])
    for col, (name, value) in enumerate(columns.items(), start=1):
        maps, map_classes = (value.maps, value.classes) if hasattr(value, "maps") else value
        scaled, map_classes = _scaled(maps[:count]), torch.as_tensor(map_classes).cpu()[:count]
        for row in range(count):
            chosen = int(map_classes[row])
            text = f"{name}:\n{_name(classes, chosen)}"
            if probabilities and name in probabilities:
                text += f" ({float(probabilities[name][row, chosen]):.0%})"
            _overlay(axes[row, col], shown[row], scaled[row], text,
                     "tab:green" if chosen == int(labels[row]) else "tab:red")
    if title:
        fig.suptitle(title)
    return fig
