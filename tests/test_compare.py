import json
import math

import pytest

from labkit import LabkitError
from labkit.cli import main
from labkit.compare import CompareStudy, compare_key, compare_table, load_compare_study, run_compare_study
from labkit.plots import save_compare_figures
from labkit.stats import accuracy_gap, mean_std_interval

TINY = CompareStudy(models=("mlp_mnist",), seeds=2, epochs=1, mlp_depth=4, width=16, train_images=300)


def test_a_comparison_saves_one_file_per_run_and_skips_finished_ones(mnist_dir, tmp_path):
    saved = run_compare_study(TINY, tmp_path, size="smoke", device="cpu", progress=False, weights=tmp_path / "w")
    files = sorted((tmp_path / "runs").glob("*.json"))
    assert [f.stem for f in files] == sorted(compare_key("mlp_mnist", r, s) for r in (False, True) for s in (0, 1))
    record = json.loads(files[0].read_text())
    assert record["settings"]["training"]["optimizer"] == "adam" and record["settings"]["model"]["norm"] == "batch"
    assert {"val_acc", "test_acc", "history", "hardware", "seconds"} <= set(record)
    # the twins have the same weight layers and parameters
    assert saved.table.groupby("run").parameters.nunique().eq(1).all()
    assert saved.table.weight_layers.unique().tolist() == [4]
    # seed 0's weights, both twins, loadable with weights_only
    import torch

    names = sorted(p.name for p in (tmp_path / "w").glob("*.pt"))
    assert names == ["compare_mlp_mnist.pt", "compare_mlp_mnist_plain.pt"]
    assert all(isinstance(v, torch.Tensor) for v in torch.load(tmp_path / "w" / "compare_mlp_mnist.pt",
                                                                 weights_only=True).values())
    stamps = {f: f.stat().st_mtime_ns for f in files}
    again = run_compare_study(TINY, tmp_path, size="smoke", device="cpu", progress=False)
    assert {f: f.stat().st_mtime_ns for f in files} == stamps  # nothing retrained
    assert len(again.table) == 4


def test_shards_split_the_grid_and_together_make_the_whole_study(mnist_dir, tmp_path):
    for index in (0, 1):
        run_compare_study(TINY, tmp_path, size="smoke", device="cpu", progress=False, shard=(index, 2))
    assert len(load_compare_study(tmp_path).table) == 4


def test_other_settings_in_the_same_folder_are_refused(mnist_dir, tmp_path):
    run_compare_study(TINY.model_copy(update={"seeds": 1}), tmp_path, size="smoke", device="cpu", progress=False)
    with pytest.raises(LabkitError, match="other settings.*width"):
        run_compare_study(TINY.model_copy(update={"seeds": 1, "width": 8}), tmp_path, size="smoke", device="cpu",
                          progress=False)


def test_the_table_has_mean_std_and_a_t_interval_per_twin(mnist_dir, tmp_path):
    saved = run_compare_study(TINY, tmp_path, size="smoke", device="cpu", progress=False)
    table = compare_table(saved)
    assert list(table.variant) == ["plain", "residual"] and list(table.seeds) == [2, 2]
    for _, row in table.iterrows():
        assert row.test_acc_95_low <= row.test_acc_mean <= row.test_acc_95_high
    paths = save_compare_figures(saved, tmp_path)
    assert len(paths) == 2 and all(p.stat().st_size > 1000 for p in paths)


def test_t_interval_is_the_textbook_one():
    stats = mean_std_interval([0.90, 0.92, 0.94])
    # mean 0.92, std 0.02, t(0.975, 2) = 4.303: half-width 4.303 * 0.02 / sqrt(3) = 0.0497
    assert stats["mean"] == pytest.approx(0.92) and stats["std"] == pytest.approx(0.02)
    assert stats["high"] - stats["mean"] == pytest.approx(4.3027 * 0.02 / math.sqrt(3), rel=1e-3)
    assert math.isnan(mean_std_interval([0.5])["low"])


def test_the_gap_of_two_accuracies_and_its_standard_error():
    # 0.512 vs 0.458 on 1,000 images: se = sqrt((0.512*0.488 + 0.458*0.542) / 1000) = 0.02232
    gap = accuracy_gap(0.512, 0.458, 1000)
    assert gap["gap"] == pytest.approx(0.054) and gap["se"] == pytest.approx(0.02232, abs=1e-5)
    assert not gap["tie"] and "beyond" in gap["verdict"]
    assert accuracy_gap(0.458, 0.512, 1000)["se"] == pytest.approx(gap["se"])  # symmetric
    assert accuracy_gap(0.512, 0.48, 1000)["tie"] and "tie" in accuracy_gap(0.512, 0.48, 1000)["verdict"]
    # four times the images halve the standard error
    assert accuracy_gap(0.512, 0.458, 4000)["se"] == pytest.approx(gap["se"] / 2)
    with pytest.raises(ValueError, match="at least 1"):
        accuracy_gap(0.5, 0.5, 0)


def test_mlps_train_without_augmentation_unless_asked_and_the_record_says_so(cifar_dir, tmp_path):
    # crops and flips cost a CIFAR-10 MLP about 7 points (benchmarks/mlp_cifar10_recipe.py); the CNNs keep them
    study = CompareStudy(models=("mlp_cifar10", "cnn_cifar10"), seeds=1, epochs=1, mlp_depth=2, width=16,
                         cnn_depth=1, train_images=128)
    assert study.augment("mlp_cifar10") is False and study.augment("cnn_cifar10") is None
    assert study.model_copy(update={"mlp_augment": True}).augment("mlp_cifar10") is None
    saved = run_compare_study(study, tmp_path, size="smoke", device="cpu", progress=False)
    augmented = {run["run"]: run["settings"]["dataset"]["augment"] for run in saved.runs.values()}
    assert augmented == {"mlp_cifar10": False, "cnn_cifar10": True}  # smoke size keeps CIFAR-10's default


def test_bad_comparison_requests():
    with pytest.raises(LabkitError, match="'resnet_mnist' is not"):
        CompareStudy(models=("resnet_mnist",))
    with pytest.raises(LabkitError, match="more than once"):
        CompareStudy(models=("mlp_mnist", "mlp_mnist"))


def test_the_command_line_trains_resumes_and_reloads(mnist_dir, tmp_path, capsys):
    arguments = ["study", "compare", "--models", "mlp_mnist", "--seeds", "1", "--epochs", "1", "--mlp-depth", "3",
                 "--width", "8", "--train-images", "200", "--size", "smoke", "--device", "cpu", "--quiet",
                 "--out", str(tmp_path)]
    assert main(arguments) == 0
    assert "2 runs in" in capsys.readouterr().out and (tmp_path / "compare_table.csv").exists()
    assert main([*arguments, "--load"]) == 0
    assert main(["study", "compare", "--models", "mlp_svhn", "--out", str(tmp_path)]) == 2


def test_the_readme_shows_the_study_beside_the_published_course_table(mnist_dir, tmp_path, monkeypatch):
    import sys
    from pathlib import Path

    import labkit as lk

    root = Path(__file__).resolve().parents[1]
    run_compare_study(TINY, tmp_path / "assets" / "compare", size="smoke", device="cpu", progress=False)
    table = lk.beside_course(compare_table(load_compare_study(tmp_path / "assets" / "compare")))
    assert list(table.course_val_acc) == [0.974, 0.982]  # the course's plain and residual MLP on MNIST
    assert table.val_acc_minus_course.tolist() == pytest.approx((table.val_acc_mean - table.course_val_acc).tolist())
    unknown = lk.beside_course(table.assign(run="resnet18_cifar10"))
    assert unknown.course_val_acc.isna().all()

    monkeypatch.syspath_prepend(str(root / "benchmarks"))
    import readme_tables

    monkeypatch.setattr(readme_tables, "ROOT", tmp_path)
    text = readme_tables.compare_section()
    header = ("| network | twin | seeds | weight layers | parameters | val acc, mean ± std (95 % interval) "
              "| course val acc |")
    assert header in text
    assert "| mlp_mnist | plain | 2 | 4 |" in text and "| 0.974 |" in text and "| 0.982 |" in text
    assert "validation on 1,000 (mnist) images, test on 1,000 (mnist) images" in text and "(step 2)" in text
    sys.modules.pop("readme_tables", None)


def test_kept_weights_are_fp16_half_the_bytes_and_predict_as_the_trained_network(mnist):
    """Trained weights live in the repository (and travel to every GPU call): fp16 halves them."""
    import io

    import torch

    import labkit as lk
    from labkit.checkpoints import compact_state

    torch.manual_seed(0)
    model = lk.build_model("mlp", "mnist", depth=3, width=64, norm="batch")
    lk.fit(model, mnist, epochs=1, progress=False)
    full, half = io.BytesIO(), io.BytesIO()
    torch.save(model.state_dict(), full)
    state = compact_state(model.state_dict())
    torch.save(state, half)
    assert half.tell() < 0.6 * full.tell()
    counters = [v for k, v in state.items() if k.endswith("num_batches_tracked")]  # batch norm's, integers
    assert counters and all(v.dtype == torch.int64 for v in counters)
    assert {v.dtype for k, v in state.items() if not k.endswith("num_batches_tracked")} == {torch.float16}
    half.seek(0)
    copy = lk.build_model("mlp", "mnist", depth=3, width=64, norm="batch")
    copy.load_state_dict(torch.load(half, weights_only=True))
    assert next(copy.parameters()).dtype == torch.float32  # cast back on load
    images = mnist.sample("val", 256)[0]
    model.eval(), copy.eval()
    with torch.no_grad():
        agree = (model(images).argmax(1) == copy(images).argmax(1)).float().mean()
    assert agree >= 0.99
    huge = compact_state({"w": torch.tensor([1e6, 1.0])})  # beyond fp16's range: kept as it was
    assert huge["w"].dtype == torch.float32
