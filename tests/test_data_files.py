"""Present but corrupt is not missing: each kind of damage is named, with the file and where it was expected.

Built in a temporary root from links to the offline files, with one file
replaced by a damaged copy.
"""

import pytest

from labkit import LabkitError, data_status, load_data
from labkit.cli import main
from labkit.data import load_images
from labkit.data.files import dataset_status, download_allowed

LABELS = "train-labels-idx1-ubyte"  # 60,008 bytes, starts 00000801 0000ea60


def linked_copy(source, target, skip=()):
    target.mkdir(parents=True)
    for path in sorted(source.iterdir()):
        if path.name not in skip:
            (target / path.name).symlink_to(path)
    return target


def damaged(data: bytes, kind: str) -> bytes:
    if kind == "size":
        return data[:1000]
    if kind == "header":
        return bytes(8) + data[8:]
    return data[:-1] + bytes([data[-1] ^ 1])  # "checksum": same size and header, one pixel changed


@pytest.mark.parametrize("kind, words", [
    ("size", ["1,000 bytes, expected 60,008"]),
    ("header", ["header 0000000000000000, expected 000008010000ea60"]),
    ("checksum", ["60,008 bytes with MD5", "expected a25bea736e30d166cdddb491f175f624 (checksum mismatch)"]),
])
def test_a_corrupt_mnist_file_is_named_with_what_is_wrong(offline_data, tmp_path, kind, words, monkeypatch):
    raw = linked_copy(offline_data / "MNIST" / "raw", tmp_path / "MNIST" / "raw", skip=(LABELS,))
    (raw / LABELS).write_bytes(damaged((offline_data / "MNIST" / "raw" / LABELS).read_bytes(), kind))
    monkeypatch.setenv("LABKIT_MIRROR", "http://127.0.0.1:9/")  # a download would fail: none is tried
    with pytest.raises(LabkitError) as error:
        load_data("mnist", tmp_path, download=True)
    message = str(error.value)
    assert "\n" not in message and message.startswith(f"MNIST file {raw / LABELS} is corrupt: "), message
    assert all(w in message for w in words) and "`labkit data download mnist`" in message, message
    row = data_status(tmp_path).iloc[0]
    assert row.state == "corrupt" and row.details == message


def test_a_dataset_with_files_missing_is_incomplete_not_missing(offline_data, tmp_path):
    linked_copy(offline_data / "MNIST" / "raw", tmp_path / "MNIST" / "raw", skip=(LABELS, LABELS + ".gz"))
    with pytest.raises(LabkitError, match=f"MNIST in {tmp_path}/MNIST/raw is incomplete \\(missing {LABELS}\\)"):
        load_images("mnist", root=tmp_path, download=False)
    assert dataset_status("mnist", tmp_path).state == "incomplete"


def test_a_corrupt_cifar_batch_of_the_offline_copy(offline_data, tmp_path):
    folder = linked_copy(offline_data / "cifar-10-batches-py-rebuilt", tmp_path / "cifar-10-batches-py-rebuilt",
                         skip=("data_batch_3",))
    (folder / "data_batch_3").write_bytes(b"\x80\x02 not the rest")
    with pytest.raises(LabkitError, match="CIFAR-10 file .*/data_batch_3 is corrupt: 15 bytes, expected 30,740,222"):
        load_images("cifar10", "test", root=tmp_path, download=False)


def test_mnist_as_its_gz_files_only_is_unpacked_on_first_use(offline_data, tmp_path):
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for path in (offline_data / "MNIST" / "raw").glob("*.gz"):
        (raw / path.name).symlink_to(path)
    assert data_status(tmp_path).iloc[0][["state", "train images", "test images"]].tolist() == [
        "complete", 60_000, 10_000]
    images, _, _, _ = load_images("mnist", "test", root=tmp_path, download=False)
    assert len(images) == 10_000 and (raw / "t10k-images-idx3-ubyte").stat().st_size == 7_840_016
    assert not [p for p in raw.iterdir() if p.name.startswith(".")]  # no temporary file left


def test_an_empty_or_absent_root_is_a_table_not_a_traceback(tmp_path, capsys):
    for root in (tmp_path, tmp_path / "absent"):
        table = data_status(root)
        assert table.state.tolist() == ["missing", "missing"] and table["train images"].isna().all()
        assert main(["data", "--data", str(root)]) == 0
        out = capsys.readouterr().out
        assert "`labkit data download mnist`" in out and "Traceback" not in out
    assert not (tmp_path / "absent").exists()  # looking creates nothing


@pytest.mark.parametrize("value, allowed", [("0", False), ("1", True), ("true", True), ("FALSE", False),
                                            (" 1 ", True), ("", True)])
def test_labkit_download_takes_0_1_true_false(monkeypatch, value, allowed):
    monkeypatch.setenv("LABKIT_DOWNLOAD", value)
    assert download_allowed() is allowed
    assert download_allowed(download=not allowed) is (not allowed)  # an explicit argument wins


@pytest.mark.parametrize("value", ["no", "yes", "2", "off"])
def test_any_other_labkit_download_is_one_line_naming_it(monkeypatch, tmp_path, capsys, value):
    monkeypatch.setenv("LABKIT_DOWNLOAD", value)
    with pytest.raises(LabkitError, match=f"LABKIT_DOWNLOAD='{value}' is not allowed; use one of '0', '1', "
                                          f"'true', 'false'"):
        load_data("mnist", tmp_path)
    code = main(["train", "--model", "mlp", "--data", str(tmp_path), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and f"LABKIT_DOWNLOAD='{value}'" in err
