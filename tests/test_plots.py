"""The figures of single runs: right panels, lines, images and labels."""

import matplotlib
import pandas as pd
import pytest
import torch

import labkit as lk
from labkit.plots import training as plots


def fake_history(epochs=4, offset=0.0, best=3):
    epoch = list(range(1, epochs + 1))
    history = pd.DataFrame({
        "epoch": epoch,
        "train_loss": [1.0 / e + offset for e in epoch], "train_acc": [0.5 + 0.1 * e for e in epoch],
        "val_loss": [1.2 / e + offset for e in epoch], "val_acc": [0.45 + 0.1 * e for e in epoch],
        "lr": [0.1] * epochs, "seconds": [1.0] * epochs,
    })
    history.attrs["best_epoch"] = best
    return history


def titles(fig):
    return [ax.get_title() for ax in fig.axes]


def test_every_public_plot_is_exported():
    assert set(plots.__all__) <= set(lk.plots.__all__)
    assert all(callable(getattr(lk.plots, name)) for name in plots.__all__)


def test_history_has_loss_and_accuracy_panels_train_and_val():
    fig = lk.plots.plot_history(fake_history(), title="MLP on MNIST")
    assert titles(fig) == ["cross-entropy loss", "accuracy"]
    assert fig._suptitle.get_text() == "MLP on MNIST"
    for ax, metric in zip(fig.axes, ("loss", "acc")):
        lines = ax.get_lines()
        assert [line.get_label() for line in lines] == ["training", "validation", "best epoch (3)"]
        assert list(lines[0].get_ydata()) == list(fake_history()[f"train_{metric}"])
        assert lines[1].get_linestyle() == "--"


def test_history_without_validation_draws_only_training():
    history = fake_history().drop(columns=["val_loss", "val_acc"])
    history.attrs = {}
    fig = lk.plots.plot_history(history)
    assert [len(ax.get_lines()) for ax in fig.axes] == [1, 1]


def test_histories_one_panel_per_metric_train_solid_val_dashed():
    runs = {"MLP": fake_history(), "CNN": fake_history(offset=0.1), "ResNet-18": fake_history(6, offset=0.2)}
    fig = lk.plots.plot_histories(runs)
    assert len(fig.axes) == 2
    for ax in fig.axes:
        lines = ax.get_lines()
        assert len(lines) == 6
        labels = [line.get_label() for line in lines]
        assert labels[:2] == ["MLP (training)", "MLP (validation)"] and "ResNet-18 (validation)" in labels
        assert [line.get_linestyle() for line in lines[:2]] == ["-", "--"]
        assert lines[0].get_color() == lines[1].get_color() != lines[2].get_color()
    assert len(lk.plots.plot_histories(runs, metrics=("acc",)).axes) == 1


def test_histories_have_one_legend_beside_the_curves_not_on_them():
    runs = {name: fake_history(offset=i * 0.1) for i, name in enumerate(("MLP", "CNN", "ResNet-18"))}
    fig = lk.plots.plot_histories(runs)
    first, last = fig.axes
    assert first.get_legend() is None
    legend = last.get_legend()
    assert [text.get_text() for text in legend.get_texts()] == [line.get_label() for line in first.get_lines()]
    fig.canvas.draw()
    box, panel = legend.get_window_extent(), last.get_window_extent()
    assert box.x0 >= panel.x1  # right of the last panel: it covers no curve


def test_images_titled_with_class_names(mnist):
    images, labels = mnist.images["val"][:10], mnist.labels["val"][:10]
    fig = lk.plots.plot_images(images, labels, mnist.classes, n=10, ncols=5)
    assert len(fig.axes) == 10
    assert titles(fig) == [mnist.classes[int(y)] for y in labels]
    assert all(len(ax.get_images()) == 1 for ax in fig.axes)
    assert fig.axes[0].get_images()[0].get_array().shape == (28, 28)  # grey, one channel


def test_wrong_predictions_are_red_and_name_the_truth(cifar):
    images, labels = cifar.images["test"][:4], cifar.labels["test"][:4]
    predicted = labels.clone()
    predicted[1] = (labels[1] + 1) % 10
    fig = lk.plots.plot_images(images, labels, cifar.classes, predicted=predicted)
    assert len(fig.axes) == 4
    wrong = fig.axes[1].title
    assert cifar.classes[int(predicted[1])] in wrong.get_text()
    assert f"true: {cifar.classes[int(labels[1])]}" in wrong.get_text()
    assert matplotlib.colors.to_hex(wrong.get_color()) == matplotlib.colors.to_hex("tab:red")
    right = fig.axes[0].title
    assert right.get_text() == cifar.classes[int(labels[0])]
    assert matplotlib.colors.to_hex(right.get_color()) != matplotlib.colors.to_hex("tab:red")
    assert fig.axes[0].get_images()[0].get_array().shape == (32, 32, 3)


def test_normalised_batch_is_shown_as_the_original_pixels(cifar):
    images = cifar.images["val"][:3]
    fig = lk.plots.plot_images(cifar.normalise(images), cifar.labels["val"][:3], cifar.classes,
                               mean=cifar.mean, std=cifar.std)
    shown = fig.axes[0].get_images()[0].get_array()
    expected = images[0].permute(1, 2, 0).float().numpy() / 255
    assert abs(shown - expected).max() < 1e-5


def test_class_counts_one_panel_per_split_bars_sum_to_split(mnist):
    fig = lk.plots.plot_class_counts(mnist)
    assert len(fig.axes) == 3
    for ax, split in zip(fig.axes, ("train", "val", "test")):
        heights = [patch.get_height() for patch in ax.patches]
        assert len(heights) == 10 and sum(heights) == mnist.counts[split]
        assert ax.get_title().startswith(split) and f"{mnist.counts[split]:,}" in ax.get_title()


def test_confusion_matrix_heatmap_with_accuracy():
    predictions = pd.DataFrame({"label": [0, 0, 1, 2, 2, 2], "predicted": [0, 1, 1, 2, 2, 0]})
    table = lk.confusion_matrix(predictions, ["cat", "dog", "frog"])
    fig = lk.plots.plot_confusion_matrix(table)
    ax = fig.axes[0]
    assert "66.7%" in ax.get_title() and "6 images" in ax.get_title()
    assert [t.get_text() for t in ax.get_xticklabels()] == ["cat", "dog", "frog"]
    assert sorted(t.get_text() for t in ax.texts) == sorted(str(v) for v in table.values.flatten())
    normalised = lk.plots.plot_confusion_matrix(table, normalise=True).axes[0]
    assert "0.67" in [t.get_text() for t in normalised.texts]


def test_filters_one_image_per_output_channel():
    grey = torch.nn.Conv2d(1, 6, 5)
    fig = lk.plots.plot_filters(grey, ncols=4)
    assert len(fig.axes) == 6 and fig.axes[0].get_images()[0].get_array().shape == (5, 5)
    colour = lk.build_model("cnn", "cifar10", widths=[16]).stages[0].entry[0]
    fig = lk.plots.plot_filters(colour)
    assert len(fig.axes) == 16 and fig.axes[0].get_images()[0].get_array().shape == (3, 3, 3)
    assert "16 filters of 3x3 (3 input channels)" in fig._suptitle.get_text()
    titled = lk.plots.plot_filters(colour, title="CNN on CIFAR-10")
    assert titled._suptitle.get_text().startswith("CNN on CIFAR-10: 16 filters")


def test_feature_maps_input_then_one_map_per_channel(mnist):
    model = lk.build_model("cnn", "mnist")
    image = mnist.sample("val", 1)[0][0]
    first = model.stages[0].entry
    model.train()
    fig = lk.plots.plot_feature_maps(first, image, n=8)
    assert len(fig.axes) == 9 and titles(fig)[:2] == ["input", "map 0"]
    assert fig.axes[1].get_images()[0].get_array().shape == (28, 28)
    assert first.training  # left as it was
    pooled = lk.plots.plot_feature_maps(model.stages[0], image, n=4)
    assert pooled.axes[1].get_images()[0].get_array().shape == (14, 14)
    channels = first[0].out_channels
    assert f"4 of {channels} feature maps" in pooled._suptitle.get_text()  # how many of the layer's maps are shown


def test_pixel_histogram_normalised_panel_has_mean_zero(cifar):
    fig = lk.plots.plot_pixel_histogram(cifar.images["train"][:200], cifar.mean, cifar.std)
    raw, normalised = fig.axes
    assert len(raw.get_legend().get_texts()) == 3
    assert raw.get_title().startswith("raw") and normalised.get_title() == "normalised"
    grey = lk.plots.plot_pixel_histogram(torch.randint(0, 256, (10, 1, 8, 8), dtype=torch.uint8))
    label = grey.axes[1].get_legend().get_texts()[0].get_text()
    assert "mean 0.00" in label and "std 1.00" in label
    titled = lk.plots.plot_pixel_histogram(cifar.images["train"][:20], title="CIFAR-10")
    assert titled._suptitle.get_text() == "CIFAR-10"


def test_lr_schedules_follow_make_scheduler():
    fig = lk.plots.plot_lr_schedules(("onecycle", "step", "none"), epochs=8, steps_per_epoch=10, lr=0.1)
    lines = {line.get_label(): line.get_ydata() for line in fig.axes[0].get_lines()}
    assert set(lines) == {"onecycle", "step", "none"}
    assert all(len(rates) == 80 for rates in lines.values())
    assert max(lines["onecycle"]) == pytest.approx(0.1, rel=1e-3) and lines["onecycle"][0] < 0.01
    assert lines["step"][0] == pytest.approx(0.1) and lines["step"][-1] == pytest.approx(0.001)
    assert set(lines["none"]) == {0.1}
    plateau = lk.plots.plot_lr_schedules(("plateau",), epochs=8, steps_per_epoch=2).axes[0].get_lines()[0]
    assert plateau.get_ydata()[-1] < 0.1


def test_layer_gradients_one_line_per_network(mnist):
    images, labels = mnist.sample("val", 32)
    tables = {f"{kind} 6": lk.layer_gradients(lk.build_model("mlp", "mnist", depth=6, width=16,
                                                             residual=kind == "residual"), images, labels)
              for kind in ("plain", "residual")}
    fig = lk.plots.plot_layer_gradients(tables)
    lines = fig.axes[0].get_lines()
    assert [line.get_label() for line in lines] == ["plain 6", "residual 6"]
    assert all(len(line.get_xdata()) == 6 for line in lines)


def test_accuracy_vs_depth_bars_span_the_seeds_and_never_leave_zero_to_one():
    # the reference MLP study: at depth 10 one plain seed trained and two failed,
    # where mean ± std reached below 0
    study = lk.load_study(lk.assets_dir() / "depth" / "mlp")
    table = study.table
    fig = lk.plots.plot_accuracy_vs_depth(study, metric="test_acc")
    ax = fig.axes[0]
    plain = table[~table.residual & (table.depth == 10)].test_acc
    bars = [container for container in ax.containers if isinstance(container, matplotlib.container.ErrorbarContainer)]
    assert len(bars) == 2  # plain and residual
    (plain_bars,) = [bar for bar in bars if bar.get_label().startswith("plain")]
    segments = plain_bars.lines[2][0].get_segments()
    depths = sorted(table.depth.unique())
    low, high = segments[depths.index(10)][:, 1]
    assert (low, high) == pytest.approx((plain.min(), plain.max()))
    for bar in bars:
        for segment in bar.lines[2][0].get_segments():
            assert 0 <= segment[:, 1].min() and segment[:, 1].max() <= 1
    dots = sum(len(collection.get_offsets()) for collection in ax.collections
               if not isinstance(collection, matplotlib.collections.LineCollection))
    assert dots == len(table)  # one dot per run



def test_wrong_predictions_can_show_their_confidence(cifar):
    images, labels = cifar.images["test"][:2], cifar.labels["test"][:2]
    predicted = (labels + 1) % 10
    fig = lk.plots.plot_images(images, labels, cifar.classes, predicted=predicted, confidence=[0.987, 0.5])
    assert titles(fig)[0].startswith(f"{cifar.classes[int(predicted[0])]} 99%") and " 50%" in titles(fig)[1]


def test_study_figures_say_which_study_and_size_and_mark_a_guess():
    import math

    study = lk.load_study(lk.assets_dir() / "depth" / "mlp")
    fig = lk.plots.plot_depth_curves(study)
    assert fig._suptitle.get_text().startswith("mlp depth study on mnist, full size")
    fig.canvas.draw()
    for ax in fig.axes:  # both panels: a legend, and the line at the loss of a uniform guess
        assert ax.get_legend() is not None
        assert any(list(line.get_ydata()) == [math.log(10)] * 2 for line in ax.get_lines())
    axis = fig.axes[0]  # the panels share their y axis: the left one is labelled, in plain numbers
    labels = [tick.get_text() for tick in axis.get_yticklabels(minor=True) + axis.get_yticklabels() if tick.get_text()]
    assert labels and not [label for label in labels if "times" in label or "^" in label], labels
    magnitude = lk.plots.plot_gradient_magnitude(study)
    assert "mlp depth study on mnist" in magnitude.axes[0].get_title()
    assert all(float(tick).is_integer() for tick in magnitude.axes[0].get_xticks())
    augmented = lk.plots.plot_accuracy_vs_depth(study, metric="train_acc", measured_on="augmented training batches")
    assert augmented.axes[0].get_ylabel() == "train acc (on augmented training batches)"


def test_histories_take_a_title():
    fig = lk.plots.plot_histories({"MLP": fake_history()}, title="MNIST, cpu size")
    assert fig._suptitle.get_text() == "MNIST, cpu size"


def test_the_shallower_depth_is_drawn_over_the_deeper_one_where_they_coincide():
    study = lk.load_study(lk.assets_dir() / "depth" / "mlp")
    lines = lk.plots.plot_activation_stds(study, when="init").axes[0].get_lines()
    dotted = [line for line in lines if line.get_linestyle() == ":"]
    solid = [line for line in lines if line.get_linestyle() == "-"]
    assert dotted and solid and min(line.get_zorder() for line in dotted) > max(line.get_zorder() for line in solid)
