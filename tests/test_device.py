"""Device and precision choices, decided from the hardware's answers -- faked here, so no GPU is needed."""

import pytest
import torch

import labkit as lk
from labkit import LabkitError
from labkit.device import channels_last_helps, check_compile, choose_precision, device_hint

GPUS = {"H100": (9, 0), "A100": (8, 0), "RTX 3090": (8, 6), "T4": (7, 5), "V100": (7, 0), "P100": (6, 0)}


@pytest.fixture
def machine(monkeypatch):
    """Fake what the hardware says: machine(cuda=2, capability=(7, 5), mps=False)."""
    def fake(cuda=0, capability=(9, 0), mps=False):
        monkeypatch.setattr("labkit.device.has_cuda", lambda: cuda > 0)
        monkeypatch.setattr(torch.cuda, "device_count", lambda: cuda)
        monkeypatch.setattr("labkit.device.cuda_capability", lambda device: capability)
        monkeypatch.setattr("labkit.device.has_mps", lambda: mps)
    return fake


@pytest.mark.parametrize("cuda, mps, expected", [(1, True, "cuda"), (0, True, "mps"), (0, False, "cpu")])
def test_the_default_device_is_cuda_then_mps_then_cpu(machine, cuda, mps, expected):
    machine(cuda=cuda, mps=mps)
    assert lk.default_device().type == expected


def test_only_the_devices_the_machine_has_are_accepted(machine):
    machine(cuda=0, mps=True)
    assert lk.default_device("mps") == torch.device("mps")
    with pytest.raises(LabkitError, match=r"'cuda' is not on this machine; it has 'cpu', 'mps'$"):
        lk.default_device("cuda")
    machine(cuda=2)
    with pytest.raises(LabkitError, match=r"'mps' \(an Apple GPU\) is not on this machine; it has 'cpu', 'cuda:0', "):
        lk.default_device("mps")


@pytest.mark.parametrize("gpu, capability", GPUS.items())
def test_mixed_precision_follows_native_bf16(machine, gpu, capability):
    machine(cuda=1, capability=capability)
    chosen = choose_precision(torch.device("cuda"), "auto")
    if capability >= (8, 0):
        assert (chosen.name, chosen.dtype, chosen.scaler) == ("bf16", torch.bfloat16, False), gpu
    else:  # a T4 or V100 has no native bf16 (is_bf16_supported() has said yes there, through emulation)
        assert (chosen.name, chosen.dtype, chosen.scaler) == ("fp16", torch.float16, True), gpu
        with pytest.raises(LabkitError, match=f"compute capability 8.0 or newer; this one has {capability[0]}."):
            choose_precision(torch.device("cuda"), "bf16")
    assert choose_precision(torch.device("cuda"), "fp32").dtype is None
    assert choose_precision(torch.device("cuda"), "fp16").scaler


def test_cpu_and_apple_gpu_train_in_fp32_unless_told_otherwise(machine):
    machine(mps=True)
    for kind in ("cpu", "mps"):
        assert choose_precision(torch.device(kind), "auto").name == "fp32"
        with pytest.raises(LabkitError, match=f"'fp16' is not available on '{kind}'"):
            choose_precision(torch.device(kind), "fp16")
    assert choose_precision(torch.device("cpu"), "bf16").dtype == torch.bfloat16


def test_compile_and_channels_last_only_where_they_help(machine):
    machine(cuda=1, capability=(6, 0), mps=True)
    with pytest.raises(LabkitError, match="compute capability 7.0 or newer"):
        check_compile(torch.device("cuda"))
    with pytest.raises(LabkitError, match="off on Apple GPUs"):
        check_compile(torch.device("mps"))
    check_compile(torch.device("cpu"))
    machine(cuda=1, capability=(7, 5))
    check_compile(torch.device("cuda"))
    assert channels_last_helps(torch.device("cuda"))
    assert not channels_last_helps(torch.device("mps")) and not channels_last_helps(torch.device("cpu"))


def test_a_hint_when_a_faster_device_is_there(machine):
    machine(mps=True)
    assert "Apple GPU is present" in device_hint(torch.device("cpu"))
    assert device_hint(torch.device("mps")) is None
    machine()
    assert device_hint(torch.device("cpu")) is None


def test_fp16_trains_through_the_gradient_scaler(mnist, monkeypatch):
    """fit's fp16 path (as on a T4), run on the CPU: autocast in bf16 there, but the scaler really steps."""
    from test_train import Tiny

    real = choose_precision
    fp16 = lk.device.Precision("fp16", torch.bfloat16, True, "faked T4")  # the CPU has no fp16 autocast
    monkeypatch.setattr("labkit.train.choose_precision", lambda device, precision: fp16 if precision == "fp16"
                        else real(device, precision))
    scaled = []
    original = torch.amp.GradScaler.scale
    monkeypatch.setattr(torch.amp.GradScaler, "scale", lambda self, loss: scaled.append(self.is_enabled())
                        or original(self, loss))
    torch.manual_seed(0)
    history = lk.fit(lk.build_model("mlp", "mnist", width=32), Tiny(mnist), epochs=2, precision="fp16",
                     progress=False, device="cpu")
    assert scaled and all(scaled) and history.val_acc.iloc[-1] > 0.5


def test_each_notebook_shows_the_device_its_precision_and_a_faster_choice(machine, monkeypatch):
    monkeypatch.delenv("COLAB_RELEASE_TAG", raising=False)
    machine(mps=True)
    table = lk.this_machine("cpu")
    assert list(table.columns) == ["this machine"]
    assert table.loc["precision", "this machine"] == "fp32 (the CPU computes in fp32)"
    assert table.loc["data root", "this machine"] == str(lk.data_root())
    assert "Apple GPU is present" in table.loc["faster choice", "this machine"]
    machine()
    assert list(lk.this_machine("cpu").index) == ["data root", "device", "precision"]
