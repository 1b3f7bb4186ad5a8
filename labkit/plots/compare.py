"""Figures of a comparison study: every seed as a dot, the mean of each twin with its 95 % interval.

Each takes what ``run_compare_study`` and ``load_compare_study`` return (its ``table`` has
one row per run, its ``size`` the run size); figures read saved results only.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from ..runs import variant
from ..stats import mean_std_interval

__all__ = ["plot_compare", "save_compare_figures"]

COLOURS = {False: "tab:red", True: "tab:blue"}


def plot_compare(saved, metric: str = "test_acc"):
    """One panel per model: each seed's accuracy (dots), plain vs residual, and their mean with its 95 % interval."""
    table = saved.table
    names = list(dict.fromkeys(table.run))
    fig, axes = plt.subplots(1, len(names), figsize=(3.2 * len(names), 3.8), squeeze=False)
    for ax, name in zip(axes[0], names):
        for position, residual in enumerate((False, True)):
            values = table[(table.run == name) & (table.residual == residual)][metric].dropna().to_numpy()
            if not len(values):
                continue
            jitter = np.linspace(-0.12, 0.12, len(values)) if len(values) > 1 else np.zeros(1)
            ax.scatter(position + jitter, values, s=18, facecolors="none", edgecolors=COLOURS[residual], zorder=3)
            stats = mean_std_interval(values)
            error = None if np.isnan(stats["low"]) else [[stats["mean"] - stats["low"]],
                                                         [stats["high"] - stats["mean"]]]
            ax.errorbar([position + 0.3], [stats["mean"]], yerr=error, marker="D", capsize=5, color=COLOURS[residual])
        ax.set_xticks([0, 1], [variant(False), variant(True)])
        ax.set_xlim(-0.5, 1.6)
        ax.set(title=name.replace("_", " on "), ylabel=metric.replace("_", " ") if ax is axes[0][0] else None)
        ax.grid(alpha=0.3, axis="y")
    seeds = table.groupby(["run", "residual"]).size()
    counted = f"{seeds.min()}" if seeds.min() == seeds.max() else f"{seeds.min()}-{seeds.max()}"
    fig.suptitle(f"plain vs residual, {saved.size} size: {counted} seeds each; dots: seeds, diamond: mean "
                 "with its 95 % interval")
    fig.tight_layout()
    return fig


def save_compare_figures(saved, out) -> list:
    """Write the validation and test figures as PNG into ``out/figures``; return the paths."""
    folder = Path(out) / "figures"
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for metric in ("val_acc", "test_acc"):
        fig = plot_compare(saved, metric)
        paths.append(folder / f"compare_{metric}.png")
        fig.savefig(paths[-1], dpi=110)
        plt.close(fig)
    return paths
