"""Fetching the datasets: torchvision's downloader and mirrors, every file verified, at most once.

:func:`download_data` fetches only a dataset that is not complete already.  It
downloads into a temporary folder inside the data root, checks every file
against torchvision's checksums, and only then moves the files into place, so
a failed or interrupted download leaves nothing a later run could take for
good.  ``LABKIT_MIRROR`` names another server with the same file names as
torchvision's mirrors (an institution's copy, or a test's loopback server).
A failure is one line: which file, from where, what went wrong, what to do.
"""

from __future__ import annotations

import http.client
import os
import shutil
import socket
import tarfile
import tempfile
import time
import urllib.error
import zlib
from contextlib import contextmanager
from pathlib import Path

from torchvision import datasets
from torchvision.datasets.utils import download_url, extract_archive

from ..catalog import DATASETS
from ..errors import LabkitError, check_choice
from .files import DATA_VARIABLE, Expected, _check, _md5, data_root, data_status, dataset_status, layouts

__all__ = ["MIRROR_VARIABLE", "data_status", "download_data", "fetch", "mirrors"]

MIRROR_VARIABLE = "LABKIT_MIRROR"
TIMEOUT = 30  # seconds a server may stay silent before a download gives up
_PARTIAL = ".labkit-partial-"  # temporary download folders inside the data root
_NETWORK = (urllib.error.URLError, ConnectionError, TimeoutError, socket.gaierror, http.client.HTTPException)


def mirrors(name: str) -> list:
    """The base addresses to try, in order: ``$LABKIT_MIRROR`` alone, else torchvision's own."""
    base = os.environ.get(MIRROR_VARIABLE, "").strip()
    if base:
        if not base.startswith(("http://", "https://")):
            raise LabkitError(f"{MIRROR_VARIABLE}={base!r} is not allowed; use an http:// or https:// address "
                              f"of a folder holding torchvision's file names")
        return [base.rstrip("/") + "/"]
    if name == "mnist":
        return list(datasets.MNIST.mirrors)
    return [datasets.CIFAR10.url.rsplit("/", 1)[0] + "/"]


def _sources(name: str) -> list:
    """The files to download, with their MD5s from torchvision's classes."""
    if name == "mnist":
        return [expected.packed for expected in layouts("mnist")[0].files]
    return [Expected(datasets.CIFAR10.filename, datasets.CIFAR10.tgz_md5, header=b"\x1f\x8b")]


@contextmanager
def _timeout(seconds: float):
    before = socket.getdefaulttimeout()
    socket.setdefaulttimeout(seconds)
    try:
        yield
    finally:
        socket.setdefaulttimeout(before)


def _reason(error: BaseException) -> str:
    if isinstance(error, urllib.error.HTTPError):
        return f"HTTP {error.code} {error.reason}"
    reason = error.reason if isinstance(error, urllib.error.URLError) else error
    if isinstance(reason, TimeoutError):
        return f"no answer within {TIMEOUT} s"
    return str(reason) or type(reason).__name__


def _verify(path: Path, expected: Expected) -> str | None:
    """None if the downloaded file is the expected one, else its size and MD5 against the expected."""
    size, md5 = path.stat().st_size, _md5(path)
    if md5 == expected.md5 and expected.size in (None, size):
        return None
    want = f"{expected.size:,} bytes with MD5 {expected.md5}" if expected.size else f"MD5 {expected.md5}"
    return f"got {size:,} bytes with MD5 {md5}, expected {want} (checksum mismatch)"


def _fetch_file(name: str, expected: Expected, folder: Path, urls: list, root: Path) -> None:
    """Download one file into ``folder`` from the first mirror that gives the right one."""
    title, path = DATASETS[name].title, folder / expected.name
    unreachable, wrong = [], []
    for base in urls:
        url = base + expected.name
        path.unlink(missing_ok=True)
        print(f"Downloading {url}", flush=True)
        try:
            download_url(url, str(folder), expected.name)
        except urllib.error.HTTPError as error:
            wrong.append(f"{title} file {expected.name} from {url}: answered {_reason(error)}")
            continue
        except http.client.IncompleteRead as error:
            wrong.append(f"{title} file {expected.name} from {url}: broke off after {len(error.partial):,} bytes")
            continue
        except _NETWORK as error:
            unreachable.append(f"{base} ({_reason(error)})")
            continue
        except OSError as error:
            raise LabkitError(f"cannot write {path}: {error.strerror or error}") from None
        problem = _verify(path, expected)
        if problem is None:
            return
        path.unlink(missing_ok=True)
        wrong.append(f"{title} file {expected.name} from {url}: {problem}")
    if wrong:
        raise LabkitError("; ".join(wrong) + f"; nothing was kept: try again, or set {MIRROR_VARIABLE} "
                          f"to another server")
    raise LabkitError(f"cannot download {title} ({expected.name}): no connection to {' or '.join(unreachable)}. "
                      f"Run `labkit data download {name}` where there is a network and copy its "
                      f"{layouts(name)[0].folder.split('/')[0]}/ folder into {root}, or set {MIRROR_VARIABLE} "
                      f"to a server that has the files, or {DATA_VARIABLE} to a folder holding them")


def _remove_stale(root: Path, age: float = 86_400) -> None:
    """Remove temporary folders that a killed download left (older than a day, so no running one)."""
    for folder in root.glob(_PARTIAL + "*"):
        if time.time() - folder.stat().st_mtime > age:
            shutil.rmtree(folder, ignore_errors=True)


def fetch(name: str, root: Path) -> None:
    """Download ``name`` into ``root``, verify it, then move it into place (whatever is there now)."""
    layout, urls = layouts(name)[0], mirrors(name)
    try:
        root.mkdir(parents=True, exist_ok=True)
        _remove_stale(root)
        work = Path(tempfile.mkdtemp(prefix=_PARTIAL, dir=root))
    except OSError as error:
        raise LabkitError(f"cannot write to {root}: {error.strerror or error}; set {DATA_VARIABLE} to a folder "
                          f"you can write to") from None
    try:
        ready = work / layout.folder
        ready.mkdir(parents=True, exist_ok=True)
        sources = _sources(name)
        with _timeout(TIMEOUT):
            for expected in sources:
                _fetch_file(name, expected, ready if name == "mnist" else work, urls, root)
        try:
            for expected in sources:
                archive = (ready if name == "mnist" else work) / expected.name
                extract_archive(archive, archive.parent)
                if name != "mnist":
                    archive.unlink()  # the 163 MB tarball is not kept
        except (tarfile.TarError, EOFError, zlib.error, OSError) as error:
            raise LabkitError(f"cannot unpack the {DATASETS[name].title} download: {error}") from None
        status = _check(name, work, layout)
        if status.state != "complete":
            raise LabkitError(f"the {DATASETS[name].title} download from {urls[0]} is not usable: "
                              f"{status.problem}; nothing was kept")
        target = root / layout.folder
        target.mkdir(parents=True, exist_ok=True)
        for path in sorted(ready.iterdir()):
            os.replace(path, target / path.name)
        print(f"{DATASETS[name].title}: every file verified, in {target}", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def download_data(name: str = "all", root=None):
    """Download a dataset (``"mnist"``, ``"cifar10"`` or ``"all"``) unless it is complete already.

    Into ``root``, else ``$LABKIT_DATA``, else the per-user data folder; from
    ``$LABKIT_MIRROR`` if set, else torchvision's mirrors.  Returns the
    :func:`data_status` rows of the datasets asked for.
    """
    names = list(DATASETS) if name == "all" else [check_choice("dataset", name, [*DATASETS, "all"])]
    root = data_root(root)
    for each in names:
        if dataset_status(each, root).state != "complete":
            fetch(each, root)
    status = data_status(root)
    return status[status["dataset"].isin(names)].reset_index(drop=True)
