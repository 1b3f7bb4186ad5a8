import pytest
import torch

from labkit import LabkitError, build_model, evaluate, fit
from labkit.options import OPTIMIZERS, SCHEDULES
from labkit.train import CHECKPOINT_NAME, BestModel, load_checkpoint


class Tiny:
    """A small slice of real MNIST, for tests of the loop's mechanics."""

    def __init__(self, mnist, images=512):
        from labkit.data import DeviceLoader

        x, y = mnist.images, mnist.labels
        self.name = "mnist"
        self.train = DeviceLoader(x["train"][:images], y["train"][:images], mnist.mean, mnist.std,
                                  batch_size=64, shuffle=True, seed=0, device="cpu")
        self.val = DeviceLoader(x["val"][:256], y["val"][:256], mnist.mean, mnist.std, batch_size=128)


def test_mlp_learns_real_mnist(mnist):
    torch.manual_seed(0)
    history = fit(build_model("mlp", "mnist"), mnist, epochs=4, progress=False, device="cpu")
    assert list(history.columns) == ["epoch", "train_loss", "train_acc", "val_loss", "val_acc", "lr", "seconds"]
    assert history.val_acc.max() >= 0.90
    assert history.train_loss.iloc[-1] < history.train_loss.iloc[0]


def test_small_cnn_learns_real_cifar10(cifar):
    torch.manual_seed(0)
    model = build_model("cnn", "cifar10", widths=[16, 32, 64])
    history = fit(model, cifar, epochs=2, progress=False, device="cpu")
    test = evaluate(model, cifar.test, device="cpu")
    assert history.val_acc.max() > 0.30 and test["accuracy"] > 0.30  # chance is 0.10
    assert test["images"] == 1_000


def test_best_model_is_a_deep_copy():
    # The pitfall: state_dict().copy() copies the dictionary, not the tensors,
    # so the optimiser's in-place updates change the saved "best" weights too.
    model = torch.nn.Linear(3, 2)
    best = BestModel()
    best.update(model, score=0.9, epoch=1)
    before = model.weight.detach().clone()
    with torch.no_grad():
        model.weight.add_(1.0)  # what optimizer.step() does
    assert torch.equal(best.state["weight"], before)
    shallow = model.state_dict().copy()
    with torch.no_grad():
        model.weight.add_(1.0)
    assert torch.equal(shallow["weight"], model.weight)  # why the shallow copy is wrong


def test_best_model_only_keeps_improvements():
    best = BestModel()
    assert best.update(torch.nn.Linear(1, 1), 0.5, 1)
    assert not best.update(torch.nn.Linear(1, 1), 0.4, 2)
    assert best.epoch == 1


def test_fit_restores_the_best_epoch(mnist):
    torch.manual_seed(0)
    data = Tiny(mnist)
    model = build_model("mlp", "mnist", width=32)
    history = fit(model, data, epochs=4, lr=0.5, schedule="none", progress=False, device="cpu")
    best = history.attrs["best_epoch"]
    assert history.val_acc.iloc[best - 1] == history.val_acc.max()
    assert evaluate(model, data.val)["accuracy"] == pytest.approx(history.val_acc.max())


def test_same_seed_same_history(mnist):
    runs = []
    for _ in range(2):
        torch.manual_seed(1)
        model = build_model("mlp", "mnist", width=32)
        runs.append(fit(model, Tiny(mnist), epochs=2, seed=1, progress=False, device="cpu"))
    assert runs[0].drop(columns="seconds").equals(runs[1].drop(columns="seconds"))


def test_interrupted_training_resumes_to_the_same_result(mnist, tmp_path):
    def run(out, epochs=3, callbacks=(), resume=False):
        torch.manual_seed(0)
        model = build_model("mlp", "mnist", width=32)
        history = fit(model, Tiny(mnist), epochs=epochs, seed=0, out_dir=out, checkpoint_every=1,
                      resume=resume, progress=False, device="cpu", callbacks=callbacks)
        return model, history

    unbroken_model, unbroken = run(tmp_path / "a")

    def stop_after_two(epoch, row, model):
        if epoch == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run(tmp_path / "b", callbacks=[stop_after_two])
    assert load_checkpoint(tmp_path / "b" / CHECKPOINT_NAME)["epoch"] == 1  # epoch 2 was never saved
    resumed_model, resumed = run(tmp_path / "b", resume=True)
    assert list(resumed.epoch) == [1, 2, 3]
    assert resumed.drop(columns="seconds").equals(unbroken.drop(columns="seconds"))
    for a, b in zip(unbroken_model.state_dict().values(), resumed_model.state_dict().values()):
        assert torch.equal(a, b)
    with pytest.raises(LabkitError, match="epochs=3, not 5"):
        run(tmp_path / "b", epochs=5, resume=True)


def test_checkpoint_holds_only_tensors_and_plain_data(mnist, tmp_path):
    fit(build_model("mlp", "mnist", width=16), Tiny(mnist), epochs=1, out_dir=tmp_path, checkpoint_every=1,
        progress=False, device="cpu")
    saved = torch.load(tmp_path / CHECKPOINT_NAME, weights_only=True)
    assert saved["epoch"] == 1 and "model" in saved and "best_state" in saved


def test_early_stopping_stops(mnist):
    torch.manual_seed(0)
    history = fit(build_model("mlp", "mnist", width=16), Tiny(mnist), epochs=30, lr=1e-6, schedule="none",
                  early_stopping=2, progress=False, device="cpu")
    assert len(history) < 30 and history.attrs["stopped_early"]


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
@pytest.mark.parametrize("schedule", SCHEDULES)
def test_every_optimizer_and_schedule_trains(mnist, optimizer, schedule):
    torch.manual_seed(0)
    history = fit(build_model("mlp", "mnist", width=16), Tiny(mnist, 256), epochs=2, optimizer=optimizer,
                  schedule=schedule, label_smoothing=0.1, progress=False, device="cpu")
    assert len(history) == 2 and history.train_loss.notna().all()


@pytest.mark.parametrize("options, words", [
    ({"epochs": 0}, ["epochs", "0"]), ({"epochs": 2, "lr": -0.1}, ["learning rate", "-0.1"]),
    ({"epochs": 2, "optimizer": "rmsprop"}, ["'rmsprop'", "'sgd'", "'adamw'"]),
    ({"epochs": 2, "schedule": "linear"}, ["'linear'", "'onecycle'", "'plateau'"]),
    ({"epochs": 2, "precision": "fp8"}, ["'fp8'", "'bf16'"]),
])
def test_bad_training_arguments(mnist, options, words):
    with pytest.raises(LabkitError) as error:
        fit(build_model("mlp", "mnist"), Tiny(mnist), progress=False, **options)
    assert all(w in str(error.value) for w in words)


def test_a_resumed_run_reports_the_seconds_of_every_epoch_not_only_the_last_sitting(tmp_path, mnist_dir):
    from labkit import train_run

    config = {"model": {"name": "mlp", "depth": 2, "width": 16}, "dataset": {"name": "mnist"},
              "training": {"epochs": 2, "checkpoint_every": 1}}
    first = train_run(config, tmp_path, size="smoke", progress=False, device="cpu")
    again = train_run(config, tmp_path, size="smoke", progress=False, device="cpu", resume=True)  # nothing left
    assert list(again.history.epoch) == [1, 2]
    assert again.result["seconds"] == pytest.approx(first.result["seconds"])
    assert again.result["seconds"] == pytest.approx(again.history.seconds.sum())


def test_the_progress_bar_names_the_model_as_it_was_built(mnist, capsys):
    fit(build_model("mlp", "mnist", width=16), Tiny(mnist), epochs=1, device="cpu", progress=True)
    bar = capsys.readouterr().err
    assert "mlp on mnist" in bar and "MLP on" not in bar


def test_batches_reach_the_model_in_its_own_memory_layout():
    """A batch with the strides of height x width x channel images and a CPU convolution with weights in the
    other layout hung in its backward pass (torch 2.14.1, AMD EPYC), so fit makes them agree."""
    import torch

    from labkit.train import _batches

    stored = torch.rand(4, 8, 8, 3).permute(0, 3, 1, 2)  # the loader's layout: strides of NHWC
    assert not stored.is_contiguous()
    (plain, _), = _batches([(stored, torch.zeros(4))], torch.device("cpu"), channels_last=False)
    (last, _), = _batches([(stored, torch.zeros(4))], torch.device("cpu"), channels_last=True)
    assert plain.is_contiguous() and torch.equal(plain, stored)
    assert last.is_contiguous(memory_format=torch.channels_last) and torch.equal(last, stored)
