"""Settings for every test run by `pytest`, the unit tests and the notebooks alike.

Smoke size unless LABKIT_SIZE says otherwise, and the offline datasets of a
checkout's ../shared/data when LABKIT_DATA is not set.  Set here, before any
notebook kernel starts, so the kernels nbmake launches inherit them.

A dataset that the collected notebooks and tests need and that is missing is
fetched once, at the start, into the data root (never into the repository),
unless LABKIT_DOWNLOAD=0 (as CI sets: it uses the offline copy).  What still
cannot be had is skipped, one reason per item, and the summary says how to
get the data.
"""

import os
from pathlib import Path

pytest_plugins = ["pytester"]  # tests/test_pytest_data.py runs small pytest sessions of its own

os.environ.setdefault("LABKIT_SIZE", "smoke")
_SHARED = Path(__file__).resolve().parent.parent / "shared" / "data"
if "LABKIT_DATA" not in os.environ and _SHARED.is_dir():
    os.environ["LABKIT_DATA"] = str(_SHARED)


def pytest_collection_modifyitems(config, items):
    from labkit.testing import prepare_data

    prepare_data(config, items)


def pytest_terminal_summary(terminalreporter):
    from labkit.testing import summary_lines

    lines = summary_lines(terminalreporter.config)
    if lines:
        terminalreporter.write_sep("-", "labkit: data")
        for line in lines:
            terminalreporter.write_line(line)
