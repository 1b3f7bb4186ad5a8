"""Two or more depth studies side by side: accuracy against depth, plain vs residual, one panel each.

Used for the MLP study without normalisation beside the same study with batch norm: the
question is not whether batch norm helps, but whether it removes the degradation problem
(it does not: the plain networks with batch norm train, and still lose accuracy with depth).
"""

from __future__ import annotations

import matplotlib.pyplot as plt

from ..runs import SavedStudy, seeds_text, summarise, variant

__all__ = ["plot_studies_side_by_side"]

COLOURS = {False: "tab:red", True: "tab:blue"}


def plot_studies_side_by_side(studies: dict, metric: str = "test_acc"):
    """One panel per study (``{"no normalisation": study, "batch norm": other}``), sharing the accuracy axis.

    Each panel: the mean over seeds per depth (line) and every seed (hollow dots), plain red, residual
    blue; its title names the panel, the run size and the seeds; the figure's title the dataset and
    the model family, and on how many images the accuracy was measured.
    """
    fig, axes = plt.subplots(1, len(studies), figsize=(5.5 * len(studies), 4), sharey=True, squeeze=False)
    for ax, (label, study) in zip(axes[0], studies.items()):
        study: SavedStudy
        table, summary = study.table, summarise(study)
        for residual, rows in summary.groupby("residual"):
            runs = table[table.residual == residual]
            ax.plot(rows.depth, rows[f"{metric}_mean"], marker="o", color=COLOURS[residual],
                    label=f"{variant(residual)} (mean)")
            ax.scatter(runs.depth, runs[metric], s=30, facecolors="none", edgecolors=COLOURS[residual], zorder=3)
        ax.set(xscale="log", xlabel="depth (Linear layers)", title=f"{label}: {study.size} size, "
               f"{seeds_text(summary.seeds)}")
        ax.set_xticks(sorted(summary.depth.unique()), [str(d) for d in sorted(summary.depth.unique())])
        ax.minorticks_off()
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel(metric.replace("_", " "))
    axes[0][0].legend()
    first = next(iter(studies.values())).table
    images = f" ({int(first.test_images.iloc[0]):,} test images)" if metric.startswith("test") else ""
    fig.suptitle(f"{first.family.iloc[0]} depth study on {first.dataset.iloc[0]}: {metric.replace('_', ' ')}"
                 f"{images}, plain vs residual")
    fig.tight_layout()
    return fig
