"""Bad input ends as one line naming the bad value and what is allowed: exit code 2, or a LabkitError.

The catalogue of cases is in ``front_door_cases.py``; the tests below add what needs
real data (checkpoints, saved studies, a model given the wrong images), Ctrl-C, and
generated values (hypothesis) thrown at every option's definition and at the YAML reader.
"""

import json
import math
import signal
import subprocess
import sys
import time

import pytest
import torch
from front_door_cases import CLI, CONFIGS, _api
from hypothesis import given, settings
from hypothesis import strategies as st

import labkit as lk
from labkit import LabkitError
from labkit.cli import main
from labkit.options import Data, Model, RunConfig, Training
from labkit.studies import DepthStudy


def one_line(capsys, argv):
    code = main(argv)
    err = capsys.readouterr().err
    return code, err


def assert_one_clear_line(code, err, words):
    assert code == 2, err
    assert err.startswith("labkit: error: ") and err.count("\n") == 1, err
    assert "Traceback" not in err
    missing = [w for w in words if w not in err]
    assert not missing, f"{missing} not in {err!r}"


@pytest.fixture
def configs(tmp_path):
    for name, (content, _) in CONFIGS.items():
        (tmp_path / name).write_bytes(content)
    (tmp_path / "empty").mkdir()
    return tmp_path


@pytest.mark.parametrize("argv, words", CLI, ids=[" ".join(a)[:60] for a, _ in CLI])
def test_every_bad_command_line_is_one_clear_line(capsys, configs, argv, words, monkeypatch):
    monkeypatch.setenv("LABKIT_DOWNLOAD", "0")
    argv = [a.replace("{tmp}", str(configs)) for a in argv]
    if argv[:1] == ["train"] and "--out" not in argv:
        argv += ["--out", str(configs / "out")]
    code, err = one_line(capsys, argv)
    assert_one_clear_line(code, err, words)
    assert not (configs / "out" / "result.json").exists() and not (configs / "s" / "study.json").exists()


API = _api()


@pytest.mark.parametrize("what, call, words", API, ids=[w for w, _, _ in API])
def test_every_bad_python_call_raises_one_clear_line(what, call, words):
    with pytest.raises(LabkitError) as error:
        call()
    message = str(error.value)
    assert "\n" not in message, message
    missing = [w for w in words if w not in message]
    assert not missing, f"{missing} not in {message!r}"


# ------------------------------------------------------------ numbers
FLOAT_FLAGS = ["--lr", "--momentum", "--weight-decay", "--label-smoothing"]


@pytest.mark.parametrize("flag", FLOAT_FLAGS)
@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "NaN", "Infinity"])
def test_nan_and_infinity_are_refused_wherever_a_number_is_taken(capsys, tmp_path, flag, value):
    code, err = one_line(capsys, ["train", flag, value, "--out", str(tmp_path)])
    assert_one_clear_line(code, err, [flag, value.lower().replace("infinity", "inf")])


@pytest.mark.parametrize("key", [k for k, f in Training.model_fields.items() if f.annotation in (float, float | None)])
@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_nan_and_infinity_are_refused_by_the_python_api(key, value):
    with pytest.raises(LabkitError, match=key.replace("_", " ") if key != "lr" else "learning rate"):
        Training(**{key: value})


def test_yaml_reads_1e_3_as_a_number(tmp_path):
    path = tmp_path / "run.yaml"
    path.write_text("training:\n  lr: 1e-3\n  weight_decay: 5E-4\n  momentum: .9\n")
    config = RunConfig.checked(lk.config.load_config(path))
    assert config.training.lr == 0.001 and config.training.weight_decay == 0.0005
    assert config.training.momentum == 0.9


def test_numpy_and_torch_integers_are_whole_numbers():
    import numpy as np

    assert Model(depth=np.int64(5), width=torch.tensor(8).item()).depth == 5
    assert lk.build_model("mlp", depth=np.int32(4), width=np.int64(8)).depth == 4


# ------------------------------------------------------------ options that do not apply
def test_options_that_do_not_apply_are_refused_not_dropped():
    with pytest.raises(LabkitError, match="'resnet20' takes no option 'depth'"):
        lk.build_model("resnet20", depth=20)  # even its own depth: it is not an option of resnet20
    with pytest.raises(LabkitError, match="'width' does not apply to a ResNet depth study"):
        DepthStudy(family="resnet", width=16)
    with pytest.raises(LabkitError, match="depth 10 is given more than once"):
        DepthStudy(family="mlp", depths=(5, 10, 10))


# ------------------------------------------------------------ devices
def test_a_device_this_machine_lacks_names_the_ones_it_has(monkeypatch):
    monkeypatch.setattr("labkit.device.has_cuda", lambda: False)
    with pytest.raises(LabkitError, match=r"'cuda' is not on this machine; it has 'cpu'$"):
        lk.default_device("cuda")
    monkeypatch.setattr("labkit.device.has_cuda", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    with pytest.raises(LabkitError, match=r"'cuda:2' is not on this machine; it has 'cpu', 'cuda:0', 'cuda:1'"):
        lk.default_device("cuda:2")
    assert lk.default_device("cuda:1") == torch.device("cuda:1")


# ------------------------------------------------------------ output folders
def test_output_folder_problems_are_found_before_training(tmp_path, capsys):
    file = tmp_path / "a-file"
    file.write_text("not a folder")
    for out, words in [(file, ["is a file"]), (file / "run", ["is a file"]), ("", ["empty"]),
                       ("/proc/labkit", ["cannot be written"])]:
        code, err = one_line(capsys, ["train", "--out", str(out), "--epochs", "1"])
        assert_one_clear_line(code, err, words)


# ------------------------------------------------------------ data
def test_a_bad_labkit_download_is_refused_even_with_the_data_present(data_dir, monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("LABKIT_DOWNLOAD", "maybe")
    code, err = one_line(capsys, ["train", "--epochs", "1", "--out", str(tmp_path)])
    assert_one_clear_line(code, err, ["LABKIT_DOWNLOAD='maybe'", "'0'", "'1'"])
    assert not (tmp_path / "result.json").exists()


# ------------------------------------------------------------ checkpoints and resume
def _train(mnist, out, **options):
    from test_train import Tiny

    torch.manual_seed(0)
    model = lk.build_model("mlp", "mnist", width=options.pop("width", 16))
    return lk.fit(model, Tiny(mnist, 256), epochs=options.pop("epochs", 2), out_dir=out,
                  checkpoint_every=options.pop("checkpoint_every", 1), resume=True, progress=False, device="cpu",
                  **options)


@pytest.mark.parametrize("content, words", [
    (b"", ["not a readable checkpoint", "0 bytes"]),
    (b"\x00garbage" * 10, ["not a readable checkpoint", "80 bytes"]),
])
def test_a_broken_checkpoint_is_one_line(mnist, tmp_path, content, words):
    (tmp_path / "checkpoint.pt").write_bytes(content)
    with pytest.raises(LabkitError) as error:
        _train(mnist, tmp_path)
    assert all(w in str(error.value) for w in words) and "\n" not in str(error.value), str(error.value)


def test_a_foreign_checkpoint_is_one_line(mnist, tmp_path):
    torch.save({"state_dict": {}, "epoch": 3}, tmp_path / "checkpoint.pt")  # someone else's training script
    with pytest.raises(LabkitError, match="was not written by labkit's fit"):
        _train(mnist, tmp_path)
    torch.save(torch.zeros(3), tmp_path / "checkpoint.pt")
    with pytest.raises(LabkitError, match="was not written by labkit's fit"):
        _train(mnist, tmp_path)


def test_a_checkpoint_of_another_network_or_other_settings_names_the_difference(mnist, tmp_path):
    _train(mnist, tmp_path, epochs=1)
    with pytest.raises(LabkitError, match=r"another network: 'input.0.weight' is \(16, 784\) there, \(32, 784\) here"):
        _train(mnist, tmp_path, width=32, epochs=1)
    with pytest.raises(LabkitError, match=r"other settings \(optimizer='sgd', not 'adam'\)"):
        _train(mnist, tmp_path, optimizer="adam", epochs=1)
    with pytest.raises(LabkitError, match=r"lr=None, not 0.5"):
        _train(mnist, tmp_path, lr=0.5, epochs=1)  # never "result.json says 0.5, the run used 0.1"
    history = _train(mnist, tmp_path, epochs=1, checkpoint_every=2)  # how often it saves may change
    assert list(history.epoch) == [1]


def test_checkpoints_need_an_output_folder(mnist):
    from test_train import Tiny

    with pytest.raises(LabkitError, match="checkpoint_every needs out_dir"):
        lk.fit(lk.build_model("mlp", "mnist", width=8), Tiny(mnist), epochs=1, checkpoint_every=1, progress=False)


# ------------------------------------------------------------ the Python API in words
def test_a_model_built_for_other_images_says_so_in_words(mnist):
    cifar_mlp = lk.build_model("mlp", "cifar10", width=8)
    with pytest.raises(LabkitError) as error:
        lk.fit(cifar_mlp, mnist, epochs=1, progress=False, device="cpu")
    message = str(error.value)
    assert "3,072 values per image (CIFAR-10's 3x32x32)" in message and "mnist images are 1x28x28" in message
    cifar_cnn = lk.build_model("cnn", "cifar10", widths=[4])
    with pytest.raises(LabkitError, match="images with 3 channels .like CIFAR-10.*mnist images are 1x28x28"):
        lk.fit(cifar_cnn, mnist, epochs=1, progress=False, device="cpu")


def test_a_huge_network_says_how_many_parameters_it_would_have_before_allocating_them():
    began = time.perf_counter()
    with pytest.raises(LabkitError, match=r"would have 1,000,\d{3},\d{3},\d{3} parameters \(4\d{3}.\d GB"):
        lk.build_model("mlp", "mnist", width=1_000_000)
    assert time.perf_counter() - began < 10  # nothing was allocated (4 TB would not fit in any memory)


# ------------------------------------------------------------ studies
def test_a_truncated_run_file_is_named_and_the_other_runs_still_load(data_dir, tmp_path, capsys):
    study = DepthStudy(family="mlp", depths=(3,), seeds=1, epochs=1, width=8, train_images=100)
    lk.run_depth_study(study, tmp_path, device="cpu", progress=False)
    broken = tmp_path / "runs" / "depth003-plain-seed0.json"
    broken.write_text(broken.read_text()[:200])  # cut short, as a full disk leaves it
    capsys.readouterr()
    code = main(["study", "depth", "--out", str(tmp_path), "--load"])
    out, err = capsys.readouterr()
    assert code == 0 and "depth003-plain-seed0.json" in err and "cut short" in err
    assert "1 runs in" in out  # the residual run is still shown
    table = lk.run_depth_study(study, tmp_path, device="cpu", progress=False)  # trains the broken run again
    assert len(table) == 2 and json.loads(broken.read_text())["key"] == "depth003-plain-seed0"


def test_study_settings_are_checked_before_study_json_is_written(tmp_path, capsys):
    code, err = one_line(capsys, ["study", "depth", "--optimizer", "lbfgs", "--out", str(tmp_path)])
    assert code == 2 and not (tmp_path / "study.json").exists()
    code, err = one_line(capsys, ["study", "depth", "--depths", "3", "1", "--out", str(tmp_path)])
    assert code == 2 and not (tmp_path / "study.json").exists()


def test_ctrl_c_in_a_study_says_how_to_resume(monkeypatch, tmp_path, capsys):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("labkit.studies.run_depth_study", interrupted)
    code = main(["study", "depth", "--out", str(tmp_path), "--epochs", "1"])
    err = capsys.readouterr().err
    assert code == 130 and "run the same command again" in err and str(tmp_path) in err and "Traceback" not in err


def test_ctrl_c_in_training_says_what_is_saved(monkeypatch, tmp_path, capsys):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("labkit.experiments.train_run", interrupted)
    code = main(["train", "--out", str(tmp_path), "--checkpoint-every", "2"])
    err = capsys.readouterr().err
    assert code == 130 and "--resume" in err and "every 2 epochs" in err


def test_ctrl_c_while_labkit_is_still_importing_ends_quietly(tmp_path):
    # Importing torch takes a few seconds, or a fraction of one: stretch it to 30 s so that the Ctrl-C
    # surely lands inside it, wherever the machine is fast or slow.
    slow_import = (
        "import builtins, sys, time\n"
        "real = builtins.__import__\n"
        "def slow(name, *args, **kwargs):\n"
        "    if name == 'torch' and 'torch' not in sys.modules:\n"
        "        print('importing torch', flush=True); time.sleep(30)\n"
        "    return real(name, *args, **kwargs)\n"
        "builtins.__import__ = slow\n"
        "from labkit.cli import main\n"
        f"sys.exit(main(['train', '--out', {str(tmp_path)!r}]))\n"
    )
    process = subprocess.Popen([sys.executable, "-c", slow_import], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    assert process.stdout.readline() == "importing torch\n"  # labkit.cli itself loaded without torch
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert "Traceback" not in err and err.startswith("labkit: interrupted")


# ------------------------------------------------------------ generated bad values
def _bad_values():
    return st.one_of(
        st.sampled_from([math.nan, math.inf, -math.inf, -1, -0.5, 0, 10**30, -(10**30), True, False, "",
                         "ten", "1e-3", [], [1, 2], {}, {"a": 1}, object()]),
        st.floats(allow_nan=True, allow_infinity=True).filter(lambda x: not math.isfinite(x)),
        st.integers(max_value=-1),
        st.text(max_size=8),
        st.lists(st.integers(), max_size=3),
    )


SECTIONS = {"model": Model, "dataset": Data, "training": Training}


@settings(max_examples=300, deadline=None)
@given(section=st.sampled_from(sorted(SECTIONS)), data=st.data(), value=_bad_values())
def test_generated_values_are_accepted_or_refused_in_one_line_naming_them(section, data, value):
    cls = SECTIONS[section]
    key = data.draw(st.sampled_from(sorted(cls.model_fields)))
    try:
        checked = cls.checked({key: value})
    except LabkitError as error:
        message = str(error)
        assert "\n" not in message
        shown = [repr(value)[:20], *(repr(v) for v in (value if isinstance(value, list) else ()))]
        shown += [repr(tuple(value))[:20]] if isinstance(value, list) else []
        assert any(s and s in message for s in shown) or "validation images" in message, message
        return
    # accepted: then it is a value that option really takes, stored as given (or its tuple)
    kept = getattr(checked, key)
    same = kept == value or (isinstance(value, list) and kept == tuple(value)) or (value == "none" and kept is None)
    assert same or (isinstance(kept, float) and kept == float(value)), (key, value, kept)
    if isinstance(kept, float):
        assert math.isfinite(kept)


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=60))
def test_any_yaml_text_is_read_or_refused_in_one_line(tmp_path_factory, text):
    path = tmp_path_factory.mktemp("yaml") / "run.yaml"
    path.write_text(text, encoding="utf-8")
    try:
        config = lk.config.load_config(path)
    except LabkitError as error:
        assert "\n" not in str(error), str(error)
    else:
        assert isinstance(config, dict)
        RunConfig.checked(config)  # what load_config accepts, the options accept


@settings(max_examples=100, deadline=None)
@given(flag=st.sampled_from(["--lr", "--momentum", "--weight-decay", "--label-smoothing", "--epochs",
                             "--batch-size", "--seed", "--width", "--depth", "--train-images"]),
       value=st.one_of(st.text(max_size=8), st.floats().map(str), st.integers(max_value=0).map(str)))
def test_generated_command_lines_exit_2_with_one_line(tmp_path_factory, flag, value):
    import contextlib
    import io

    if value.startswith("-") and not value[1:2].isdigit() and value not in ("-inf",):
        value = "x" + value  # argparse would read it as another flag
    err = io.StringIO()
    out = tmp_path_factory.mktemp("out")
    with contextlib.redirect_stderr(err):
        try:
            code = main(["train", flag, value, "--out", str(out), "--epochs", "0"])  # epochs 0: never trains
        except SystemExit as stop:  # argparse's --help and the like
            code = stop.code
    assert code == 2, err.getvalue()
    assert err.getvalue().count("\n") == 1 and "Traceback" not in err.getvalue()
