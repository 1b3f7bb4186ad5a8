import pandas as pd
import pytest

import labkit as lk


def test_a_saved_run_is_read_back_with_its_test_images_and_hardware(tmp_path, mnist_dir):
    config = {"model": {"name": "mlp", "depth": 2, "width": 32}, "dataset": {"name": "mnist"},
              "training": {"epochs": 1}}
    run = lk.train_run(config, tmp_path / "runs" / "mlp_mnist", size="smoke", progress=False)
    table = lk.reference_runs("mlp_mnist", "cnn_mnist", assets=tmp_path)
    row = table.loc["mlp_mnist"]
    assert row["test acc"] == pytest.approx(run.result["test_acc"])
    assert row["test images"] == run.result["test_images"] == run.data.counts["test"]
    assert row["parameters"] == lk.count_parameters(run.model)
    assert row["run size"] == "smoke"
    assert row["hardware"] == run.result["hardware"]
    assert row["source"] == f"{tmp_path.name}/runs/mlp_mnist/result.json"
    assert pd.isna(table.loc["cnn_mnist", "test acc"])  # a missing run gets no numbers


def test_a_missing_run_is_shown_as_missing_with_the_command_that_makes_it(tmp_path):
    table = lk.reference_runs("resnet18_cifar10", assets=tmp_path)
    row = table.loc["resnet18_cifar10"]
    assert "not produced yet" in row["source"]
    command = "labkit train --model resnet18 --dataset cifar10 --size full --out assets/runs/resnet18_cifar10"
    assert command in row["source"]


@pytest.mark.parametrize("name", ["mlp", "mlp_imagenet", "_mnist"])
def test_a_badly_formed_reference_name_is_refused_with_the_allowed_datasets(name, tmp_path):
    with pytest.raises(lk.LabkitError, match=f"{name!r}.*mnist, cifar10"):
        lk.reference_runs(name, assets=tmp_path)


def test_the_checkout_assets_hold_the_depth_studies():
    assert (lk.assets_dir() / "depth" / "mlp" / "study.json").is_file()


def test_beside_reference_tests_your_model_and_puts_the_saved_run_under_it(tmp_path, mnist_dir):
    config = {"model": {"name": "mlp", "depth": 2, "width": 32}, "dataset": {"name": "mnist"},
              "training": {"epochs": 1}}
    saved = lk.train_run(config, tmp_path / "runs" / "mlp_mnist", size="smoke", progress=False)
    lk.seed_everything(1)
    data = lk.load_data("mnist", size="smoke")
    mine = lk.build_model("mlp", "mnist", depth=2, width=16)
    history = lk.fit(mine, data, epochs=1, progress=False)
    shown = lk.beside_reference({"mlp_mnist": (mine, data, history)}, size="smoke", assets=tmp_path)
    table = shown.data
    assert list(table.index) == [("mlp_mnist", "this notebook"), ("mlp_mnist", "reference")]
    assert table.loc[("mlp_mnist", "this notebook"), "test acc"] == lk.evaluate(mine, data.test)["accuracy"]
    assert table.loc[("mlp_mnist", "this notebook"), "parameters"] == lk.count_parameters(mine)
    assert f">{lk.count_parameters(mine):,}<" in shown.to_html()  # counts shown with thousands separators
    assert table.loc[("mlp_mnist", "reference"), "test acc"] == pytest.approx(saved.result["test_acc"])
    missing = lk.beside_reference({"cnn_mnist": (mine, data, history)}, size="smoke", assets=tmp_path)
    html = missing.to_html()
    assert "labkit train --model cnn --dataset mnist --size full --out assets/runs/cnn_mnist" in html  # in full
    assert missing.data.loc[("cnn_mnist", "reference"), "run size"] == "full"
    with pytest.raises(lk.LabkitError, match="'mlp_svhn'"):
        lk.beside_reference({"mlp_svhn": (mine, data, history)}, assets=tmp_path)


def test_trained_weights_are_found_when_saved_and_none_before(tmp_path):
    import torch

    assert lk.trained_weights("resnet20_cifar10", assets=tmp_path) is None
    model = lk.build_model("resnet20", "cifar10", residual=False)
    (tmp_path / "weights").mkdir()
    torch.save(model.state_dict(), tmp_path / "weights" / "resnet20_cifar10_plain.pt")
    path = lk.trained_weights("resnet20_cifar10_plain", assets=tmp_path)
    assert path == tmp_path / "weights" / "resnet20_cifar10_plain.pt"
    twin = lk.build_model("resnet20", "cifar10", residual=False)
    twin.load_state_dict(torch.load(path, weights_only=True))
    assert all(torch.equal(a, b) for a, b in zip(model.state_dict().values(), twin.state_dict().values()))
    assert lk.trained_weights("resnet20_cifar10", assets=tmp_path) is None  # the residual one is not there
    with pytest.raises(lk.LabkitError, match="<model>_<dataset>"):
        lk.trained_weights("resnet20", assets=tmp_path)
