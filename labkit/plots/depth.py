"""Figures of a depth study: accuracy against depth, curves, gradient flow, activations.

Each takes a :class:`labkit.runs.SavedStudy` (what ``run_depth_study`` and ``load_study``
return): its ``table`` has a row per run, its ``runs`` every run's saved record.  Figures
read saved results only; drawing one never imports the training code.
"""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.ticker import LogFormatter, MaxNLocator

from ..runs import SavedStudy, seeds_text, summarise, variant
from .gradients import plot_probe_heatmap

__all__ = [
    "plot_accuracy_vs_depth", "plot_depth_curves", "plot_gradient_flow", "plot_gradient_heatmap",
    "plot_gradient_magnitude", "plot_activation_stds", "save_study_figures",
]

COLOURS = {False: "tab:red", True: "tab:blue"}


def _study_title(study: SavedStudy) -> str:
    """Which study a figure shows, for its title: 'mlp depth study on mnist, full size'."""
    table = study.table
    size = f", {study.size} size" if study.size != "unknown" else ""
    return f"{table.family.iloc[0]} depth study on {table.dataset.iloc[0]}{size}"


def _first_seeds(study: SavedStudy, depths, variants=(False, True)):
    """(depth, residual, the run of its lowest seed) for each pair that has a saved run, depth by depth."""
    for depth in depths:
        for residual in variants:
            run = study.first_seed(depth, residual)
            if run is not None:
                yield depth, residual, run


def plot_accuracy_vs_depth(study: SavedStudy, metric: str = "test_acc", measured_on: str | None = None):
    """Accuracy against depth, plain vs residual: mean over seeds (line), each seed (dots), their range (bar).

    ``measured_on`` says on which images the metric was measured, on its axis, when that is not
    what the name says (``"augmented training batches"`` for a study saved before labkit measured
    ``train_acc`` on the training images as they are).

    The bar spans the lowest to the highest seed rather than mean ± std: when one
    seed trains and two fail, mean ± std reaches below 0 -- an accuracy no network
    can have -- while the dots show what happened to each run.
    """
    table, summary = study.table, summarise(study)
    fig, ax = plt.subplots(figsize=(6, 4))
    for residual, rows in summary.groupby("residual"):
        runs = table[table.residual == residual]
        spread = runs.groupby("depth")[metric].agg(["min", "max"]).loc[rows.depth]
        mean = rows[f"{metric}_mean"].to_numpy()
        below = np.clip(mean - spread["min"].to_numpy(), 0, None)
        above = np.clip(spread["max"].to_numpy() - mean, 0, None)
        ax.errorbar(rows.depth, mean, yerr=[np.nan_to_num(below), np.nan_to_num(above)],
                    marker="o", capsize=4, color=COLOURS[residual], label=f"{variant(residual)} (mean, range)")
        ax.scatter(runs.depth, runs[metric], s=30, facecolors="none", edgecolors=COLOURS[residual], zorder=3,
                   label=f"{variant(residual)}, each seed")
    images = f", {int(table.test_images.iloc[0]):,} test images" if metric.startswith("test") else ""
    ylabel = metric.replace("_", " ") + (f" (on {measured_on})" if measured_on else "")
    ax.set(xlabel="depth (weight layers)", ylabel=ylabel,
           title=f"{_study_title(study)}: {seeds_text(summary.seeds)}{images}")
    ax.set_xticks(sorted(summary.depth.unique()))
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    return fig


class _PlainLog(LogFormatter):
    """Log-axis labels as plain numbers (0.3, 2, 10) where a loss spans a decade or less."""

    def _num_to_string(self, x, vmin, vmax):
        return f"{x:g}"


def plot_depth_curves(study: SavedStudy, metric: str = "val_loss"):
    """Validation loss (or another history column) per epoch for every depth; plain left, residual right.

    A loss panel has a line at ln 10, the loss of a uniform guess over ten classes: the runs that
    learn nothing lie on it, on top of each other.  Both panels have their legend.
    """
    depths = sorted(study.table.depth.unique())
    colours = dict(zip(depths, sns.color_palette("viridis", len(depths))))
    fig, axes = plt.subplots(1, 2, figsize=(11, 4), sharey=True)
    for ax, residual in zip(axes, (False, True)):
        for depth in depths:
            histories = [pd.DataFrame(r["history"]) for r in study.runs.values()
                         if r["depth"] == depth and r["residual"] == residual]
            if histories:  # a diverged run (NaN loss) makes the mean NaN: the line stops there
                mean = pd.concat(histories).groupby("epoch")[metric].agg(lambda s: s.mean(skipna=False))
                ax.plot(mean.index, mean.values, color=colours[depth], label=f"depth {depth}", marker=".")
        if "loss" in metric:
            ax.axhline(math.log(10), color="0.4", linestyle=":", label="ln 10 = 2.30, a uniform guess")
            ax.set_yscale("log")
            ax.yaxis.set_major_formatter(_PlainLog())  # 0.5, 2 and 3 on a narrow log axis, not 5x10^-1
            ax.yaxis.set_minor_formatter(_PlainLog(labelOnlyBase=False, minor_thresholds=(1.5, 0.5)))
        ax.set(title=variant(residual), xlabel="epoch", ylabel=metric.replace("_", " "))
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
        ax.legend(fontsize="small")
    fig.suptitle(f"{_study_title(study)}: {metric.replace('_', ' ')}, mean over seeds")
    fig.tight_layout()
    return fig


def plot_gradient_flow(study: SavedStudy, epoch: int = 0, depths=None):
    """Gradient norm of every layer, first layer left, at one epoch (0 = initialisation); log scale."""
    depths = depths or sorted(study.table.depth.unique())
    fig, axes = plt.subplots(1, 2, figsize=(11, 4), sharey=True)
    colours = dict(zip(depths, sns.color_palette("viridis", len(depths))))
    for ax, residual in zip(axes, (False, True)):
        for depth, _, run in _first_seeds(study, depths, (residual,)):
            grads = pd.DataFrame(run["gradients"])
            grads = grads[grads.epoch == epoch]
            ax.plot(grads.layer, grads.grad_norm.clip(lower=1e-30), color=colours[depth], label=f"depth {depth}")
        ax.set(yscale="log", xlabel="layer (1 = input side)", ylabel="gradient norm",
               title=f"{variant(residual)}, {'initialisation' if epoch == 0 else f'after epoch {epoch}'}")
        ax.grid(alpha=0.3)
        ax.legend(fontsize="small")
    fig.suptitle(f"{_study_title(study)}: gradient norm per layer, seed 0")
    fig.tight_layout()
    return fig


def plot_gradient_heatmap(study: SavedStudy, depth: int | None = None):
    """log10 of each layer's gradient norm (rows) at every epoch (columns), plain and residual."""
    depth = depth or int(study.table.depth.max())
    return plot_probe_heatmap({f"{variant(residual)}, depth {depth}": pd.DataFrame(run["gradients"])
                               for depth, residual, run in _first_seeds(study, [depth])},
                              title=f"{_study_title(study)}: log10 gradient norm per layer and epoch, seed 0")


def plot_gradient_magnitude(study: SavedStudy, layer: int = 1):
    """Gradient norm of one layer (default: the first) through training, for every depth."""
    depths = sorted(study.table.depth.unique())
    colours = dict(zip(depths, sns.color_palette("viridis", len(depths))))
    fig, ax = plt.subplots(figsize=(7, 4))
    for depth, residual, run in _first_seeds(study, depths):
        grads = pd.DataFrame(run["gradients"])
        grads = grads[grads.layer == layer]
        ax.plot(grads.epoch, grads.grad_norm.clip(lower=1e-30), color=colours[depth],
                linestyle="-" if residual else "--", label=f"{variant(residual)} {depth}")
    ax.set(yscale="log", xlabel="epoch (0 = initialisation)", ylabel=f"gradient norm of layer {layer}",
           title=f"{_study_title(study)}, seed 0\nsolid: residual, dashed: plain")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.grid(alpha=0.3)
    ax.legend(fontsize="x-small", ncol=2)
    fig.tight_layout()
    return fig


def plot_activation_stds(study: SavedStudy, when: str = "final", depths=None):
    """Standard deviation of each layer's output, plain vs residual (He et al. 2016, Fig. 7)."""
    depths = depths or sorted(study.table.depth.unique())[-2:]
    fig, ax = plt.subplots(figsize=(7, 4))
    for depth, residual, run in _first_seeds(study, depths):
        stds = pd.DataFrame(run["activations"][when])
        deepest = depth == max(depths)  # the shallower network's dotted line is drawn on top, thicker: where
        ax.plot(stds.layer, stds.activation_std, color=COLOURS[residual],  # both coincide it still shows
                linestyle="-" if deepest else ":", linewidth=1.5 if deepest else 2.5, zorder=2 if deepest else 3,
                label=f"{variant(residual)} {depth}")
    ax.set(xlabel="layer (1 = input side)", ylabel="std of layer output", yscale="log",
           title=f"{_study_title(study)}, seed 0\n"
                 f"layer responses ({'at initialisation' if when == 'init' else 'after training'})")
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small")
    fig.tight_layout()
    return fig


def save_study_figures(study: SavedStudy, out) -> list:
    """Write every depth-study figure as PNG into ``out/figures``; return the paths."""
    folder = Path(out) / "figures"
    folder.mkdir(parents=True, exist_ok=True)
    figures = {
        "accuracy_vs_depth": plot_accuracy_vs_depth(study),
        "val_loss_curves": plot_depth_curves(study),
        "gradient_flow_init": plot_gradient_flow(study, epoch=0),
        "gradient_heatmap": plot_gradient_heatmap(study),
        "gradient_magnitude": plot_gradient_magnitude(study),
        "activation_stds": plot_activation_stds(study),
    }
    paths = []
    for name, fig in figures.items():
        paths.append(folder / f"{name}.png")
        fig.savefig(paths[-1], dpi=110)
        plt.close(fig)
    return paths
