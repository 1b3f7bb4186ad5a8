"""Two ways of feeding a network batches, because comparing them is part of the lab.

* :class:`DeviceLoader` (the default) keeps the whole dataset as one ``uint8``
  tensor on the training device and builds each batch there: index, scale to
  [0, 1], augment, normalise.  No per-image Python work, so a GPU never waits.
* :func:`classic_loader`: a ``torch.utils.data.DataLoader`` with torchvision
  transforms applied image by image in worker processes, as most tutorials do it.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torchvision import transforms

from ..device import default_device, loader_workers, pin_memory

__all__ = ["DeviceLoader", "classic_loader", "random_crop_flip"]


def random_crop_flip(x: torch.Tensor, padding: int, generator: torch.Generator) -> torch.Tensor:
    """Augment a batch on its own device: pad with zeros, crop back at a random offset, flip half.

    The same as torchvision's ``RandomCrop(size, padding)`` + ``RandomHorizontalFlip()``,
    but for the whole batch at once.
    """
    n, _, height, width = x.shape
    padded = F.pad(x, (padding,) * 4)
    top = torch.randint(0, 2 * padding + 1, (n, 1), generator=generator).to(x.device)
    left = torch.randint(0, 2 * padding + 1, (n, 1), generator=generator).to(x.device)
    rows = top + torch.arange(height, device=x.device)  # (n, height)
    cols = left + torch.arange(width, device=x.device)  # (n, width)
    batch = torch.arange(n, device=x.device)[:, None, None]
    crops = padded[batch, :, rows[:, :, None], cols[:, None, :]]  # (n, height, width, C)
    crops = crops.permute(0, 3, 1, 2)
    flip = (torch.rand(n, generator=generator) < 0.5).to(x.device)[:, None, None, None]
    # The crops come out with the strides of (n, height, width, C); hand them on in the usual layout, as
    # every other batch: a CPU convolution's backward pass has hung on such views (torch 2.14.1, AMD EPYC).
    return torch.where(flip, crops.flip(3), crops).contiguous()


class DeviceLoader:
    """Batches made on the training device from one ``uint8`` tensor.

    Iterating gives ``(images, labels)`` with images as normalised floats.
    The order (and the augmentation) of epoch ``e`` depends only on
    ``(seed, e)``, so a resumed run sees the same batches as an unbroken one.
    """

    def __init__(self, images, labels, mean, std, *, batch_size=128, shuffle=False,
                 augment=False, padding=4, seed=0, device=None):
        self.device = default_device(device)
        self.images = images.to(self.device)
        self.labels = labels.to(self.device)
        self.mean = mean.to(self.device).view(1, -1, 1, 1)
        self.std = std.to(self.device).view(1, -1, 1, 1)
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.augment = augment
        self.padding = padding
        self.seed = seed
        self.epoch = 0

    def __len__(self) -> int:
        return -(-len(self.labels) // self.batch_size)

    @property
    def num_images(self) -> int:
        return len(self.labels)

    def set_epoch(self, epoch: int) -> None:
        """Choose the epoch whose order and augmentation the next pass uses."""
        self.epoch = epoch

    def __iter__(self):
        generator = torch.Generator().manual_seed(self.seed * 100_003 + self.epoch)
        count = len(self.labels)
        order = torch.randperm(count, generator=generator) if self.shuffle else torch.arange(count)
        order = order.to(self.device)
        for start in range(0, count, self.batch_size):
            index = order[start:start + self.batch_size]
            x = self.images[index].float().div_(255)
            if self.augment:
                x = random_crop_flip(x, self.padding, generator)
            yield (x - self.mean) / self.std, self.labels[index]
        self.epoch += 1


class _Transformed(torch.utils.data.Dataset):
    """A view of some images of a torchvision dataset, with its own transform.

    Train and validation views of one dataset each get their own transform, so
    setting the validation transform can never switch off the training
    augmentation (the classic ``random_split`` pitfall, where both subsets
    share one underlying dataset and one ``.transform``).
    """

    def __init__(self, dataset, indices, transform):
        self.dataset, self.indices, self.transform = dataset, indices.tolist(), transform

    def __len__(self):
        return len(self.indices)

    def __getitem__(self, i):
        image, label = self.dataset[self.indices[i]]
        return self.transform(image), label


def classic_loader(dataset, indices, mean, std, *, augment, image_size, batch_size, shuffle,
                   seed, device, num_workers):
    """A ``DataLoader`` over ``dataset[indices]``: per-image torchvision transforms in worker processes."""
    steps = [transforms.RandomCrop(image_size, padding=4), transforms.RandomHorizontalFlip()] if augment else []
    steps += [transforms.ToTensor(), transforms.Normalize(mean.tolist(), std.tolist())]
    workers = loader_workers(num_workers)
    return torch.utils.data.DataLoader(
        _Transformed(dataset, indices, transforms.Compose(steps)),
        batch_size=batch_size,
        shuffle=shuffle,
        num_workers=workers,
        pin_memory=pin_memory(device),
        persistent_workers=workers > 0,
        generator=torch.Generator().manual_seed(seed),
    )
