import json
import subprocess
import sys
from pathlib import Path

import pytest

import labkit as lk
from labkit.cli import main
from labkit.config import load_config

ROOT = Path(__file__).resolve().parents[1]


def run_cli(capsys, *args):
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize("args, words", [
    (["train", "--model", "vgg"], ["'vgg'", "'mlp'", "'resnet18'"]),
    (["train", "--dataset", "svhn"], ["'svhn'", "'mnist'", "'cifar10'"]),
    (["train", "--optimizer", "rmsprop"], ["'rmsprop'", "'sgd'", "'adam'"]),
    (["train", "--schedule", "linear"], ["'linear'", "'onecycle'", "'cosine'"]),
    (["train", "--size", "huge"], ["'huge'", "'smoke'", "'cpu'", "'full'"]),
    (["train", "--epochs", "0"], ["epochs", "0"]),
    (["train", "--epochs", "-3"], ["epochs", "-3"]),
    (["train", "--batch-size", "0"], ["batch size", "0"]),
    (["train", "--lr", "-0.1"], ["learning rate", "-0.1"]),
    (["train", "--model", "mlp", "--depth", "1"], ["depth 1", "minimum"]),
    (["train", "--model", "resnet", "--depth", "5"], ["depth 5", "minimum", "8"]),
    (["train", "--log", "mlflow"], ["'mlflow'", "'tensorboard'", "'wandb'"]),
    (["train", "--epochs", "ten"], ["--epochs", "'ten'"]),
    (["fly"], ["'fly'", "train", "summary"]),
])
def test_bad_input_is_one_line_and_exit_code_2(capsys, args, words, tmp_path):
    code, out, err = run_cli(capsys, *args, *(["--out", str(tmp_path)] if args[0] == "train" else []))
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("labkit: error:"), err
    assert all(w in err for w in words), err
    assert "Traceback" not in err


@pytest.mark.parametrize("text, words", [
    ("model:\n  name: mlp\n  dropout: 0.5\n", ["'dropout'", "'model'", "'depth'"]),
    ("training:\n  epochs: ten\n", ["training.epochs", "whole number", "'ten'"]),
    ("training:\n  lr: yes\n", ["training.lr", "number", "True"]),
    ("optimiser:\n  name: sgd\n", ["'optimiser'", "'training'"]),
    ("model: [1, 2]\n", ["model", "mapping", "[1, 2]"]),
    ("model: {name: mlp\n", ["not valid YAML"]),
])
def test_bad_config_files(capsys, tmp_path, text, words):
    path = tmp_path / "config.yaml"
    path.write_text(text)
    code, _, err = run_cli(capsys, "train", "--config", str(path), "--out", str(tmp_path))
    assert code == 2 and err.count("\n") == 1 and all(w in err for w in words), err


def test_missing_config_file(capsys, tmp_path):
    code, _, err = run_cli(capsys, "train", "--config", str(tmp_path / "nope.yaml"))
    assert code == 2 and "nope.yaml" in err


@pytest.mark.parametrize("path", sorted((ROOT / "configs").glob("*.yaml")))
def test_shipped_configs_are_valid(path):
    from labkit.options import RunConfig

    config = RunConfig.checked(load_config(path))
    assert config.model.name in ("mlp", "cnn")


def test_train_writes_results_and_tensorboard_logs(capsys, tmp_path, mnist_dir):
    code, out, err = run_cli(capsys, "train", "--model", "mlp", "--dataset", "mnist", "--epochs", "2",
                             "--width", "64", "--residual", "--depth", "4", "--out", str(tmp_path),
                             "--log", "--quiet", "--device", "cpu")
    assert code == 0, err
    result = json.loads((tmp_path / "result.json").read_text())
    assert result["settings"]["model"] == {"name": "mlp", "width": 64, "residual": True, "depth": 4}
    assert set(lk.runs.RECORD) <= set(result) and result["model"] == "mlp" and result["residual"] is True
    assert result["epochs_run"] == 2 and result["test_images"] == 1_000 and result["test_acc"] > 0.5
    assert (tmp_path / "history.csv").read_text().startswith("epoch,train_loss")
    assert list((tmp_path / "logs").glob("events.out.tfevents.*"))
    assert "test accuracy" in out and "on 1,000 test images" in out


def test_config_file_and_flags(capsys, tmp_path, mnist_dir):
    config = tmp_path / "c.yaml"
    config.write_text("model: {name: mlp, width: 32}\ndataset: {name: mnist, train_images: 1000}\n"
                      "training: {epochs: 3, optimizer: adam}\n")
    code, _, err = run_cli(capsys, "train", "--config", str(config), "--epochs", "1", "--out", str(tmp_path),
                           "--quiet", "--device", "cpu")
    assert code == 0, err
    result = json.loads((tmp_path / "result.json").read_text())
    assert result["epochs_run"] == 1 and result["settings"]["training"]["optimizer"] == "adam"
    assert result["images"]["train"] == 1000


def test_wandb_without_wandb_says_how_to_install(capsys, tmp_path, mnist_dir, monkeypatch):
    monkeypatch.setitem(sys.modules, "wandb", None)  # as if not installed
    code, _, err = run_cli(capsys, "train", "--model", "mlp", "--epochs", "1", "--out", str(tmp_path),
                           "--log", "wandb", "--quiet", "--device", "cpu")
    assert code == 2 and "pip install wandb" in err


def test_summary_shows_layers_and_parameters(capsys):
    code, out, _ = run_cli(capsys, "summary", "--model", "resnet20", "--plain")
    assert code == 0 and "Total params: 269,722" in out and "BasicBlock" in out


def test_console_script_and_module_entry_point():
    done = subprocess.run([sys.executable, "-m", "labkit", "train", "--model", "vgg"], capture_output=True, text=True)
    assert done.returncode == 2 and "unknown model 'vgg'" in done.stderr


def test_study_load_prints_a_table_a_terminal_can_show(capsys, tmp_path):
    import shutil

    shutil.copytree(lk.assets_dir() / "depth" / "mlp", tmp_path / "mlp", ignore=shutil.ignore_patterns("figures"))
    code, out, _ = run_cli(capsys, "study", "depth", "--family", "mlp", "--out", str(tmp_path / "mlp"), "--load")
    assert code == 0 and "test_acc_mean" in out and "test_acc_std" in out  # the reference has 2-3 seeds
    table = out.splitlines()[:-1]  # the last line names the folders
    assert len(table) == 1 + 12 and max(len(line) for line in table) <= 120
