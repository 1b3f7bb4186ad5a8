import json
import os
import signal
import subprocess
import sys
import time

import pytest

import labkit as lk
from labkit import LabkitError, describe_study, load_study, run_depth_study, summarise
from labkit.cli import main
from labkit.plots import save_study_figures
from labkit.studies import DepthStudy, run_key

TINY = DepthStudy(family="mlp", depths=(3, 6), seeds=1, epochs=2, width=16, train_images=300)


def test_a_study_saves_one_file_per_run_and_skips_finished_ones(mnist_dir, tmp_path):
    table = run_depth_study(TINY, tmp_path, device="cpu", progress=False).table
    assert len(table) == 4 and set(zip(table.depth, table.residual)) == {(3, False), (3, True), (6, False), (6, True)}
    files = sorted((tmp_path / "runs").glob("*.json"))
    assert [f.stem for f in files] == sorted(run_key(d, r, 0) for d in (3, 6) for r in (False, True))
    result = json.loads(files[0].read_text())
    assert {"history", "gradients", "activations", "test_acc", "test_images", "epochs_run"} <= set(result)
    assert {row["epoch"] for row in result["gradients"]} == {0, 1, 2}  # initialisation, then each epoch
    stamps = {f: f.stat().st_mtime_ns for f in files}
    again = run_depth_study(TINY, tmp_path, device="cpu", progress=False).table  # nothing left to do
    assert {f: f.stat().st_mtime_ns for f in files} == stamps
    assert again.drop(columns="seconds").equals(table.drop(columns="seconds"))


def test_twins_in_a_study_have_equal_layers_and_parameters(mnist_dir, tmp_path):
    table = run_depth_study(TINY, tmp_path, device="cpu", progress=False).table
    for _, pair in table.groupby("depth"):
        assert pair.parameters.nunique() == 1 and pair.weight_layers.nunique() == 1
    assert sorted(table.weight_layers.unique()) == [3, 6]


def test_summary_and_figures(mnist_dir, tmp_path):
    study = run_depth_study(DepthStudy(family="mlp", depths=(3,), seeds=2, epochs=1, width=16, train_images=200),
                            tmp_path, device="cpu", progress=False)
    summary = summarise(study)
    assert list(summary.seeds) == [2, 2] and "test_acc_std" in summary
    paths = save_study_figures(study, tmp_path)
    assert len(paths) == 6 and all(p.stat().st_size > 1000 for p in paths)


def test_other_settings_in_the_same_folder_are_refused(mnist_dir, tmp_path):
    run_depth_study(DepthStudy(family="mlp", depths=(3,), seeds=1, epochs=1, width=8, train_images=100),
                    tmp_path, device="cpu", progress=False)
    with pytest.raises(LabkitError, match="other settings"):
        run_depth_study(DepthStudy(family="mlp", depths=(3,), seeds=1, epochs=2, width=8, train_images=100),
                        tmp_path, device="cpu", progress=False)


def test_bad_study_requests():
    with pytest.raises(LabkitError, match="'cnn'.*'mlp', 'resnet'"):
        DepthStudy(family="cnn").resolved()
    with pytest.raises(LabkitError, match="depth 1 is below"):
        DepthStudy(family="mlp", depths=(1, 5)).resolved()
    with pytest.raises(LabkitError, match="6n \\+ 2"):
        DepthStudy(family="resnet", depths=(20, 21)).resolved()


def test_load_without_results_is_a_clear_error(tmp_path, capsys):
    assert main(["study", "depth", "--out", str(tmp_path), "--load"]) == 2
    assert "no saved runs" in capsys.readouterr().err


def test_a_killed_study_restarts_and_ends_with_every_run_exactly_once(mnist_dir, tmp_path):
    command = [sys.executable, "-m", "labkit", "study", "depth", "--family", "mlp", "--depths", "3", "4", "5",
               "--seeds", "1", "--epochs", "2", "--width", "16", "--train-images", "300", "--out", str(tmp_path),
               "--device", "cpu", "--quiet"]
    runs = tmp_path / "runs"
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.time() + 120
    while time.time() < deadline and len(list(runs.glob("*.json"))) < 2:
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGKILL)  # no chance to clean up
    process.wait()
    before = {f.name: f.stat().st_mtime_ns for f in runs.glob("*.json")}
    assert 2 <= len(before) < 6, "the study should have been killed part-way"
    finished = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert finished.returncode == 0, finished.stderr
    names = sorted(f.name for f in runs.iterdir())
    assert names == sorted(f"{run_key(d, r, 0)}.json" for d in (3, 4, 5) for r in (False, True))  # no .tmp left
    assert all((runs / n).stat().st_mtime_ns == t for n, t in before.items())  # finished runs not redone
    table = load_study(tmp_path).table
    assert len(table) == 6 and not table.duplicated(["depth", "residual", "seed"]).any()
    assert (tmp_path / "figures" / "accuracy_vs_depth.png").exists()


def test_shards_split_the_grid_between_processes(mnist_dir, tmp_path):
    study = DepthStudy(family="mlp", depths=(3, 4), seeds=1, epochs=1, width=8, train_images=100)
    first = run_depth_study(study, tmp_path, device="cpu", progress=False, shard=(0, 2)).table
    assert len(first) == 2 and list(first.residual) == [False, False]  # grid order: plain, residual, ...
    both = run_depth_study(study, tmp_path, device="cpu", progress=False, shard=(1, 2))
    assert len(both) == 4
    with pytest.raises(LabkitError, match="shard 2/2"):
        run_depth_study(study, tmp_path, shard=(2, 2))


def test_final_accuracies_are_measured_without_augmentation(cifar_dir, tmp_path, monkeypatch):
    import labkit.experiments

    measured = []
    real_evaluate = labkit.experiments.evaluate

    def recording_evaluate(model, loader, **options):
        measured.append(loader.augment)
        return real_evaluate(model, loader, **options)

    monkeypatch.setattr(labkit.experiments, "evaluate", recording_evaluate)  # a run's record measures the end
    study = DepthStudy(family="resnet", depths=(8,), seeds=1, epochs=1, train_images=256)
    table = run_depth_study(study, tmp_path, device="cpu", progress=False).table
    assert len(table) == 2 and table.test_images.iloc[0] == 1_000
    assert measured == [False] * 6  # train, val and test of both runs: never augmented


def test_a_diverged_run_makes_the_mean_loss_nan_not_the_others_mean():
    import math

    import pandas as pd

    table = pd.DataFrame({"depth": [5, 5], "residual": [False, False], "seed": [0, 1], "train_acc": [0.1, 0.9],
                          "val_acc": [0.1, 0.9], "test_acc": [0.1, 0.9], "train_loss": [math.nan, 0.2],
                          "test_loss": [math.nan, 0.3], "parameters": [1, 1], "weight_layers": [5, 5]})
    row = summarise(table).iloc[0]
    assert row.test_acc_mean == 0.5 and math.isnan(row.test_loss_mean) and row.seeds == 2


def test_one_seed_has_no_standard_deviation_columns_two_seeds_have_them():
    import pandas as pd

    one = pd.DataFrame({"depth": [5, 5], "residual": [False, True], "seed": [0, 0], "train_acc": [0.5, 0.9],
                        "val_acc": [0.5, 0.9], "test_acc": [0.5, 0.9], "train_loss": [1.0, 0.2],
                        "test_loss": [1.0, 0.3], "parameters": [1, 1], "weight_layers": [5, 5]})
    assert not [c for c in summarise(one).columns if c.endswith("_std")]
    two = pd.concat([one, one.assign(seed=1, test_acc=[0.7, 0.9])])
    assert summarise(two).test_acc_std.round(4).tolist() == [0.1414, 0.0]


def test_a_saved_study_is_its_table_its_records_and_its_settings(data_dir, tmp_path):
    study = DepthStudy(family="mlp", depths=(3,), seeds=1, epochs=1, width=8, train_images=100)
    saved = run_depth_study(study, tmp_path, device="cpu", progress=False)
    assert set(saved.runs) == {"depth003-plain-seed0", "depth003-residual-seed0"} and len(saved) == 2
    assert saved.settings == study.resolved().settings() and saved.size == "smoke"
    assert not saved.table.attrs  # nothing rides along in DataFrame.attrs
    record = saved.runs["depth003-plain-seed0"]
    assert set(lk.runs.STUDY_RECORD) <= set(record) and record["settings"]["training"]["epochs"] == 1


def test_describe_study_reads_what_the_saved_files_say(mnist_dir, tmp_path):
    study = DepthStudy(family="mlp", depths=(3,), seeds=2, epochs=1, width=8, train_images=100)
    saved = run_depth_study(study, tmp_path, size="smoke", device="cpu", progress=False)
    about = describe_study(saved)
    assert about["run size"] == "smoke" and about["runs"] == 4 and about["seeds per depth and variant"] == "2"
    assert about["epochs"] == 1 and about["MLP width"] == 8 and about["training images"] == "100"
    assert about["training seconds (all runs)"] == round(saved.table.seconds.sum(), 1)
    assert about == describe_study(load_study(tmp_path))  # the same from the files alone
    reference = describe_study(load_study(lk.assets_dir() / "depth" / "mlp"))
    assert reference["run size"] == "full" and reference["seeds per depth and variant"] == "2 to 3"


def test_depth_curves_count_whole_epochs(mnist_dir, tmp_path):
    saved = run_depth_study(TINY, tmp_path, device="cpu", progress=False)  # 2 epochs: matplotlib would tick 1.5
    fig = lk.plots.plot_depth_curves(saved)
    for ax in fig.axes:
        low, high = ax.get_xlim()
        ticks = [t for t in ax.get_xticks() if low <= t <= high]
        assert ticks and all(float(t).is_integer() for t in ticks)


def test_batch_norm_studies_have_their_own_name_plan_and_folder(mnist_dir, tmp_path, monkeypatch):
    plain, normed = DepthStudy(family="mlp"), DepthStudy(family="mlp", norm="batch")
    assert (plain.name, normed.name, DepthStudy(family="resnet").name) == ("mlp", "mlp_batchnorm", "resnet")
    assert normed.resolved("cpu").depths == lk.run_size("cpu").studies["mlp_batchnorm"].depths
    monkeypatch.chdir(tmp_path)
    flags = ["study", "depth", "--depths", "3", "--seeds", "1", "--epochs", "1", "--width", "8", "--train-images",
             "100", "--size", "smoke", "--device", "cpu", "--quiet"]
    assert main(flags) == 0 and main([*flags, "--norm", "batch"]) == 0  # kept apart, so neither is refused
    assert (tmp_path / "runs" / "depth-mlp-smoke" / "study.json").exists()
    saved = load_study(tmp_path / "runs" / "depth-mlp_batchnorm-smoke")
    assert saved.settings["norm"] == "batch" and saved.runs["depth003-plain-seed0"]["settings"]["model"]["norm"]


def test_the_course_preset_trains_with_the_published_recipe(mnist_dir, tmp_path):
    assert main(["study", "depth", "--preset", "course", "--depths", "3", "--seeds", "1", "--epochs", "1",
                 "--train-images", "100", "--size", "smoke", "--device", "cpu", "--quiet", "--out",
                 str(tmp_path)]) == 0
    training = next(iter(load_study(tmp_path).runs.values()))["settings"]["training"]
    assert training | {"epochs": 0, "seed": 0} == {"epochs": 0, "optimizer": "adam", "lr": 0.001, "weight_decay": 1e-4,
                                                  "schedule": "plateau", "early_stopping": 5, "seed": 0}


def test_at_full_size_the_assets_runs_are_copied_not_retrained(mnist_dir, tmp_path, monkeypatch, capsys):
    study = DepthStudy(family="mlp", depths=(3,), seeds=1, epochs=1, width=8, train_images=100)
    assets = tmp_path / "assets"
    run_depth_study(study, assets / "depth" / "mlp", size="full", device="cpu", progress=False, reuse_assets=False)
    monkeypatch.setenv("LABKIT_ASSETS", str(assets))
    saved = assets / "depth" / "mlp" / "runs"
    stamps = {f.name: f.read_bytes() for f in saved.glob("*.json")}
    out = tmp_path / "out"
    again = run_depth_study(study, out, size="full", device="cpu", progress=False)
    assert "copied 2 finished runs" in capsys.readouterr().out
    assert {f.name: f.read_bytes() for f in (out / "runs").glob("*.json")} == stamps and len(again) == 2
    # other settings: nothing copied, everything trained
    other = run_depth_study(study.model_copy(update={"width": 9}), tmp_path / "other", size="full", device="cpu",
                            progress=False)
    assert "copied" not in capsys.readouterr().out and len(other) == 2
    # reuse_assets=False trains them again
    run_depth_study(study, tmp_path / "again", size="full", device="cpu", progress=False, reuse_assets=False)
    assert "copied" not in capsys.readouterr().out
