import os
from pathlib import Path

import pytest
import torch
import torchvision
from torchvision import transforms

from labkit import LabkitError, data_root, load_data
from labkit.data import CIFAR10Rebuilt, DeviceLoader, load_images, random_crop_flip
from labkit.device import loader_workers, pin_memory
from labkit.sizes import run_size


def test_data_root_order(monkeypatch, tmp_path):
    monkeypatch.setenv("LABKIT_DATA", str(tmp_path / "env"))
    assert data_root(tmp_path / "arg") == (tmp_path / "arg").resolve()
    assert data_root() == (tmp_path / "env").resolve()
    monkeypatch.delenv("LABKIT_DATA")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.chdir(tmp_path)
    first = data_root()
    os.chdir(Path(tmp_path).anchor)
    assert data_root() == first  # does not depend on the current directory
    assert first == (tmp_path / "home" / ".cache" / "labkit" / "data").resolve()


@pytest.mark.parametrize("name, folder", [("mnist", "MNIST/raw"), ("cifar10", "cifar-10-batches-py")])
def test_a_missing_dataset_is_one_short_line_naming_the_folder_and_the_command(tmp_path, name, folder):
    with pytest.raises(LabkitError) as error:
        load_data(name, tmp_path, download=False)
    message = str(error.value)
    assert "\n" not in message and len(message) < 250, message
    assert str(tmp_path / folder) in message and f"`labkit data download {name}`" in message
    assert "LABKIT_DATA" in message and "download=False" in message


def test_mnist_is_the_real_dataset(mnist_dir):
    images, labels, classes, _ = load_images("mnist", "train")
    assert images.shape == (60_000, 1, 28, 28) and images.dtype == torch.uint8
    assert torch.bincount(labels)[:3].tolist() == [5923, 6742, 5958]
    test_images, _, _, _ = load_images("mnist", "test")
    assert len(test_images) == 10_000 and len(classes) == 10


def test_offline_cifar_copy_loads(offline_data):
    images, labels, classes, dataset = load_images("cifar10", "train")
    assert isinstance(dataset, CIFAR10Rebuilt)
    assert images.shape == (50_000, 3, 32, 32) and torch.bincount(labels).tolist() == [5000] * 10
    assert classes[0] == "airplane"
    assert len(load_images("cifar10", "test")[1]) == 1_000


def test_normal_torchvision_cifar_layout_is_preferred(offline_data, tmp_path, monkeypatch):
    # A normal download lives in cifar-10-batches-py/ and is checked against torchvision's own MD5s.
    # Build that layout from the offline copy and give the stock class this copy's checksums.
    (tmp_path / "cifar-10-batches-py").mkdir()
    for file in (offline_data / CIFAR10Rebuilt.base_folder).iterdir():
        (tmp_path / "cifar-10-batches-py" / file.name).symlink_to(file)
    monkeypatch.setattr(torchvision.datasets.CIFAR10, "train_list", CIFAR10Rebuilt.train_list)
    monkeypatch.setattr(torchvision.datasets.CIFAR10, "test_list", CIFAR10Rebuilt.test_list)
    _, labels, _, dataset = load_images("cifar10", "test", root=tmp_path, download=False)
    assert type(dataset) is torchvision.datasets.CIFAR10 and len(labels) == 1_000


def test_split_is_seeded_disjoint_and_sized(mnist_dir):
    a = load_data("mnist", train_images=2_000, val_images=500, test_images=300, seed=1, device="cpu")
    b = load_data("mnist", train_images=2_000, val_images=500, test_images=300, seed=1, device="cpu")
    c = load_data("mnist", train_images=2_000, val_images=500, test_images=300, seed=2, device="cpu")
    assert a.counts == {"train": 2_000, "val": 500, "test": 300}
    assert torch.equal(a.images["val"], b.images["val"])
    assert not torch.equal(a.images["val"], c.images["val"])
    train = {bytes(x.numpy()) for x in a.images["train"]}
    assert not any(bytes(x.numpy()) in train for x in a.images["val"])


def test_normalisation_uses_the_training_split(mnist):
    x = mnist.normalise(mnist.images["train"])
    assert abs(x.mean().item()) < 1e-3 and abs(x.std().item() - 1) < 1e-3
    assert abs(mnist.mean.item() - 0.1307) < 0.01  # the well-known MNIST mean


def test_device_loader_augments_training_batches_only(cifar):
    assert cifar.train.augment and not cifar.val.augment and not cifar.test.augment
    val_images, _ = next(iter(cifar.val))
    assert torch.equal(val_images, cifar.normalise(cifar.images["val"][: len(val_images)]))
    unshuffled = DeviceLoader(cifar.images["train"][:64], cifar.labels["train"][:64], cifar.mean, cifar.std,
                              batch_size=64, augment=True, device="cpu")
    augmented, _ = next(iter(unshuffled))
    assert not torch.equal(augmented, cifar.normalise(cifar.images["train"][:64]))


def test_classic_loader_keeps_train_augmentation_when_val_is_built(cifar_dir):
    # The pitfall: random_split subsets share one dataset, so setting the validation
    # transform also switches off the training augmentation.
    data = load_data("cifar10", loader="classic", num_workers=0, device="cpu")
    train_steps = [type(t) for t in data.train.dataset.transform.transforms]
    val_steps = [type(t) for t in data.val.dataset.transform.transforms]
    assert transforms.RandomCrop in train_steps and transforms.RandomHorizontalFlip in train_steps
    assert transforms.RandomCrop not in val_steps
    val_images, _ = next(iter(data.val))
    assert torch.allclose(val_images, data.normalise(data.images["val"][: len(val_images)]), atol=1e-5)


def test_device_and_classic_loaders_agree_without_augmentation(mnist_dir):
    device = load_data("mnist", loader="device", test_images=256, device="cpu")
    classic = load_data("mnist", loader="classic", num_workers=0, test_images=256, device="cpu")
    a, la = next(iter(device.test))
    b, lb = next(iter(classic.test))
    assert torch.equal(la, lb) and torch.allclose(a, b, atol=1e-5)


def test_random_crop_flip_is_a_shifted_crop():
    x = torch.rand(8, 3, 12, 12)
    out = random_crop_flip(x, 4, torch.Generator().manual_seed(0))
    padded = torch.nn.functional.pad(x, (4, 4, 4, 4))
    for image, result in zip(padded, out):
        crops = [image[:, i:i + 12, j:j + 12] for i in range(9) for j in range(9)]
        assert any(torch.equal(result, c) or torch.equal(result, c.flip(2)) for c in crops)


def test_every_batch_and_sample_is_in_the_usual_memory_layout(cifar):
    # Augmented crops are gathered as (n, height, width, C) and permuted; handed on as such views, they hung a
    # CPU convolution's backward pass in a plain loop (torch 2.14.1, AMD EPYC): every batch leaves contiguous.
    batches = [next(iter(loader))[0] for loader in (cifar.train, cifar.val, cifar.test, cifar.plain_loader("train"))]
    assert cifar.train.augment and all(images.is_contiguous() for images in batches)
    assert cifar.sample("val", 8)[0].is_contiguous()
    assert random_crop_flip(torch.rand(4, 3, 8, 8), 2, torch.Generator().manual_seed(0)).is_contiguous()


def test_device_loader_epoch_order_is_seeded():
    images, labels = torch.zeros(100, 1, 2, 2, dtype=torch.uint8), torch.arange(100)
    loader = DeviceLoader(images, labels, torch.zeros(1), torch.ones(1), batch_size=100, shuffle=True, seed=3)
    first = next(iter(loader))[1]
    loader.set_epoch(0)
    assert torch.equal(next(iter(loader))[1], first)
    loader.set_epoch(1)
    assert not torch.equal(next(iter(loader))[1], first)


def test_workers_and_pinning_come_from_the_machine(monkeypatch, mnist_dir):
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(6)))
    assert loader_workers() == 5
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0})
    assert loader_workers() == 0
    assert pin_memory(torch.device("cpu")) is False and pin_memory(torch.device("cuda")) is True
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1})
    data = load_data("mnist", loader="classic", device="cpu")
    assert data.train.num_workers == 1 and data.train.pin_memory is False


def test_bad_dataset_and_loader_names():
    with pytest.raises(LabkitError, match="unknown dataset 'svhn'.*'mnist', 'cifar10'"):
        load_data("svhn")
    with pytest.raises(LabkitError, match="unknown loader 'fast'.*'device', 'classic'"):
        load_data("mnist", loader="fast")


def test_describe_device_counts_every_core(monkeypatch):
    from labkit.device import describe_device

    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(16)))
    assert describe_device(torch.device("cpu")).startswith("CPU, 16 cores")


def test_describe_device_names_the_processor(tmp_path, monkeypatch):
    # Two 2-core machines ran the same notebook 4-5 times apart (an AMD EPYC, an Intel Xeon): say which one
    from labkit import device

    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC  9B14 96-Core\n")
    assert device._processor_name(cpuinfo) == "AMD EPYC 9B14 96-Core"
    monkeypatch.setattr(device, "_processor_name", lambda: "AMD EPYC 9B14")
    assert device.describe_device(torch.device("cpu")).endswith("threads, AMD EPYC 9B14")
    monkeypatch.setattr(device, "_processor_name", lambda: "")
    assert device.describe_device(torch.device("cpu")).endswith("threads")


def test_augmentation_follows_the_run_size_unless_asked(cifar_dir):
    # At cpu size two epochs are too short for augmentation to pay off; smoke (CI) keeps the dataset's choice
    assert run_size("cpu").augment is False and run_size("smoke").augment is None
    assert not load_data("cifar10", size="cpu", train_images=256, device="cpu").train.augment
    assert load_data("cifar10", size="cpu", train_images=256, augment=True, device="cpu").train.augment
    assert load_data("cifar10", size="smoke", train_images=256, device="cpu").train.augment
    assert not load_data("mnist", size="smoke", train_images=256, device="cpu").train.augment
    assert "none" in run_size("cpu").overview().iloc[:, 0]["augmentation (CIFAR-10 training batches)"]
    # the bundle says what its training loader does, whichever loader it is
    for loader in ("device", "classic"):
        assert load_data("cifar10", size="smoke", train_images=256, loader=loader, device="cpu").augment is True
        assert load_data("cifar10", size="cpu", train_images=256, loader=loader, device="cpu").augment is False
