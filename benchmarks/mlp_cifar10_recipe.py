"""Why labkit's CIFAR-10 MLP trailed the published 55.8 %: one change at a time from the full-size recipe.

    python benchmarks/mlp_cifar10_recipe.py --out benchmarks/results/cpu          # 20 epochs, 45,000 images
    python benchmarks/mlp_cifar10_recipe.py --size smoke --epochs 1               # seconds: the script runs

Each row trains the default MLP (3072-256-256-10) from the same seed, on the run size's training
images, and changes one thing against the first row (labkit's full-size recipe when this was
written: SGD, one-cycle schedule to a peak of 0.1, random crop + flip): the augmentation, the peak
learning rate, the optimiser. Test accuracy is on the offline CIFAR-10 test images (the first
1,000), validation on 5,000 held-out training images; the best epoch is chosen on validation.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

import labkit as lk

VARIANTS = {
    "SGD lr 0.1, augmented (the old recipe)": ({}, {}),
    "SGD lr 0.1, no augmentation": ({"augment": False}, {}),
    "SGD lr 0.02, augmented": ({}, {"lr": 0.02}),
    "SGD lr 0.02, no augmentation": ({"augment": False}, {"lr": 0.02}),
    "Adam lr 0.001, wd 1e-4, no augmentation": ({"augment": False}, {"optimizer": "adam", "lr": 0.001,
                                                                     "weight_decay": 1e-4}),
}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="full", help="run size for the images (default: full)")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--out", type=Path, help="folder for mlp_cifar10_recipe.csv (default: print only)")
    parser.add_argument("--device")
    args = parser.parse_args(argv)
    rows = []
    for name, (data, training) in VARIANTS.items():
        config = {"model": {"name": "mlp"}, "dataset": {"name": "cifar10", **data},
                  "training": {"epochs": args.epochs, "seed": 0, **training}}
        result = lk.train_run(config, size=args.size, device=args.device, progress=False).result
        history = pd.DataFrame(result["history"])
        rows.append({"recipe": name, "epochs": args.epochs, "train images": result["images"]["train"],
                     "final train acc (augmented if so)": history.train_acc.iloc[-1],
                     "best val acc": result["val_acc"], "test acc": result["test_acc"],
                     "test images": result["test_images"], "seconds": round(result["seconds"], 1)})
        print(pd.DataFrame(rows[-1:]).round(4).to_string(index=False, header=len(rows) == 1), flush=True)
    table = pd.DataFrame(rows).assign(hardware=lk.describe_device(lk.default_device(args.device)))
    if args.out:
        lk.save_csv(table, args.out / "mlp_cifar10_recipe.csv")
    print("\n" + table.round(4).to_string(index=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
