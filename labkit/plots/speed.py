"""Figures of where training time goes: the levers step by step, and the phases of one training step."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd

__all__ = ["plot_speed_steps", "plot_step_phases"]


def plot_speed_steps(table: pd.DataFrame, title: str, column: str = "seconds per epoch"):
    """One bar per step of the speed ladder (``labkit.speed.run_ladder``), the classic loop on top."""
    fig, ax = plt.subplots(figsize=(8, 0.5 * len(table) + 1.2))
    bars = ax.barh(table.step, table[column], color="tab:blue")
    ax.bar_label(bars, labels=[f"{v:.3g}" for v in table[column]], padding=3, fontsize="small")
    ax.invert_yaxis()
    ax.set(xlabel=column, title=title)
    ax.margins(x=0.15)
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    return fig


def plot_step_phases(profiles: dict, title: str):
    """Milliseconds per training step split into data / forward / backward / optimiser, one bar per loop."""
    phases = next(iter(profiles.values())).phase.tolist()
    table = pd.DataFrame({name: profile.set_index("phase")["ms per step"] for name, profile in profiles.items()}).T
    fig, ax = plt.subplots(figsize=(8, 0.6 * len(profiles) + 1.4))
    left = pd.Series(0.0, index=table.index)
    for phase in phases:
        ax.barh(table.index, table[phase], left=left, label=phase)
        left += table[phase]
    ax.invert_yaxis()
    ax.set(xlabel="milliseconds per training step", title=title)
    ax.legend(fontsize="small", loc="center left", bbox_to_anchor=(1.0, 0.5))  # beside the bars, never on them
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    return fig
