"""Foundation figures: accuracy and seconds of the MNIST models, and the cost of the data loader.

    python benchmarks/foundation.py mnist     # MLP and CNN on MNIST at the run size (LABKIT_SIZE)
    python benchmarks/foundation.py loaders   # seconds per epoch: on-device loader vs classic DataLoader
    python benchmarks/foundation.py resnet18  # ResNet-18 on CIFAR-10: labkit's loop vs the classic fp32 loop

Each part prints a markdown table and, with --out DIR, writes it as CSV and JSON.
At LABKIT_SIZE=smoke every part takes seconds on a CPU, so the script never rots.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import pandas as pd
import torch

import labkit as lk
from labkit.device import describe_device


def mnist_models(size, device) -> pd.DataFrame:
    """MLP (784-256-256-10) and the default CNN on MNIST, trained as the run size says."""
    rows = []
    for name in ("mlp", "cnn"):
        run = lk.train_run({"model": {"name": name}, "dataset": {"name": "mnist"}}, size=size.name,
                           device=device, progress=False)
        r = run.result
        rows.append({"model": name, "parameters": r["parameters"], "epochs": r["epochs_run"],
                     "train_images": r["images"]["train"], "val_acc": r["val_acc"], "test_acc": r["test_acc"],
                     "test_images": r["test_images"], "seconds": round(r["seconds"], 1)})
    return pd.DataFrame(rows)


def _seconds_per_epoch(model_name, dataset, loader, size, device, epochs, precision="auto", **options):
    torch.manual_seed(0)
    data = lk.load_data(dataset, size=size.name, loader=loader, device=device, **options)
    model = lk.build_model(model_name, dataset, **({"width": size.resnet18_width} if model_name == "resnet18" else {}))
    history = lk.fit(model, data, epochs=epochs, device=device, precision=precision, progress=False)
    settings = {"model": {"name": model_name}, "dataset": {"name": dataset, "loader": loader, **options},
                "training": {"epochs": epochs, "precision": precision}}
    record = lk.record_run(model, data, history, name=model_name, settings=settings, size=size.name, device=device,
                           splits=("val", "test"))  # the one record every run of the lab saves
    steady = history.seconds.iloc[1:] if len(history) > 1 else history.seconds  # epoch 1 includes warm-up
    return {"model": model_name, "dataset": dataset, "loader": loader, "precision": precision,
            "batch_size": data.train.batch_size, "train_images": data.counts["train"], "epochs": epochs,
            "seconds_per_epoch": round(float(steady.mean()), 2), "val_acc": record["val_acc"],
            "test_acc": record["test_acc"], "test_images": record["test_images"]}


def loaders(size, device) -> pd.DataFrame:
    """The same training, fed by the on-device loader and by the classic DataLoader."""
    rows = []
    for model_name, dataset in (("mlp", "mnist"), ("cnn", "cifar10")):
        for loader in ("device", "classic"):
            rows.append(_seconds_per_epoch(model_name, dataset, loader, size, device, epochs=2))
    return pd.DataFrame(rows)


def resnet18(size, device) -> pd.DataFrame:
    """ResNet-18 on CIFAR-10: the classic fp32 loop (DataLoader, 2 workers, batch 128) against
    labkit's default (data on the device, bf16 autocast, channels_last) at batch 128 and 512."""
    epochs = max(2, size.epochs_for("resnet") // 10)
    return pd.DataFrame([
        _seconds_per_epoch("resnet18", "cifar10", "classic", size, device, epochs, precision="fp32",
                           num_workers=2, batch_size=128),
        _seconds_per_epoch("resnet18", "cifar10", "device", size, device, epochs, batch_size=128),
        _seconds_per_epoch("resnet18", "cifar10", "device", size, device, epochs, batch_size=512),
    ])


PARTS = {"mnist": mnist_models, "loaders": loaders, "resnet18": resnet18}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("parts", nargs="+", choices=PARTS)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--device")
    args = parser.parse_args(argv)
    size, device = lk.run_size(), lk.default_device(args.device)
    print(f"run size {size.name}; {describe_device(device)}; torch {torch.__version__}", flush=True)
    for part in args.parts:
        began = time.perf_counter()
        table = PARTS[part](size, device)
        table.insert(0, "hardware", describe_device(device))
        print(f"\n## {part} ({time.perf_counter() - began:.0f} s)\n\n{table.to_string(index=False)}", flush=True)
        if args.out:
            lk.save_csv(table, args.out / f"{part}.csv")
            lk.save_json({"command": " ".join(sys.argv), "size": size.name, "torch": torch.__version__,
                          "rows": table.to_dict("records")}, args.out / f"{part}.json")


if __name__ == "__main__":
    main()
