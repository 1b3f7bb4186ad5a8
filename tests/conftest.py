"""Fixtures of the unit tests: the offline datasets, loaded once at smoke size; a loopback mirror."""

import hashlib
import http.server
import tarfile
import threading

import matplotlib
import pytest
import torchvision

from labkit.data.files import CIFAR10Rebuilt, dataset_status

matplotlib.use("Agg")  # figures are drawn, never shown


def _complete(name: str):
    """The data root, if the dataset is complete there; else skip, saying why (as the root conftest does)."""
    status = dataset_status(name)
    if status.state != "complete":
        pytest.skip(status.message())
    return status


@pytest.fixture(scope="session")
def mnist_dir():
    return _complete("mnist").root


@pytest.fixture(scope="session")
def cifar_dir():
    return _complete("cifar10").root


@pytest.fixture(scope="session")
def data_dir(mnist_dir, cifar_dir):
    """The data root, with both datasets complete."""
    return mnist_dir


@pytest.fixture(scope="session")
def offline_data(data_dir):
    """The data root, if it is the offline copy CI uses (its CIFAR-10 is cifar-10-batches-py-rebuilt/)."""
    if dataset_status("cifar10").layout.reader is not CIFAR10Rebuilt:
        pytest.skip(f"needs the offline datasets (CIFAR-10 in {CIFAR10Rebuilt.base_folder}/), as in ../shared/data")
    return data_dir


@pytest.fixture(scope="session")
def mnist(mnist_dir):
    import labkit

    return labkit.load_data("mnist", size="smoke", device="cpu")


@pytest.fixture(scope="session")
def cifar(cifar_dir):
    import labkit

    return labkit.load_data("cifar10", size="smoke", device="cpu")


class Mirror(http.server.ThreadingHTTPServer):
    """A download server on 127.0.0.1 holding ``files`` (name -> bytes), counting the requests per name.

    ``faults[name]`` makes it misbehave for one file: "short" sends the first half (an honest, truncated
    file), "wrong" sends the full size with one byte changed, "drop" promises the full size and hangs
    up halfway.
    """

    def __init__(self, files):
        super().__init__(("127.0.0.1", 0), _MirrorHandler)
        self.files, self.faults, self.requests = dict(files), {}, []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/"


class _MirrorHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        name = self.path.lstrip("/")
        self.server.requests.append(name)
        body = self.server.files.get(name)
        if body is None:
            self.send_error(404)
            return
        fault, length = self.server.faults.get(name), len(body)
        if fault == "short":
            body = body[: len(body) // 2]
            length = len(body)
        elif fault == "wrong":
            body = body[: len(body) // 2] + bytes([body[len(body) // 2] ^ 0xFF]) + body[len(body) // 2 + 1:]
        elif fault == "drop":
            body = body[: len(body) // 2]
        self.send_response(200)
        self.send_header("Content-Length", str(length))
        self.end_headers()
        try:
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):  # torchvision opens each URL once without reading it
            pass

    def log_message(self, *args):
        pass


@pytest.fixture(scope="session")
def mirror_files(offline_data, tmp_path_factory):
    """What torchvision's mirrors hold, made from the offline copy.

    MNIST's .gz files are the originals, byte for byte.  The CIFAR-10 tarball is built from the rebuilt
    batches, so its MD5 (and its files') are not torchvision's: the ``mirror`` fixture gives torchvision's
    class these checksums, which is all a test of labkit's download, verify and rename steps needs.
    """
    files = {path.name: path.read_bytes() for path in sorted((offline_data / "MNIST" / "raw").glob("*.gz"))}
    tarball = tmp_path_factory.mktemp("mirror") / "cifar-10-python.tar.gz"
    with tarfile.open(tarball, "w:gz", compresslevel=1) as tar:
        for path in sorted((offline_data / CIFAR10Rebuilt.base_folder).iterdir()):
            tar.add(path, arcname=f"cifar-10-batches-py/{path.name}")
    files[tarball.name] = tarball.read_bytes()
    return files


@pytest.fixture
def mirror(mirror_files, monkeypatch):
    """A loopback mirror serving the offline files, named by LABKIT_MIRROR; stopped after the test."""
    cifar = torchvision.datasets.CIFAR10
    monkeypatch.setattr(cifar, "tgz_md5", hashlib.md5(mirror_files[cifar.filename]).hexdigest())
    monkeypatch.setattr(cifar, "train_list", CIFAR10Rebuilt.train_list)
    monkeypatch.setattr(cifar, "test_list", CIFAR10Rebuilt.test_list)
    server = Mirror(mirror_files)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("LABKIT_MIRROR", server.url)
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture(autouse=True)
def _close_figures():
    """Close the figures a test drew, so hundreds of them do not pile up."""
    yield
    import matplotlib.pyplot as plt

    plt.close("all")
