"""Do subnormal floats slow a deep plain MLP on a CPU?  Share of subnormal gradients and ms per batch.

    python benchmarks/subnormal_mlp.py --out benchmarks/results/cpu     # depth 100, width 128: about a minute
    python benchmarks/subnormal_mlp.py --depth 10 --steps 3 --timed 3   # seconds: the script runs

A gradient that shrinks layer after layer passes through the subnormal 32-bit floats (below
1.2e-38) on its way to 0, and on many CPUs arithmetic on them takes a slow path.  For the plain
MLP and its residual twin (same layers, same parameters, seed 0) this trains ``--steps`` SGD steps
on MNIST, then counts the share of subnormal numbers among the gradients of every ReLU output
(the backward signal) and of the weights, and times ``--timed`` more training steps (median).
Three ways: the default; ``torch.set_flush_denormal(True)`` (subnormals become 0) called after
torch has started its worker threads; and the same call made first thing in a fresh process.
The flag is a setting of each CPU thread, and a new thread copies the one of the thread that
starts it: set late, it reaches only the main thread, and the workers stay slow.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import torch

import labkit as lk

SMALLEST_NORMAL = torch.finfo(torch.float32).tiny  # 1.18e-38


def subnormal_share(tensors) -> float:
    """The share of nonzero numbers below the smallest normal float, over all ``tensors``."""
    values = torch.cat([t.detach().flatten() for t in tensors]).abs()
    return float(((values > 0) & (values < SMALLEST_NORMAL)).float().mean())


def measure(depth: int, width: int, residual: bool, steps: int, timed: int, images, labels) -> dict:
    """Train ``steps`` steps from seed 0, then the subnormal shares and the median ms of ``timed`` more."""
    lk.seed_everything(0)
    model = lk.build_model("mlp", "mnist", depth=depth, width=width, residual=residual)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    signals = []
    for module in model.modules():
        if isinstance(module, torch.nn.ReLU):
            module.register_forward_hook(lambda _, __, out: out.register_hook(signals.append) and None)
    seconds = []
    for i in range(steps + timed):
        start = 128 * i % (len(images) - 128)
        batch = slice(start, start + 128)
        signals.clear()
        began = time.perf_counter()
        optimizer.zero_grad()
        torch.nn.functional.cross_entropy(model(images[batch]), labels[batch]).backward()
        optimizer.step()
        seconds.append(time.perf_counter() - began)
    return {"variant": lk.variant(residual),
            "subnormal share, ReLU-output gradients": subnormal_share(signals),
            "subnormal share, weight gradients": subnormal_share(p.grad for p in model.parameters()),
            "ms per batch": 1000 * statistics.median(seconds[steps:])}


def training_images():
    """4,096 normalised MNIST training images and their labels, on the CPU."""
    return lk.load_data("mnist", train_images=4096, batch_size=128, device="cpu").sample("train", 4096)


def both_twins(args, flush: str, images, labels) -> list:
    return [{"flush denormals": flush, **measure(args.depth, args.width, residual, args.steps, args.timed,
                                                  images, labels)} for residual in (False, True)]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--depth", type=int, default=100)
    parser.add_argument("--width", type=int, default=128)
    parser.add_argument("--steps", type=int, default=30, help="training steps before measuring")
    parser.add_argument("--timed", type=int, default=20, help="steps timed (median)")
    parser.add_argument("--out", type=Path, help="folder for subnormal_mlp.csv (default: print only)")
    parser.add_argument("--flush-first", action="store_true", help=argparse.SUPPRESS)  # the child process
    args = parser.parse_args(argv)
    if args.flush_first:  # before torch starts its worker threads, which copy this thread's setting
        torch.set_flush_denormal(True)
        print(json.dumps(both_twins(args, "on, from the start (every thread)", *training_images())))
        return 0
    images, labels = training_images()
    rows = both_twins(args, "off (the default)", images, labels)
    torch.set_flush_denormal(True)  # now: only this thread; the worker threads already exist
    rows += both_twins(args, "on, after the threads started (this thread only)", images, labels)
    torch.set_flush_denormal(False)
    child = subprocess.run([sys.executable, __file__, "--flush-first", *(argv if argv is not None else sys.argv[1:])],
                           capture_output=True, text=True, check=True)
    rows += json.loads(child.stdout.strip().splitlines()[-1])
    table = pd.DataFrame(rows)
    table.insert(1, "depth", args.depth)
    table.insert(2, "width", args.width)
    table["threads"] = torch.get_num_threads()
    table["hardware"] = lk.describe_device(torch.device("cpu"))
    table["torch"] = torch.__version__
    print(table.drop(columns=["hardware"]).round(4).to_string(index=False))
    print("on", table.hardware.iloc[0])
    if args.out:
        lk.save_csv(table, args.out / "subnormal_mlp.csv")
    return 0


if __name__ == "__main__":
    sys.exit(main())
