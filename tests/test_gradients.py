import torch

from labkit import GradientProbe, activation_stds, build_model, layer_gradients, weight_layers
from labkit.gradients import layer_name


def test_layers_are_named_as_a_student_reads_them():
    assert layer_name("blocks.3.fc1") == "block 4 · fc 1"
    assert layer_name("stages.1.blocks.0.conv2") == "stage 2 · block 1 · conv 2"
    assert layer_name("stages.2.0.shortcut.0") == "stage 3 · block 1 · shortcut"
    names = list(weight_layers(build_model("resnet20")))
    assert names[0] == "stem" and names[-1] == "fc" and len(names) == 20 and len(set(names)) == 20


def test_deep_plain_mlp_loses_its_gradient_at_initialisation(mnist):
    images, labels = mnist.sample("val", 128)
    norms = {}
    for residual in (False, True):
        torch.manual_seed(0)
        model = build_model("mlp", "mnist", depth=50, residual=residual)
        norms[residual] = layer_gradients(model, images, labels).grad_norm.iloc[0]
    assert norms[False] < 1e-3 * norms[True]


def test_gradient_probe_uses_one_fixed_batch_and_leaves_no_trace(mnist):
    images, labels = mnist.sample("val", 64)
    again, _ = mnist.sample("val", 64)
    assert torch.equal(images, again)
    model = build_model("cnn", "mnist", widths=[4, 8])
    before = {k: v.clone() for k, v in model.state_dict().items()}
    probe = GradientProbe(images, labels, epochs=[2])
    probe.measure(0, model)
    probe(1, {}, model)  # not a chosen epoch
    probe(2, {}, model)
    assert sorted(probe.history.epoch.unique()) == [0, 2]
    first, second = (t.grad_norm for _, t in probe.history.groupby("epoch"))
    assert list(first) == list(second)  # same weights, same batch: same numbers
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    assert all(p.grad is None for p in model.parameters())


def test_activation_std_per_layer():
    torch.manual_seed(0)
    table = activation_stds(build_model("mlp", "mnist", depth=20), torch.randn(64, 1, 28, 28))
    assert len(table) == 20 and table.activation_std.iloc[-2] < table.activation_std.iloc[0]



def test_subnormal_gradients_of_a_deep_plain_mlp_and_the_flush_that_removes_them(mnist_dir, tmp_path, monkeypatch):
    """The explanation notebook 06 gives for a deep plain MLP's slow CPU batches, checked (not timed)."""
    import sys
    from pathlib import Path

    import pandas as pd
    import pytest

    if not torch.set_flush_denormal(True):
        pytest.skip("this CPU cannot flush subnormal floats")
    torch.set_flush_denormal(False)
    monkeypatch.setenv("LABKIT_DATA", str(mnist_dir))
    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parents[1] / "benchmarks"))
    import subnormal_mlp

    try:
        assert subnormal_mlp.main(["--steps", "1", "--timed", "1", "--out", str(tmp_path)]) == 0
    finally:
        sys.modules.pop("subnormal_mlp", None)
    table = pd.read_csv(tmp_path / "subnormal_mlp.csv").set_index(["flush denormals", "variant"])
    share = table["subnormal share, ReLU-output gradients"]
    # PyTorch's default init shrinks the backward signal by about 0.41 per layer: after 100 layers it is subnormal
    assert share["off (the default)", "plain"] > 0.01 and share["off (the default)", "residual"] == 0
    # flushed on every thread from the start, none is left
    assert share["on, from the start (every thread)", "plain"] == 0
