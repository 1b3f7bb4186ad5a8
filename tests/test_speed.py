"""The speed tools measure what they say; the speed benchmark runs at a tiny size so it never rots.

Nothing here asserts a time: timing belongs to benchmarks/speed.py and its saved results.
"""

import json
import sys
from pathlib import Path

import pytest
import torch
from torch import nn

from labkit.speed import hand_written_epoch, peak_flops, profile_loop, training_flops

ROOT = Path(__file__).resolve().parents[1]


def test_training_flops_count_forward_and_backward():
    # forward 2*a*b + 2*b*c multiply-adds as FLOPs; backward: the first layer needs only its weight
    # gradient (2*a*b; its input needs none), the second its weight and its input gradients (4*b*c)
    a, b, c = 784, 64, 10
    model = nn.Sequential(nn.Flatten(), nn.Linear(a, b), nn.ReLU(), nn.Linear(b, c))
    assert training_flops(model, (1, 28, 28)) == 4 * a * b + 6 * b * c


def test_peak_flops_is_a_positive_rate():
    assert peak_flops("cpu", size=128, repeats=2) > 1e6


def test_profile_splits_a_step_into_its_phases(mnist):
    table = profile_loop(nn.Sequential(nn.Flatten(), nn.Linear(784, 10)), mnist.train, steps=5, device="cpu")
    assert list(table.phase) == ["data", "forward", "backward", "optimiser step"]
    assert (table["ms per step"] > 0).all() and table["share"].sum() == pytest.approx(1)


def test_the_hand_written_loop_trains(mnist):
    torch.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(784, 10))
    before = nn.functional.cross_entropy(model(mnist.sample("val", 256)[0]), mnist.sample("val", 256)[1]).item()
    assert hand_written_epoch(model, mnist.train, epochs=1, device="cpu", lr=0.05) > 0
    after = nn.functional.cross_entropy(model(mnist.sample("val", 256)[0]), mnist.sample("val", 256)[1]).item()
    assert after < before


def test_the_speed_benchmark_runs_at_a_tiny_size(cifar_dir, tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))
    import speed

    assert speed.main(["--out", str(tmp_path), "--images", "256", "--epochs", "2", "--width", "4",
                       "--recipe-epochs", "1", "--airbench-runs", "2"]) == 0
    saved = json.loads((tmp_path / "speed.json").read_text())
    recipe = saved["labkit recipe"]  # the fastest step, once per seed, measured on the test images
    assert [row["seed"] for row in recipe] == [0, 1] and all(row["epochs"] == 1 for row in recipe)
    assert all(0 <= row["test acc"] <= 1 and row["test images"] == 1_000 for row in recipe)
    assert (tmp_path / "speed-labkit.csv").exists()
    ladder = saved["ladder"]
    assert [row["step"].split(":")[0] for row in ladder][:2] == ["classic", "+ data on the device"]
    assert all(row["seconds per epoch"] > 0 and 0 < row["share of limit"] < 1 for row in ladder)
    assert ladder[-1]["batch size"] == 512 and ladder[0]["training images"] == 256
    assert saved["fit against a hand-written loop"][0]["fit / hand-written"] > 0
    assert saved["FLOPs per training image"] > 0 and "CPU" in saved["hardware"]
    sys.modules.pop("speed", None)


def test_speed_figures_one_bar_per_step_and_per_loop():
    import pandas as pd

    import labkit as lk

    table = pd.DataFrame({"step": ["classic", "+ device"], "seconds per epoch": [2.0, 1.0]})
    fig = lk.plots.plot_speed_steps(table, title="ResNet-18 on CIFAR-10, cpu size")
    assert len(fig.axes[0].patches) == 2 and "cpu size" in fig.axes[0].get_title()
    phases = pd.DataFrame({"phase": ["data", "forward", "backward", "optimiser step"], "ms per step": [4, 2, 3, 1]})
    fig = lk.plots.plot_step_phases({"classic": phases, "device": phases.assign(**{"ms per step": [1, 2, 3, 1]})},
                                    title="one training step")
    assert len(fig.axes[0].patches) == 8
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == list(phases.phase)
