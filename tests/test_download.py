"""Downloading for real, without the internet: a loopback mirror serves the offline files.

What is tested is labkit's own path: torchvision's downloader fetches from the
mirror named by LABKIT_MIRROR into a temporary folder, every file is checked,
and only a verified dataset is moved into place, once.
"""

import socket

import pytest
import torch

from labkit import LabkitError, data_status, download_data
from labkit.cli import main
from labkit.data import download, load_images
from labkit.data.files import dataset_status


def leftovers(root):
    """Everything under root that is not a finished dataset file: temporary folders, partial files."""
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.name.startswith("."))


def one_line(error) -> str:
    message = str(error.value)
    assert "\n" not in message and "Traceback" not in message, message
    return message


def test_mnist_download_into_an_empty_root_is_verified_and_not_repeated(mirror, tmp_path, capsys):
    table = download_data("mnist", tmp_path / "data")
    assert table.to_dict("records")[0] | {"folder": ""} == {
        "dataset": "mnist", "folder": "", "state": "complete", "train images": 60_000, "test images": 10_000,
        "details": ""}
    fetched = sorted(set(mirror.requests))
    assert fetched == sorted(name for name in mirror.files if name.endswith("ubyte.gz"))
    assert "Downloading " + mirror.url + "train-images-idx3-ubyte.gz" in capsys.readouterr().out
    raw = tmp_path / "data" / "MNIST" / "raw"
    assert sorted(p.name for p in raw.iterdir()) == sorted(fetched + [name[:-3] for name in fetched])
    assert leftovers(tmp_path) == []
    images, labels, _, _ = load_images("mnist", "test", root=tmp_path / "data", download=False)
    assert images.shape == (10_000, 1, 28, 28) and torch.bincount(labels)[:2].tolist() == [980, 1135]

    mirror.requests.clear()
    download_data("mnist", tmp_path / "data")  # complete already
    load_images("mnist", "train", root=tmp_path / "data", download=True)
    assert mirror.requests == []  # not one request the second time


def test_cifar10_download_unpacks_the_tarball_and_keeps_only_the_batches(mirror, tmp_path):
    download_data("cifar10", tmp_path)
    status = dataset_status("cifar10", tmp_path)
    assert status.state == "complete" and status.folder == tmp_path / "cifar-10-batches-py"
    assert not (tmp_path / "cifar-10-python.tar.gz").exists() and leftovers(tmp_path) == []
    _, labels, classes, dataset = load_images("cifar10", "test", root=tmp_path, download=False)
    assert type(dataset).__name__ == "CIFAR10" and len(labels) == 1_000 and classes[0] == "airplane"
    count = len(mirror.requests)
    download_data("all", tmp_path)  # MNIST is fetched now, CIFAR-10 is not fetched again
    assert "cifar-10-python.tar.gz" not in mirror.requests[count:]
    assert data_status(tmp_path).state.tolist() == ["complete", "complete"]


@pytest.mark.parametrize("fault, words", [
    ("short", ["4,956,211 bytes", "expected 9,912,422 bytes", "checksum mismatch"]),
    ("wrong", ["9,912,422 bytes with MD5", "expected 9,912,422 bytes with MD5 f68b3c2d", "checksum mismatch"]),
    ("drop", ["train-images-idx3-ubyte.gz"]),
])
def test_a_bad_file_is_one_line_and_leaves_nothing_to_be_taken_for_good(mirror, tmp_path, fault, words):
    mirror.faults["train-images-idx3-ubyte.gz"] = fault
    with pytest.raises(LabkitError) as error:
        download_data("mnist", tmp_path)
    message = one_line(error)
    assert "MNIST file train-images-idx3-ubyte.gz from http://127.0.0.1:" in message or fault == "drop", message
    assert all(word in message for word in words), message
    assert "nothing was kept" in message
    assert leftovers(tmp_path) == [] and not (tmp_path / "MNIST" / "raw").exists()
    assert dataset_status("mnist", tmp_path).state == "missing"
    del mirror.faults["train-images-idx3-ubyte.gz"]
    download_data("mnist", tmp_path)  # a later run starts from scratch and succeeds
    assert dataset_status("mnist", tmp_path).state == "complete"


def test_a_wrong_cifar_tarball_is_refused_by_its_checksum(mirror, tmp_path):
    mirror.faults["cifar-10-python.tar.gz"] = "wrong"
    with pytest.raises(LabkitError, match="CIFAR-10 file cifar-10-python.tar.gz from .*checksum mismatch"):
        download_data("cifar10", tmp_path)
    assert leftovers(tmp_path) == [] and not (tmp_path / "cifar-10-batches-py").exists()


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_no_network_is_one_line_saying_what_to_do(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("LABKIT_MIRROR", f"http://127.0.0.1:{closed_port()}/mnist")
    with pytest.raises(LabkitError) as error:
        load_images("mnist", root=tmp_path, download=True)
    message = one_line(error)
    assert message.startswith("cannot download MNIST (train-images-idx3-ubyte.gz): no connection to http://127.0.0.1:")
    assert "Connection refused" in message and "`labkit data download mnist`" in message
    assert str(tmp_path) in message and "LABKIT_MIRROR" in message
    assert leftovers(tmp_path) == []
    code = main(["data", "download", "cifar10", "--data", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and err.startswith("labkit: error: cannot download CIFAR-10"), err


def test_a_silent_server_times_out_in_one_line(tmp_path, monkeypatch):
    with socket.socket() as silent:  # accepts connections (backlog) but never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        monkeypatch.setattr(download, "TIMEOUT", 0.5)
        monkeypatch.setenv("LABKIT_MIRROR", f"http://127.0.0.1:{silent.getsockname()[1]}/")
        with pytest.raises(LabkitError) as error:
            download_data("mnist", tmp_path)
    assert "no answer within 0.5 s" in one_line(error)


def test_the_mirrors_are_torchvision_s_unless_labkit_mirror_says(monkeypatch):
    monkeypatch.delenv("LABKIT_MIRROR", raising=False)
    import torchvision

    assert download.mirrors("mnist") == torchvision.datasets.MNIST.mirrors
    assert download.mirrors("cifar10") == ["https://www.cs.toronto.edu/~kriz/"]
    monkeypatch.setenv("LABKIT_MIRROR", "https://data.example.edu/torchvision")
    assert download.mirrors("mnist") == ["https://data.example.edu/torchvision/"]
    monkeypatch.setenv("LABKIT_MIRROR", "ftp://data.example.edu/")
    with pytest.raises(LabkitError, match="LABKIT_MIRROR='ftp://data.example.edu/' is not allowed"):
        download.mirrors("mnist")


def test_cli_data_download_then_status(mirror, tmp_path, capsys):
    assert main(["data", "download", "mnist", "--data", str(tmp_path)]) == 0
    assert "MNIST: every file verified" in capsys.readouterr().out
    assert main(["data", "--data", str(tmp_path)]) == 0
    status = capsys.readouterr().out.splitlines()
    assert status[0] == f"data root: {tmp_path}" and status[1].split()[:3] == ["dataset", "folder", "state"]
    assert status[2].split()[2:] == ["complete", "60000", "10000"] and status[3].split()[2] == "missing"
    assert "`labkit data download cifar10`" in status[4]
    assert main(["data", "download", "svhn"]) == 2
    assert "unknown dataset 'svhn'; choose one of 'mnist', 'cifar10', 'all'" in capsys.readouterr().err
