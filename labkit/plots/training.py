"""Figures of single training runs: curves, image grids, class counts, confusion matrices, filters.

Every function returns a matplotlib Figure and draws from plain data (a history DataFrame,
``uint8`` images, a confusion table) or from a model's own weights, so a figure never needs a re-run.
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
import torch
from matplotlib.ticker import MaxNLocator

__all__ = [
    "plot_history", "plot_histories", "plot_images", "plot_class_counts", "plot_confusion_matrix",
    "plot_filters", "plot_feature_maps", "plot_pixel_histogram", "plot_lr_schedules",
]

METRICS = {"loss": "cross-entropy loss", "acc": "accuracy"}
CHANNEL_COLOURS = {1: ["0.3"], 3: ["tab:red", "tab:green", "tab:blue"]}


def _grid(count: int, ncols: int, size: float = 1.4, title_lines: int = 1):
    """A figure with ``count`` image axes in rows of ``ncols``, ticks off, unused axes hidden."""
    ncols = max(1, min(ncols, count))
    nrows = max(1, math.ceil(count / ncols))
    height = nrows * (size + 0.2 * title_lines) + 0.4
    fig, axes = plt.subplots(nrows, ncols, figsize=(ncols * size, height), squeeze=False)
    for ax in axes.flat[count:]:
        fig.delaxes(ax)
    for ax in axes.flat[:count]:
        ax.set_xticks([])
        ax.set_yticks([])
    return fig, list(axes.flat[:count])


def _as_display(images, mean=None, std=None) -> np.ndarray:
    """Images (N, C, H, W) -- ``uint8``, floats in [0, 1], or normalised floats with ``mean``/``std`` --
    as floats in [0, 1], (N, H, W, C), ready for ``imshow``."""
    x = torch.as_tensor(images).detach().cpu()
    if x.ndim == 3:  # one image
        x = x.unsqueeze(0)
    if x.dtype == torch.uint8:
        x = x.float() / 255
    elif mean is not None and std is not None:  # undo (x - mean) / std
        x = x.float() * torch.as_tensor(std).view(1, -1, 1, 1) + torch.as_tensor(mean).view(1, -1, 1, 1)
    return x.float().clamp(0, 1).permute(0, 2, 3, 1).numpy()


def _show(ax, image: np.ndarray) -> None:
    if image.shape[-1] == 1:
        ax.imshow(image[..., 0], cmap="gray", vmin=0, vmax=1)
    else:
        ax.imshow(image)


def plot_history(history: pd.DataFrame, title: str | None = None):
    """Loss (left) and accuracy (right) per epoch, training vs validation.

    What it teaches: training loss falls almost always; the *validation* curves say whether the
    network learned something that carries over to new images.  A gap that grows between the two
    is overfitting.  The dotted line marks the best epoch (``history.attrs["best_epoch"]``),
    the weights ``fit`` keeps.
    """
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    best = history.attrs.get("best_epoch")
    for ax, metric in zip(axes, METRICS):
        for split, style in (("train", "-"), ("val", "--")):
            column = f"{split}_{metric}"
            if column in history:
                ax.plot(history.epoch, history[column], style, marker="o",
                        label="training" if split == "train" else "validation")
        if best is not None:
            ax.axvline(best, color="0.5", linestyle=":", label=f"best epoch ({best})")
        ax.set(xlabel="epoch", ylabel=METRICS[metric], title=METRICS[metric])
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
        ax.legend()
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_histories(histories: dict, metrics=("loss", "acc"), title: str | None = None):
    """Several runs in one figure, one panel per metric: training solid, validation dashed.

    ``histories`` maps a run's name (e.g. "MLP", "CNN", "ResNet-18") to its history DataFrame.
    What it teaches: comparing networks on the same data and budget.  Look at the dashed
    (validation) curves: a model whose training curve keeps falling while its validation curve
    does not has stopped learning anything that generalises.  ``title`` (above both panels) should
    say what was trained on what, e.g. "MNIST, cpu size".
    """
    fig, axes = plt.subplots(1, len(metrics), figsize=(5.5 * len(metrics) + 2.5, 3.8), squeeze=False)
    colours = sns.color_palette("tab10", len(histories))
    for ax, metric in zip(axes.flat, metrics):
        for colour, (name, history) in zip(colours, histories.items()):
            for split, style in (("train", "-"), ("val", "--")):
                column = f"{split}_{metric}"
                if column in history:
                    ax.plot(history.epoch, history[column], style, color=colour, marker=".",
                            label=f"{name} ({'training' if split == 'train' else 'validation'})")
        ax.set(xlabel="epoch", ylabel=METRICS.get(metric, metric),
               title=f"{METRICS.get(metric, metric)}: solid training, dashed validation")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
    # one legend for all panels (they share their lines), beside the last one: never on the curves
    axes.flat[-1].legend(*axes.flat[0].get_legend_handles_labels(), loc="upper left", bbox_to_anchor=(1.01, 1),
                         fontsize="small")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_images(images, labels, classes, predicted=None, n: int = 16, ncols: int = 8,
                mean=None, std=None, title: str | None = None, confidence=None):
    """A grid of the first ``n`` images with their class names.

    ``images`` are ``uint8`` (N, C, H, W) (``data.images[split]``), floats in [0, 1], or
    normalised floats from a loader together with the ``mean`` and ``std`` that undo it.
    With ``predicted``, each title is the prediction; a wrong one is red and also names the true class.
    With ``confidence`` (one probability per image, e.g. the softmax of the prediction) it follows the
    prediction, in per cent.
    What it teaches: look at the data (and at the mistakes) before trusting any number.
    """
    shown = _as_display(images[:n], mean, std)
    labels = [int(v) for v in list(labels)[:len(shown)]]
    guesses = None if predicted is None else [int(v) for v in list(predicted)[:len(shown)]]
    sure = [""] * len(shown) if confidence is None else [f" {float(c):.0%}" for c in list(confidence)[:len(shown)]]
    fig, axes = _grid(len(shown), ncols, title_lines=1 if guesses is None else 2)
    for i, ax in enumerate(axes):
        _show(ax, shown[i])
        if guesses is None:
            ax.set_title(classes[labels[i]], fontsize=9)
        elif guesses[i] == labels[i]:
            ax.set_title(f"{classes[guesses[i]]}{sure[i]}", fontsize=9, color="tab:green")
        else:
            ax.set_title(f"{classes[guesses[i]]}{sure[i]}\n(true: {classes[labels[i]]})", fontsize=8, color="tab:red")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_class_counts(data):
    """How many images of each class every split holds (one panel per split).

    ``data`` is a ``DataBundle``.  What it teaches: whether the classes are balanced, which
    decides whether plain accuracy is a fair summary (with 10 balanced classes, chance is 10 %).
    """
    splits = list(data.labels)
    fig, axes = plt.subplots(1, len(splits), figsize=(4.5 * len(splits), 3.6), squeeze=False)
    for ax, split in zip(axes.flat, splits):
        counts = torch.bincount(data.labels[split].cpu(), minlength=len(data.classes)).numpy()
        ax.bar(range(len(data.classes)), counts, color=sns.color_palette("tab10", len(data.classes)))
        ax.axhline(counts.mean(), color="0.3", linestyle="--", linewidth=1, label="mean")
        ax.set_xticks(range(len(data.classes)), [str(c) for c in data.classes], rotation=60, ha="right",
                      fontsize=8)
        ax.set(title=f"{split}: {counts.sum():,} images", ylabel="images", ylim=(0, 1.25 * counts.max()))
        ax.legend(loc="upper right", fontsize="small")  # above the bars, in the headroom
    fig.suptitle(f"{data.name}: images per class")
    fig.tight_layout()
    return fig


def plot_confusion_matrix(confusion: pd.DataFrame, normalise: bool = False, title: str | None = None):
    """The confusion matrix as a heatmap: rows the true class, columns the prediction.

    ``confusion`` comes from ``lk.confusion_matrix``.  The diagonal holds the correct answers;
    a bright cell off the diagonal is a pair of classes the network mixes up.  With
    ``normalise`` each row is divided by its total (the recall of each class).
    """
    table = confusion.div(confusion.sum(axis=1).replace(0, 1), axis=0) if normalise else confusion
    total = int(confusion.values.sum())
    accuracy = np.trace(confusion.values) / max(total, 1)
    fig, ax = plt.subplots(figsize=(7, 6))
    sns.heatmap(table, annot=True, fmt=".2f" if normalise else "d", cmap="Blues", cbar=False, ax=ax,
                annot_kws={"fontsize": 8}, square=True)
    ax.set(xlabel="predicted", ylabel="true",
           title=f"{title or 'confusion matrix'}: accuracy {accuracy:.1%} on {total:,} images")
    fig.tight_layout()
    return fig


def plot_filters(conv, ncols: int = 8, title: str | None = None):
    """The weights of a convolution (usually the first) drawn as small images, one per filter.

    First-layer filters look at pixels, so they can be read: edges at various angles, blobs,
    colour contrasts.  RGB filters are shown in colour, others per input channel averaged, each
    rescaled to [0, 1] on its own (only the pattern matters, not the scale).
    """
    weight = conv.weight.detach().float().cpu()  # (out, in, k, k)
    if weight.shape[1] != 3:
        weight = weight.mean(dim=1, keepdim=True)
    low = weight.amin(dim=(1, 2, 3), keepdim=True)
    high = weight.amax(dim=(1, 2, 3), keepdim=True)
    shown = _as_display((weight - low) / (high - low).clamp_min(1e-12))
    fig, axes = _grid(len(shown), ncols, size=1.0)
    for i, ax in enumerate(axes):
        _show(ax, shown[i])
        ax.set_title(str(i), fontsize=7)
    what = (f"{len(shown)} filters of {weight.shape[-2]}x{weight.shape[-1]} "
            f"({conv.weight.shape[1]} input channel{'s' if conv.weight.shape[1] > 1 else ''})")
    fig.suptitle(f"{title}: {what}" if title else what)
    fig.tight_layout()
    return fig


@torch.no_grad()
def plot_feature_maps(layer, image: torch.Tensor, n: int = 16, ncols: int = 9, title: str | None = None):
    """The input image and the first ``n`` feature maps ``layer`` makes of it.

    ``layer`` is any module or part of a model (a convolution, a stage); ``image`` is one
    *normalised* image (C, H, W), e.g. ``data.sample("val", 1)[0][0]``.  Each map is one
    filter's response at every position: bright where the pattern the filter looks for is.
    """
    parameter = next(layer.parameters(), None)
    device = parameter.device if parameter is not None else image.device
    was_training = layer.training
    layer.eval()
    try:
        maps = layer(image.reshape(1, *image.shape[-3:]).to(device))[0].float().cpu()
    finally:
        layer.train(was_training)
    total, maps = len(maps), maps[:n]
    fig, axes = _grid(len(maps) + 1, ncols, size=1.3)
    picture = image.detach().float().cpu().reshape(image.shape[-3:])
    picture = (picture - picture.min()) / (picture.max() - picture.min()).clamp_min(1e-12)
    _show(axes[0], _as_display(picture)[0])
    axes[0].set_title("input", fontsize=8)
    for i, (ax, fmap) in enumerate(zip(axes[1:], maps)):
        ax.imshow(fmap.numpy(), cmap="viridis")
        ax.set_title(f"map {i}", fontsize=8)
    what = (f"{len(maps)} of {total} feature maps, {tuple(maps.shape[-2:])} each, "
            f"from an input of {tuple(picture.shape[-2:])}")
    fig.suptitle(f"{title}: {what}" if title else what)
    fig.tight_layout()
    return fig


def plot_pixel_histogram(images, mean=None, std=None, bins: int = 60, log: bool = False, title: str | None = None):
    """Pixel values per channel: raw on [0, 1] (left), and after ``(x - mean) / std`` (right).

    ``images`` are ``uint8`` (N, C, H, W); ``mean`` and ``std`` default to their own statistics.
    ``log`` draws the densities on a log scale (MNIST: mostly black pixels, a few white).
    What it teaches: normalising moves every channel to mean 0 and standard deviation 1, the
    scale at which the default weight initialisations and learning rates work.
    """
    x = torch.as_tensor(images).float().div(255)
    channels = x.shape[1]
    mean = torch.as_tensor(x.mean(dim=(0, 2, 3)) if mean is None else mean).float().view(1, -1, 1, 1)
    std = torch.as_tensor(x.std(dim=(0, 2, 3)) if std is None else std).float().view(1, -1, 1, 1)
    normalised = (x - mean) / std
    colours = CHANNEL_COLOURS.get(channels, sns.color_palette("tab10", channels))
    names = ["pixels"] if channels == 1 else ["red", "green", "blue"] if channels == 3 else range(channels)
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.4))
    for ax, values, what in ((axes[0], x, "raw, scaled to [0, 1]"), (axes[1], normalised, "normalised")):
        for c in range(channels):
            channel = values[:, c].flatten()
            ax.hist(channel.numpy(), bins=bins, color=colours[c], alpha=0.45, density=True,
                    label=f"{names[c]}: mean {round(channel.mean().item(), 2) + 0.0:.2f}, "
                          f"std {channel.std().item():.2f}")
        ax.set(title=what, xlabel="value", ylabel="density", yscale="log" if log else "linear")
        ax.legend(fontsize="small")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_lr_schedules(schedules=("onecycle", "cosine", "step", "plateau", "none"), epochs: int = 20,
                      steps_per_epoch: int = 100, lr: float = 0.1):
    """The learning rate at every optimiser step for each schedule, stepped exactly as ``fit`` steps it.

    The rates come from ``labkit.optim.learning_rates``.  "plateau" depends on the validation
    loss; it is drawn for a loss that never improves, the case where it acts.
    """
    from ..optim import learning_rates

    fig, ax = plt.subplots(figsize=(8.5, 3.8))
    for name in schedules:
        rates = learning_rates(name, epochs=epochs, steps_per_epoch=steps_per_epoch, lr=lr)
        label = "plateau (validation loss flat)" if name == "plateau" else name
        ax.plot(np.arange(len(rates)) / steps_per_epoch, rates, label=label)
    ax.set(xlabel="epoch", ylabel="learning rate", title=f"learning-rate schedules (peak {lr})")
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize="small")  # beside the curves, not on them
    fig.tight_layout()
    return fig
