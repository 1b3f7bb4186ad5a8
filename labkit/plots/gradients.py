"""Figures of gradient flow inside single runs: per-layer gradient norms over epochs, activation scales.

These draw the tables of :mod:`labkit.gradients` directly -- ``GradientProbe.history`` and
``activation_stds`` -- for a few networks trained in a notebook, where the figures of
:mod:`labkit.plots.depth` need a whole depth study.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import seaborn as sns

__all__ = ["plot_probe_heatmap", "plot_layer_gradients", "plot_layer_activations"]

TINY = 1e-30  # a gradient norm of exactly 0 is drawn as this, so that its logarithm exists


def plot_probe_heatmap(histories: dict, title: str | None = None):
    """log10 of every layer's gradient norm (rows, input side on top) at every epoch (columns).

    ``histories`` maps a network's name to its ``GradientProbe.history`` (columns epoch, layer,
    grad_norm), e.g. ``{"plain": plain_probe.history, "residual": residual_probe.history}``.
    All panels share **one** colour scale, so the same colour means the same gradient norm in
    every panel.  What it teaches: where (which layers) and when (which epochs) a network's
    gradients are too small to move its weights.
    """
    grids = {name: np.log10(table.pivot(index="layer", columns="epoch", values="grad_norm").clip(lower=TINY))
             for name, table in histories.items()}
    low = min(float(np.nanmin(grid.values)) for grid in grids.values())
    high = max(float(np.nanmax(grid.values)) for grid in grids.values())
    layers = max(len(grid) for grid in grids.values())
    fig, axes = plt.subplots(1, len(grids), figsize=(5.5 * len(grids), max(3.5, 0.08 * layers + 2.5)),
                             squeeze=False)
    for ax, (name, grid) in zip(axes.flat, grids.items()):
        # at most about 20 layer and 15 epoch labels, so that they never overlap
        sns.heatmap(grid, ax=ax, cmap="magma", vmin=low, vmax=high, cbar_kws={"label": "log10 gradient norm"},
                    yticklabels=max(1, -(-len(grid) // 20)), xticklabels=max(1, -(-grid.shape[1] // 15)))
        ax.tick_params(axis="y", labelrotation=0)
        ax.set(title=name, xlabel="epoch (0 = initialisation)", ylabel="layer (1 = input side)")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def _per_layer(tables: dict, column: str, ylabel: str, title: str):
    """One line per network: ``column`` of every weight layer (first layer left), log scale."""
    fig, ax = plt.subplots(figsize=(7, 3.8))
    for name, table in tables.items():
        ax.plot(table.layer, table[column].clip(lower=TINY), marker=".", label=name)
    ax.set(yscale="log", xlabel="layer (1 = input side)", ylabel=ylabel, title=title)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    return fig


def plot_layer_gradients(tables: dict, title: str | None = None):
    """Gradient norm of every weight layer (first layer left), one line per network, log scale.

    ``tables`` maps a name to a table from ``lk.layer_gradients`` (columns layer, grad_norm).
    What it teaches: in a deep plain network the gradient shrinks (or grows) layer by layer
    on its way back to the input; an identity shortcut gives it a path that skips the layers.
    """
    return _per_layer(tables, "grad_norm", "gradient norm of the weights", title or "gradient norm per layer")


def plot_layer_activations(tables: dict, title: str | None = None):
    """Standard deviation of every weight layer's output (first layer left), one line per network, log scale.

    ``tables`` maps a name to a table from ``lk.activation_stds`` (columns layer, activation_std).
    What it teaches: whether the signal keeps its scale on its way forward through the layers.
    A line that falls (or rises) geometrically means each layer multiplies the scale by a factor
    below (or above) one; the backward pass goes through the same layers.
    """
    return _per_layer(tables, "activation_std", "std of the layer's output", title or "activation scale per layer")
