"""The data layer: datasets on disk, loaders, and one dataset ready to train on.

* :mod:`.files`    -- where each dataset lives, the files it must hold, and whether it is complete
* :mod:`.download` -- :func:`download_data`: torchvision's mirrors (or ``LABKIT_MIRROR``), verified, at most once
* :mod:`.datasets` -- reading them (torchvision, the offline copy)
* :mod:`.loaders`  -- the on-device loader and the classic ``DataLoader``
* :mod:`.bundle`   -- :func:`load_data`: split, normalise, batch; the :class:`DataBundle` it returns
"""

from ..catalog import DATASETS, DatasetInfo
from .bundle import DataBundle, channel_stats, load_data
from .datasets import CIFAR10Rebuilt, data_root, load_images
from .download import download_data
from .files import data_status
from .loaders import DeviceLoader, classic_loader, random_crop_flip

__all__ = [
    "DATASETS", "DatasetInfo", "DataBundle", "DeviceLoader", "CIFAR10Rebuilt", "channel_stats", "classic_loader",
    "data_root", "data_status", "download_data", "load_data", "load_images", "random_crop_flip",
]
