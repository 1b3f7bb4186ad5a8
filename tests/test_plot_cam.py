"""The figures of class activation maps: right images in the right group, titles that name the classes."""

import matplotlib.pyplot as plt
import numpy as np
import torch

import labkit as lk
from labkit.cam import ClassMaps
from labkit.plots import cam as plots

CLASSES = [f"class {i}" for i in range(10)]


def _images(n=6):
    torch.manual_seed(0)
    return torch.randint(0, 256, (n, 3, 32, 32), dtype=torch.uint8)


def _image_axes(fig):
    figures = fig.subfigs or [fig]  # the class-map figure has two subfigures: correct, wrong
    return [ax for figure in figures for ax in figure.axes if ax.get_images()]


def test_every_cam_plot_is_exported():
    assert set(plots.__all__) <= set(lk.plots.__all__)


def test_class_maps_put_correct_images_left_and_wrong_ones_right():
    labels = torch.tensor([0, 1, 2, 3, 4, 5])
    predicted = torch.tensor([0, 9, 2, 8, 4, 5])  # images 1 and 3 are wrong
    maps = torch.rand(6, 32, 32)
    fig = lk.plots.plot_class_maps(_images(), maps, labels, predicted, CLASSES, n=4, ncols=2, title="maps")
    shown = _image_axes(fig)
    assert len(shown) == 6 and all(len(ax.get_images()) == 2 for ax in shown)  # the image and its map
    titles = [ax.get_title() for ax in shown]
    assert titles[:4] == ["class 0\n(true: class 0)", "class 2\n(true: class 2)", "class 4\n(true: class 4)",
                          "class 5\n(true: class 5)"]
    assert titles[4:] == ["class 9\n(true: class 1)", "class 8\n(true: class 3)"]
    assert [fig_.get_suptitle() for fig_ in fig.subfigs] == ["correct (4 shown)", "wrong (2 shown)"]
    overlay = shown[4].get_images()[1].get_array()
    assert np.isclose(overlay.min(), 0) and np.isclose(overlay.max(), 1)  # each map scaled to [0, 1]
    plt.close(fig)


def test_class_maps_say_when_a_group_is_empty():
    labels = torch.arange(4)
    fig = lk.plots.plot_class_maps(_images(4), torch.rand(4, 32, 32), labels, labels, CLASSES)
    assert fig.subfigs[1].get_suptitle() == "wrong: none among these images"
    plt.close(fig)


def test_map_comparison_one_row_per_image_one_column_per_network():
    labels = torch.tensor([3, 1, 4])
    columns = {"plain": (torch.rand(3, 32, 32), torch.tensor([3, 1, 0])),
               "residual": ClassMaps(torch.rand(3, 32, 32), torch.tensor([3, 2, 4]), torch.zeros(3, 10))}
    probabilities = {"plain": torch.full((3, 10), 0.1)}
    fig = lk.plots.plot_map_comparison(_images(3), columns, labels, CLASSES, probabilities=probabilities)
    titles = [ax.get_title() for ax in _image_axes(fig)]
    assert len(titles) == 9
    assert titles[:3] == ["true: class 3", "plain:\nclass 3 (10%)", "residual:\nclass 3"]
    colours = [ax.title.get_color() for ax in _image_axes(fig)]
    assert colours[4] == "tab:green" and colours[7] == "tab:red"  # row 2: plain right, residual wrong
    plt.close(fig)
