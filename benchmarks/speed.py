"""Training fast, step by step: the classic loop, then each lever added; seconds, images/s, share of the limit.

    python benchmarks/speed.py                          # the run size's ResNet-18 on CIFAR-10 ($LABKIT_SIZE)
    python benchmarks/speed.py --out benchmarks/results/cpu --images 4000 --epochs 3
    python benchmarks/speed.py --compile --airbench     # on a GPU: torch.compile, and airbench94 beside labkit

Each row trains the same network on the same images with one more lever than the row above it:
data on the device, mixed precision, channels_last, a larger batch (peak learning rate scaled by the
square root of the batch ratio), torch.compile.  ``share of limit`` is images/s x FLOPs per image
(forward + backward, counted by PyTorch) / the FLOP/s of a large matrix product measured in the same
run; seconds per epoch include validating on the run size's validation images.  Then labkit's
``fit`` against a plain hand-written loop (same model, data, optimiser, schedule, no validation):
what ``fit`` costs on top.  With ``--airbench`` on a CUDA GPU, seconds to 94 % test accuracy for
airbench94, on the same (offline: first 1,000) test images labkit is tested on; with ``--recipe-epochs N``,
labkit's fastest step trained N epochs per seed, its seconds and test accuracy on those images.  Each
part is saved as soon as it is done.
"""

from __future__ import annotations

import argparse
import copy
import os
import sys
import time
from pathlib import Path

import pandas as pd
import torch

import labkit as lk
from labkit.speed import hand_written_epoch, run_ladder, seconds_per_epoch, train_only

ROOT = Path(__file__).resolve().parents[1]


def steps(args, device, size) -> tuple:
    """Seconds per epoch of ResNet-18 (the run size's width) on CIFAR-10 for each step of the ladder."""
    torch.manual_seed(0)
    template = lk.build_model("resnet18", "cifar10", width=args.width or size.resnet18_width)
    return run_ladder(template, "cifar10", train_images=args.images, epochs=args.epochs, size=size.name,
                      device=device, compile_too=args.compile)


def fit_against_hand_loop(args, device, size) -> pd.DataFrame:
    """labkit's fit against the plainest loop, same settings: the price of fit's bookkeeping."""
    data = lk.load_data("cifar10", size=size.name, train_images=args.images, device=device)
    rows = []
    for name, width in (("resnet18", args.width or size.resnet18_width),):
        torch.manual_seed(0)
        template = lk.build_model(name, "cifar10", width=width)
        labkit = seconds_per_epoch(copy.deepcopy(template), train_only(data), epochs=args.epochs, device=device,
                                   channels_last=False)["seconds per epoch"]
        plain = hand_written_epoch(copy.deepcopy(template), data.train, epochs=args.epochs, device=device)
        rows.append({"model": f"{name} (width {width})", "labkit fit, s per epoch": labkit,
                     "hand-written loop, s per epoch": plain, "fit / hand-written": labkit / plain})
    return pd.DataFrame(rows)


def airbench_beside_labkit(args, device) -> pd.DataFrame:
    """Seconds to 94 % test accuracy: airbench94 and labkit, on the same offline test images (CUDA only)."""
    if device.type != "cuda":
        return pd.DataFrame([{"trainer": "airbench94", "note": "needs a CUDA GPU"}])
    try:
        import airbench
    except ImportError:
        return pd.DataFrame([{"trainer": "airbench94", "note": "airbench is not installed (pip install airbench)"}])
    from labkit.data import load_images

    work = Path("/tmp/labkit-airbench-data")  # 150 MB of tensors: never inside the results folder
    (work / "cifar10").mkdir(parents=True, exist_ok=True)
    for split, file in (("train", "train.pt"), ("test", "test.pt")):
        images, labels, classes, _ = load_images("cifar10", split)
        torch.save({"images": images.permute(0, 2, 3, 1).contiguous(), "labels": labels, "classes": classes},
                   work / "cifar10" / file)
    rows, here = [], Path.cwd()
    try:
        os.chdir(work)  # airbench reads cifar10/train.pt and cifar10/test.pt from the working folder
        airbench.warmup94(verbose=False)  # compiles and caches kernels: the timed runs start warm
        test = airbench.CifarLoader("cifar10", train=False, batch_size=2000)
        for seed in range(args.airbench_runs):
            torch.manual_seed(seed)
            began = time.perf_counter()
            net = airbench.train94(verbose=False)  # returns the trained network; verbose would evaluate each epoch
            torch.cuda.synchronize()
            seconds = time.perf_counter() - began
            accuracy = airbench.evaluate(net, test, tta_level=2)  # airbench94's own test-time augmentation
            rows.append({"trainer": "airbench94", "seed": seed, "seconds": seconds, "test acc": float(accuracy),
                         "test images": len(test.images)})
    finally:
        os.chdir(here)
    return pd.DataFrame(rows)


def labkit_recipe(args, device, size) -> pd.DataFrame:
    """labkit's fastest ladder step trained for a fixed number of epochs, once per seed: seconds (training,
    validation included) and test accuracy on the same test images airbench94 is measured on.

    The epochs that reach 94 % are found on a GPU (``--recipe-epochs``); the rows say what was reached.
    """
    from labkit.data import load_data

    step, data_options, options = lk.speed.ladder(device, args.compile)[-1]
    # the same images and batch order for every seed (load_data's own seed): the seeds vary the initialisation
    data = load_data("cifar10", size=size.name, train_images=args.images, device=device, **data_options)
    rows = []
    for seed in range(args.airbench_runs):
        lk.seed_everything(seed)
        model = lk.build_model("resnet18", "cifar10", width=args.width or size.resnet18_width)
        began = time.perf_counter()
        history = lk.fit(model, data, epochs=args.recipe_epochs, device=device, progress=False, **options)
        seconds = time.perf_counter() - began
        test = lk.evaluate(model, data.test, device=device)
        rows.append({"trainer": f"labkit ResNet-18, {step.removeprefix('+ ')}", "seed": seed,
                     "epochs": len(history), "seconds": seconds, "test acc": test["accuracy"],
                     "test images": test["images"]})
    return pd.DataFrame(rows)


def save(args, size, parts: dict, hardware: str, limit: dict, argv) -> None:
    """Every finished part as CSV, and all of them in speed.json: written after each part, so a run cut
    off by a deadline keeps what it finished."""
    if not args.out:
        return
    for name, table in parts.items():
        lk.save_csv(table.assign(hardware=hardware), args.out / f"speed-{name.split()[0]}.csv")
    lk.save_json({"command": "python benchmarks/speed.py " + " ".join(argv or sys.argv[1:]), "size": size.name,
                  "hardware": hardware, "torch": torch.__version__, **limit,
                  **{name: table.to_dict("records") for name, table in parts.items()}}, args.out / "speed.json")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="folder for speed.csv / speed.json (default: print only)")
    parser.add_argument("--device")
    parser.add_argument("--images", type=int, help="training images (default: the run size's)")
    parser.add_argument("--epochs", type=int, default=2, help="epochs per step (the first is not timed)")
    parser.add_argument("--width", type=int, help="ResNet-18 width (default: the run size's)")
    parser.add_argument("--compile", action="store_true", help="add the torch.compile step")
    parser.add_argument("--airbench", action="store_true", help="time airbench94 (CUDA only)")
    parser.add_argument("--airbench-runs", type=int, default=5, help="seeds of airbench94 and of labkit's recipe")
    parser.add_argument("--recipe-epochs", type=int, default=0, metavar="N",
                        help="also labkit's fastest step trained N epochs per seed, beside airbench94 (default 0: not)")
    args = parser.parse_args(argv)
    size, device = lk.run_size(), lk.default_device(args.device)
    hardware = lk.describe_device(device)
    print(f"run size {size.name}; {hardware}; torch {torch.__version__}", flush=True)
    ladder, limit = steps(args, device, size)
    parts = {}

    def finished(name, table):
        parts[name] = table
        print(f"\n## {name}\n\n{table.round(4).to_string(index=False)}", flush=True)
        save(args, size, parts, hardware, limit, argv)

    finished("ladder", ladder)
    finished("fit against a hand-written loop", fit_against_hand_loop(args, device, size))
    if args.airbench:
        finished("airbench94", airbench_beside_labkit(args, device))
    if args.recipe_epochs:
        finished("labkit recipe", labkit_recipe(args, device, size))
    return 0


if __name__ == "__main__":
    sys.exit(main())
