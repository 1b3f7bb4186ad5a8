"""Settings for every test run by `pytest`, the unit tests and the notebooks alike.

Smoke size unless LABKIT_SIZE says otherwise, never a download, and the offline datasets
of a checkout's ../shared/data when LABKIT_DATA is not set.  Set here, before any
notebook kernel starts, so the kernels nbmake launches inherit them.
"""

import os
from pathlib import Path

os.environ.setdefault("LABKIT_SIZE", "smoke")
os.environ["LABKIT_DOWNLOAD"] = "0"  # tests never download
_SHARED = Path(__file__).resolve().parent.parent / "shared" / "data"
if "LABKIT_DATA" not in os.environ and _SHARED.is_dir():
    os.environ["LABKIT_DATA"] = str(_SHARED)
