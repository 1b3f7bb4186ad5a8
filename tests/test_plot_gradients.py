"""The figures of gradient flow inside single runs: one panel per network, one shared colour scale."""

import numpy as np
import pandas as pd
import pytest
import torch

import labkit as lk
from labkit.plots import gradients as plots


def probe_history(layers=5, epochs=3, scale=1.0):
    """A GradientProbe-like history: norms that fall by 10x per layer towards the input."""
    return pd.DataFrame([{"epoch": e, "name": f"layer {d}", "layer": d, "grad_norm": scale * 10.0 ** (d - layers)}
                         for e in range(epochs + 1) for d in range(1, layers + 1)])


def test_every_plot_is_listed_and_callable():
    assert plots.__all__ == ["plot_probe_heatmap", "plot_layer_gradients", "plot_layer_activations"]
    assert all(callable(getattr(plots, name)) for name in plots.__all__)


def test_heatmap_one_panel_per_network_layers_by_epochs_on_one_colour_scale():
    fig = plots.plot_probe_heatmap({"plain": probe_history(6, 2), "residual": probe_history(4, 2, scale=1e3)},
                                   title="probe")
    panels = [ax for ax in fig.axes if ax.get_title() in ("plain", "residual")]
    assert [ax.get_title() for ax in panels] == ["plain", "residual"]
    meshes = [ax.collections[0] for ax in panels]
    assert meshes[0].get_array().size == 6 * 3  # 6 layers x epochs 0, 1, 2
    assert meshes[1].get_array().size == 4 * 3
    assert [abs(ax.get_ylim()[1] - ax.get_ylim()[0]) for ax in panels] == [6, 4]  # one row per layer
    limits = {mesh.get_clim() for mesh in meshes}
    assert len(limits) == 1  # shared: the same colour means the same norm in both panels
    low, high = limits.pop()
    assert low == pytest.approx(-5) and high == pytest.approx(3)
    assert fig._suptitle.get_text() == "probe"


def test_heatmap_draws_a_zero_gradient_instead_of_failing():
    history = probe_history(3, 1)
    history.loc[0, "grad_norm"] = 0.0
    fig = plots.plot_probe_heatmap({"plain": history})
    values = fig.axes[0].collections[0].get_array()
    assert np.isfinite(values).all() and values.min() == pytest.approx(-30)


def test_heatmap_of_a_real_probe_during_training(mnist):
    images, labels = mnist.sample("val", 32)
    small = lk.load_data("mnist", train_images=256, device="cpu")
    torch.manual_seed(0)
    model = lk.build_model("mlp", "mnist", depth=4, width=8)
    probe = lk.GradientProbe(images, labels)
    probe.measure(0, model)
    lk.fit(model, small, epochs=2, callbacks=[probe], progress=False, device="cpu")
    fig = plots.plot_probe_heatmap({"plain 4": probe.history})
    assert fig.axes[0].collections[0].get_array().size == 4 * 3


def test_activations_one_line_per_network_with_every_layer():
    torch.manual_seed(0)
    images = torch.randn(32, 1, 28, 28)
    tables = {f"{kind} 6": lk.activation_stds(lk.build_model("mlp", "mnist", depth=6, width=16,
                                                             residual=kind == "residual"), images)
              for kind in ("plain", "residual")}
    fig = plots.plot_layer_activations(tables, title="at initialisation")
    lines = fig.axes[0].get_lines()
    assert [line.get_label() for line in lines] == ["plain 6", "residual 6"]
    assert all(list(line.get_xdata()) == [1, 2, 3, 4, 5, 6] for line in lines)
    assert list(lines[0].get_ydata()) == list(tables["plain 6"].activation_std)
    assert fig.axes[0].get_yscale() == "log" and fig.axes[0].get_title() == "at initialisation"


def test_heatmap_of_a_deep_long_run_labels_few_enough_layers_and_epochs_not_to_overlap():
    fig = plots.plot_probe_heatmap({"plain": probe_history(102, 30)})
    panel = fig.axes[0]
    layers = [tick.get_text() for tick in panel.get_yticklabels()]
    epochs = [tick.get_text() for tick in panel.get_xticklabels()]
    assert 10 <= len(layers) <= 21 and layers[0] == "1" and 8 <= len(epochs) <= 16 and epochs[0] == "0"
