import pytest

from labkit import LabkitError, run_size
from labkit.sizes import SIZES


def test_environment_variable_chooses_the_size(monkeypatch):
    monkeypatch.setenv("LABKIT_SIZE", "cpu")
    assert run_size().name == "cpu"
    monkeypatch.setenv("LABKIT_SIZE", " Smoke ")
    assert run_size().name == "smoke"


def test_argument_beats_environment(monkeypatch):
    monkeypatch.setenv("LABKIT_SIZE", "cpu")
    assert run_size("full").name == "full"


def test_default_depends_on_the_gpu(monkeypatch):
    monkeypatch.delenv("LABKIT_SIZE", raising=False)
    monkeypatch.setattr("labkit.sizes.has_cuda", lambda: False)
    assert run_size().name == "cpu"
    monkeypatch.setattr("labkit.sizes.has_cuda", lambda: True)
    assert run_size().name == "gpu"  # full stays the size of the reference runners


def test_unknown_size_names_value_and_choices(monkeypatch):
    monkeypatch.setenv("LABKIT_SIZE", "huge")
    with pytest.raises(LabkitError) as error:
        run_size()
    message = str(error.value)
    assert "'huge'" in message and all(f"'{s}'" in message for s in ("smoke", "cpu", "full"))


def test_sizes_grow_from_smoke_to_full():
    smoke, cpu, gpu, full = SIZES["smoke"], SIZES["cpu"], SIZES["gpu"], SIZES["full"]
    for family in ("mlp", "cnn", "resnet"):
        assert smoke.epochs_for(family) <= cpu.epochs_for(family) <= gpu.epochs_for(family) <= full.epochs_for(family)
    for family in ("mlp", "resnet"):
        assert smoke.studies[family].seeds <= cpu.studies[family].seeds <= gpu.studies[family].seeds \
            <= full.studies[family].seeds
        assert gpu.studies[family].epochs <= full.studies[family].epochs
    assert all((d - 2) % 6 == 0 for s in SIZES.values() for d in s.studies["resnet"].depths)


def test_overview_says_all_instead_of_none_and_groups_thousands():
    overview = run_size("cpu").overview().iloc[:, 0]
    assert overview["run size"] == "cpu"
    assert overview["training images"] == "mnist: 15,000, cifar10: 6,000"
    assert overview["test images"].startswith("all")
    assert overview["epochs"] == "mlp: 10, cnn: 2, resnet: 2"
    assert "None" not in overview.to_string()
    assert run_size("gpu").overview().iloc[:, 0]["training images"] == "mnist: all, cifar10: all"
    assert list(run_size("gpu").overview().columns) == ["LABKIT_SIZE=gpu"]  # a table in a notebook
