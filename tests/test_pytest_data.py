"""`pytest` on a fresh clone: missing data is fetched once, or each item needing it is skipped with one reason.

Each test runs a small pytest session of its own in a temporary folder (the
"clone"), with this repository's two conftest files, one unit test needing
MNIST, one needing nothing and one notebook needing CIFAR-10.
"""

import json
from pathlib import Path

import pytest

from labkit.testing import notebook_datasets

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = {"cells": [{"cell_type": "code", "execution_count": None, "id": "c0", "metadata": {}, "outputs": [],
                       "source": ["import labkit as lk  # this notebook needs 'cifar10'\n",
                                  "assert (lk.data_root() / 'cifar-10-batches-py' / 'data_batch_1').is_file()"]}],
            "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


@pytest.fixture
def clone(pytester, tmp_path, monkeypatch):
    """A folder laid out like the repository, with no ../shared beside it and an empty data root."""
    pytester.makeconftest((ROOT / "conftest.py").read_text().replace('pytest_plugins = ["pytester"]', ""))
    (pytester.path / "tests").mkdir()
    (pytester.path / "tests" / "conftest.py").write_text((ROOT / "tests" / "conftest.py").read_text())
    (pytester.path / "tests" / "test_some.py").write_text(
        "def test_needs_mnist(mnist_dir):\n    assert (mnist_dir / 'MNIST').is_dir()\n\n"
        "def test_needs_nothing():\n    pass\n")
    (pytester.path / "notebooks").mkdir()
    (pytester.path / "notebooks" / "needs_cifar.ipynb").write_text(json.dumps(NOTEBOOK))
    monkeypatch.setenv("LABKIT_DATA", str(tmp_path / "data"))
    monkeypatch.delenv("LABKIT_MIRROR", raising=False)
    monkeypatch.delenv("LABKIT_DOWNLOAD", raising=False)  # a new user's default (CI sets 0 for its own session)
    return pytester


def run(clone):
    return clone.runpytest("-p", "no:cacheprovider", "--nbmake", "-rs", "tests", "notebooks")


def test_download_off_skips_with_one_reason_each_and_says_how_to_get_the_data(clone, tmp_path, monkeypatch):
    monkeypatch.setenv("LABKIT_DOWNLOAD", "0")
    result = run(clone)
    result.assert_outcomes(passed=1, skipped=2)
    out = result.stdout.str()
    result.stdout.fnmatch_lines([
        "*labkit: data*",
        "1 notebook and 1 test skipped: CIFAR-10 and MNIST are not usable here",
        f"  CIFAR-10 is not in {tmp_path}/data/cifar-10-batches-py and downloading is off (LABKIT_DOWNLOAD=0): run "
        "`labkit data download cifar10` to fetch it, or set LABKIT_DATA to a folder that has it",
        "  MNIST is not in *",
        "Get the data with `labkit data download all` (`labkit data` shows what is there), then run pytest again.",
        f"SKIPPED [[]1[]] tests/test_some.py: MNIST is not in {tmp_path}/data/MNIST/raw and downloading is off "
        "(LABKIT_DOWNLOAD=0): run `labkit data download mnist` to fetch it, or set LABKIT_DATA to a folder that has it",
        "SKIPPED [[]1[]] notebooks/needs_cifar.ipynb: CIFAR-10 is not in *",
    ])
    assert "Traceback" not in out and not (tmp_path / "data").exists()


def test_with_a_network_the_first_session_fetches_once_and_passes(clone, mirror, tmp_path):
    result = run(clone)
    result.assert_outcomes(passed=3)  # the notebook's CIFAR-10 is fetched too, into the kernel's data root
    assert {"train-images-idx3-ubyte.gz", "cifar-10-python.tar.gz"} <= set(mirror.requests)
    assert (tmp_path / "data" / "MNIST" / "raw" / "train-images-idx3-ubyte").is_file()
    assert not list(clone.path.rglob("*ubyte*"))  # nothing is downloaded into the clone
    mirror.requests.clear()
    run(clone).assert_outcomes(passed=3)
    assert mirror.requests == []  # the second session downloads nothing


def test_without_a_network_the_reason_is_the_failed_download(clone, tmp_path, monkeypatch):
    monkeypatch.setenv("LABKIT_MIRROR", "http://127.0.0.1:9/")
    result = run(clone)
    result.assert_outcomes(passed=1, skipped=2)
    result.stdout.fnmatch_lines(["SKIPPED * cannot download MNIST (train-images-idx3-ubyte.gz): no connection to "
                                 "http://127.0.0.1:9/ (*Connection refused)*"])


def test_a_bad_labkit_download_stops_the_session_in_one_line(clone, monkeypatch):
    monkeypatch.setenv("LABKIT_DOWNLOAD", "maybe")
    result = run(clone)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: LABKIT_DOWNLOAD='maybe' is not allowed; use one of '0', '1', 'true', 'false'"])


def test_which_notebook_needs_which_dataset():
    needs = {path.name[:2]: notebook_datasets(path) for path in sorted((ROOT / "notebooks").glob("*.ipynb"))}
    assert needs == {"00": {"mnist", "cifar10"}, "01": {"mnist"}, "02": {"mnist", "cifar10"},
                     "03": {"mnist", "cifar10"}, "04": {"mnist", "cifar10"}, "05": {"mnist", "cifar10"},
                     "06": {"mnist"}, "07": {"cifar10"}, "08": {"cifar10"}}


def test_notebook_00_on_an_empty_root_shows_the_status_then_stops_at_one_line(tmp_path, monkeypatch):
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    monkeypatch.setenv("LABKIT_DATA", str(tmp_path))
    monkeypatch.setenv("LABKIT_DOWNLOAD", "0")
    notebook = nbformat.read(ROOT / "notebooks" / "00_setup_and_data.ipynb", as_version=4)
    client = NotebookClient(notebook, timeout=300, resources={"metadata": {"path": str(ROOT / "notebooks")}})
    with pytest.raises(CellExecutionError):
        client.execute()
    listing = next(cell for cell in notebook.cells if cell.source == "lk.data_status()")
    assert listing.outputs[0]["data"]["text/plain"].count("missing") == 2
    failed = [cell for cell in notebook.cells if any(out.output_type == "error" for out in cell.get("outputs", []))]
    assert len(failed) == 1 and failed[0].source.startswith('mnist = lk.load_data("mnist")')
    error = failed[0].outputs[-1]
    assert error.ename == "LabkitError" and len(error.traceback) == 1 and "\n" not in error.evalue
    assert f"MNIST is not in {tmp_path}/MNIST/raw" in error.evalue and "`labkit data download mnist`" in error.evalue
