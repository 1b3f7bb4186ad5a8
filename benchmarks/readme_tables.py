"""Write the README's results section from the saved results, so no number in it is typed by hand.

    python benchmarks/readme_tables.py          # rewrite README.md between the markers
    python benchmarks/readme_tables.py --check  # exit 1 if README.md is out of date (a test runs this)
"""

from __future__ import annotations

import argparse
import json
import numbers
import sys
from pathlib import Path

import pandas as pd

import labkit as lk

ROOT = Path(__file__).resolve().parents[1]
START, END = "<!-- results:start (benchmarks/readme_tables.py writes this part) -->", "<!-- results:end -->"


def markdown(table: pd.DataFrame) -> str:
    """A pandas table as a Markdown table (without needing the tabulate package)."""
    def cell(value):
        if pd.isna(value):
            return "–"
        if isinstance(value, float):
            return f"{value:.4f}".rstrip("0").rstrip(".")
        if isinstance(value, numbers.Integral) and not isinstance(value, bool):
            return f"{value:,}"  # counts with thousands separators: 45,000 images
        return str(value)

    lines = ["| " + " | ".join(map(str, table.columns)) + " |", "|" + " --- |" * len(table.columns)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in table.itertuples(index=False)]
    return "\n".join(lines)


SCHEDULES = {"onecycle": "one-cycle to lr", "plateau": "reduce-on-plateau from lr", "cosine": "cosine from lr",
             "warmup_cosine": "warm-up and cosine to lr", "constant": "constant lr", "step": "step decay from lr"}
REFERENCE_COMMAND = "benchmarks/reference_gpu.sh OUT 540 8"


def depth_section(family: str, title: str, command: str | None = None,
                  shared: str = "8 processes shared the GPU") -> str:
    folder = ROOT / "assets" / "depth" / family
    study = lk.load_study(folder)
    table, summary = study.table, lk.summarise(study)
    runs = list(study.runs.values())
    first = runs[0]
    training, batch_size = first["settings"]["training"], first["settings"]["dataset"]["batch_size"]
    # a study cut off by a deadline may lack a twin at some depth: those cells read "–"
    twins = [False, True]
    wide = summary.pivot(index="depth", columns="residual", values="test_acc_mean").reindex(columns=twins)
    low = table.pivot_table(index="depth", columns="residual", values="test_acc", aggfunc="min").reindex(
        index=wide.index, columns=twins)
    high = table.pivot_table(index="depth", columns="residual", values="test_acc", aggfunc="max").reindex(
        index=wide.index, columns=twins)
    seeds = summary.pivot(index="depth", columns="residual", values="seeds").reindex(columns=twins).fillna(0)

    def accuracy(residual):
        return ["–" if pd.isna(m) else f"{m:.4f} ({lo:.4f}–{hi:.4f})" if lo != hi else f"{m:.4f}"
                for m, lo, hi in zip(wide[residual], low[residual], high[residual])]

    rows = pd.DataFrame({
        "depth": wide.index,
        "weight layers (both)": summary.groupby("depth").weight_layers.first().values,
        "parameters (both)": summary.groupby("depth").parameters.first().values,
        "plain test acc": accuracy(False),
        "residual test acc": accuracy(True),
        "seeds": [int(min(a, b)) if a == b else f"{int(a)}/{int(b)}" for a, b in zip(seeds[False], seeds[True])],
    })
    hours = sum(r["seconds"] for r in runs) / 3600
    diverged = sorted(r["key"] for r in runs if r["test_loss"] is None)
    note = (f"Diverged (loss NaN, accuracy at chance): {', '.join(diverged)}. " if diverged else "")
    return (f"### {title}\n\n{markdown(rows)}\n\n"
            "Mean over seeds (lowest–highest seed in brackets); "
            f"test accuracy on {first['test_images']:,} test images; "
            f"{training['epochs']} epochs, batch {batch_size}, {training['optimizer'].upper()} "
            f"{SCHEDULES.get(training.get('schedule', 'onecycle'), str(training.get('schedule')) + ', lr')} "
            f"{training['lr']}, {first['images']['train']:,} training images; "
            f"{', '.join(sorted({r['hardware'] for r in runs}))}, "
            f"{hours:.2f} {'GPU-' if 'CPU' not in first['hardware'] else ''}process hours in all ({shared}). {note}"
            f"Command: `{command or f'benchmarks/depth_studies_gpu.sh OUT 8 {family}'}`. "
            f"Files: `assets/depth/{family}/`.\n\n"
            f"![accuracy against depth](assets/depth/{family}/figures/accuracy_vs_depth.png)\n")


def has_runs(folder: Path) -> bool:
    """A study folder with at least one finished run (study.json is written before the first run ends)."""
    return any((folder / "runs").glob("*.json"))


def compare_section() -> str:
    """The comparison study (plain vs residual twins over seeds) beside the published course table."""
    folder = ROOT / "assets" / "compare"
    if not has_runs(folder):
        return ""
    saved = lk.load_compare_study(folder)
    table = lk.beside_course(lk.compare_table(saved))

    def spread(metric):  # one seed has no spread: its accuracy alone
        return [f"{m:.4f}" if pd.isna(s) else f"{m:.4f} ± {s:.4f} ({lo:.4f}–{hi:.4f})" for m, s, lo, hi in
                zip(table[f"{metric}_mean"], table[f"{metric}_std"], table[f"{metric}_95_low"],
                    table[f"{metric}_95_high"])]

    shown = pd.DataFrame({"network": table.run, "twin": table.variant, "seeds": table.seeds,
                          "weight layers": table.weight_layers, "parameters": table.parameters,
                          "val acc, mean ± std (95 % interval)": spread("val_acc"),
                          "course val acc": table.course_val_acc, "minus course": table.val_acc_minus_course,
                          "test acc, mean ± std (95 % interval)": spread("test_acc"),
                          "seconds per run": table.seconds_per_run.round(1)})
    recipe = saved.settings

    def counts(column):  # per dataset: MNIST has 10,000 test images, the offline CIFAR-10 copy 1,000
        per = table.assign(dataset=table.run.str.split("_").str[-1]).groupby("dataset", sort=False)[column].first()
        return " and ".join(f"{int(n):,} ({name})" for name, n in per.items()) + " images"

    hardware = ", ".join(sorted(saved.table.hardware.dropna().unique()))
    return (f"### Comparison study: plain vs residual twins over seeds, beside the published course table\n\n"
            f"{markdown(shown)}\n\n"
            f"{saved.size} size; validation on {counts('val_images')}, test on {counts('test_images')}; "
            f"recipe {recipe.get('optimizer', '?')} lr {recipe.get('lr')}, "
            f"weight decay {recipe.get('weight_decay')}, {recipe.get('schedule')}, early stopping "
            f"{recipe.get('early_stopping')}, at most {recipe.get('epochs')} epochs, MLPs of {recipe.get('mlp_depth')} "
            f"Linear layers (width {recipe.get('width')}, norm {recipe.get('norm')}), CNNs of "
            f"{recipe.get('cnn_depth')} blocks per stage; each run measured with its best validation epoch's "
            f"weights. The course's residual MLPs have about twice the Linear layers of its plain ones; labkit's "
            f"twins have the same layers and parameters. {hardware}. Command: `{REFERENCE_COMMAND}` (step 2). "
            "Files: `assets/compare/`.\n\n"
            "![every seed and the mean of each twin](assets/compare/figures/compare_test_acc.png)\n")


def speed_section() -> str:
    table = pd.read_csv(ROOT / "benchmarks" / "results" / "h100" / "resnet18.csv")
    shown = table[["loader", "precision", "batch_size", "epochs", "seconds_per_epoch", "val_acc", "test_acc",
                   "test_images"]]
    return (f"### ResNet-18 on CIFAR-10, seconds per epoch ({table.hardware.iloc[0]})\n\n{markdown(shown)}\n\n"
            f"{int(table.train_images.iloc[0]):,} training images; `classic` = torchvision transforms in a "
            "`DataLoader` with 2 workers, fp32; `device` = labkit's default loader (data on the GPU) with bf16 "
            "autocast and channels_last. Command: `LABKIT_SIZE=full python benchmarks/foundation.py resnet18`.\n")


def ladder_section() -> str:
    """The training-fast ladder (benchmarks/speed.py), one table per saved run of it."""
    parts = []
    for path in sorted((ROOT / "benchmarks" / "results").glob("*/speed.json")):
        result = lk.load_json(path)
        ladder = pd.DataFrame(result["ladder"])[["step", "batch size", "epochs", "training images",
                                                 "seconds per epoch", "images per second", "val acc",
                                                 "share of limit"]]
        ladder = ladder.assign(**{"images per second": ladder["images per second"].round().astype(int)})
        loop = (result.get("fit against a hand-written loop") or [{}])[0]  # absent if the run was cut off there
        parts.append(
            f"### Training fast, step by step ({result['hardware']}, torch {result['torch']})\n\n"
            f"{markdown(ladder)}\n\n"
            f"ResNet-18 ({loop.get('model', 'resnet18 (the run size width)').split(' ', 1)[1].strip('()')}) on "
            f"CIFAR-10, {result['size']} size; "
            "seconds per "
            "epoch after a first, untimed epoch, validation included; `val acc` on 1,000 validation images "
            "(after so few epochs it says only whether a lever hurt learning); `share of limit` = images/s x "
            "training FLOPs per image / the FLOP/s of a large matrix product measured in the same run (the "
            "fastest of 5; on a shared 2-core CPU that figure varied by up to 1.7x between runs, so a share "
            "near 1 there means the convolutions ran about as efficiently as the matrix product). "
            + (f"labkit's `fit` against a hand-written loop of the same training: "
               f"{loop['labkit fit, s per epoch']:.2f} s against {loop['hand-written loop, s per epoch']:.2f} s per "
               f"epoch ({loop['fit / hand-written']:.2f}x). " if "fit / hand-written" in loop else "") +
            f"Command: `{result['command']}` (`LABKIT_SIZE={result['size']}`); "
            f"files: `{path.parent.relative_to(ROOT)}/`.\n" + time_to_94(result))
    return "\n".join(parts)


def time_to_94(result: dict) -> str:
    """airbench94 beside labkit's fastest recipe in the same run of speed.py, when the run timed them (a GPU)."""
    rows = [pd.DataFrame(result[part]) for part in ("airbench94", "labkit recipe") if part in result]
    rows = [table for table in rows if "seconds" in table]
    if not rows:
        return ""
    table = pd.concat(rows, ignore_index=True)
    shown = table.groupby("trainer", sort=False).agg(
        runs=("seconds", "size"), **{"mean seconds": ("seconds", "mean"), "std seconds": ("seconds", "std"),
                                     "mean test acc": ("test acc", "mean"), "lowest test acc": ("test acc", "min")})
    shown = shown.reset_index()
    counted = table["test images"].dropna() if "test images" in table else pd.Series(dtype=float)
    images = int(counted.iloc[0]) if len(counted) else 1_000  # airbench94 is run on the offline 1,000 too
    return (f"\nairbench94 and labkit's fastest recipe in the same run on the same GPU: seconds per run and test "
            f"accuracy ({images:,} test images, the offline copy's, for both; airbench94's target is 0.94):"
            f"\n\n{markdown(shown)}\n")



def mnist_section() -> str:
    sizes = {"cpu": "cpu", "h100": "full"}
    tables = []
    for folder, size in sizes.items():
        table = pd.read_csv(ROOT / "benchmarks" / "results" / folder / "mnist.csv")
        table.insert(1, "run size", size)
        tables.append(table)
    table = pd.concat(tables)[["hardware", "run size", "model", "parameters", "epochs", "train_images", "val_acc",
                               "test_acc", "test_images", "seconds"]]
    return ("### MNIST: MLP (784-256-256-10) and CNN\n\n" + markdown(table) + "\n\n"
            "Command: `LABKIT_SIZE=<run size> python benchmarks/foundation.py mnist`.\n")


def reference_runs_section() -> str:
    names = ("mlp_mnist", "cnn_mnist", "mlp_cifar10", "cnn_cifar10", "resnet18_cifar10")
    table = lk.reference_runs(*names, assets=ROOT / "assets").reset_index()
    return ("### Single runs at `full` size (the notebooks show them beside the student's run)\n\n"
            + markdown(table) + "\n\n"
            "Made by `labkit train --model M --dataset D --size full --out assets/runs/M_D` on the hardware named "
            "(mlp_cifar10 with `--no-augment`: the next table); "
            "a CIFAR-10 test accuracy is measured on the test images counted beside it; `seconds` is training and "
            "validation over all epochs as measured (each epoch's in `history.csv`). The runs marked "
            "*not produced yet* need a GPU (on a 2-core CPU: over an hour for the CNN, about ten minutes "
            "per epoch for the full-width ResNet-18).\n")


def mlp_recipe_section() -> str:
    """Why the CIFAR-10 MLP trailed the published 55.8 %: benchmarks/mlp_cifar10_recipe.py, one change per row."""
    table = pd.read_csv(ROOT / "benchmarks" / "results" / "cpu" / "mlp_cifar10_recipe.csv")
    old = table.iloc[0]  # the first row is the recipe before the change
    return ("### The CIFAR-10 MLP: one change at a time\n\n" + markdown(table) + "\n\n"
            "The default MLP (3072-256-256-10), seed 0, at `full` size. Random crops and flips, the CNNs' "
            "augmentation, cost the MLP most: it cannot use the shift invariance they teach, and it underfits "
            f"(training accuracy {old['final train acc (augmented if so)']:.0%} on augmented batches after "
            f"{old['epochs']} epochs). Without them its best validation accuracy "
            "matches the published course table's 55.8 %, so the reference run `mlp_cifar10` is trained with "
            "`--no-augment`. Command: `python benchmarks/mlp_cifar10_recipe.py --out benchmarks/results/cpu`.\n")


def _notebook_times(size: str) -> pd.DataFrame | None:
    path = ROOT / "benchmarks" / "results" / f"notebook_times_{size}.json"
    return pd.DataFrame(json.loads(path.read_text())["notebooks"]) if path.exists() else None


def _machines(rows: pd.DataFrame) -> str:
    return ", ".join(f"{hardware}, torch {torch}" for hardware, torch in
                     rows[["hardware", "torch"]].drop_duplicates().itertuples(index=False))


def notebook_times_section() -> str:
    """The wall seconds of each notebook at cpu size, and at gpu size once a GPU run saved them
    (``benchmarks/notebook_times.py``, ``benchmarks/notebooks_gpu.sh``); no file: no section."""
    cpu, gpu = _notebook_times("cpu"), _notebook_times("gpu")
    if cpu is None:
        return ""
    cpu["result"] = cpu.error.fillna("ran without an error")
    shown = cpu[["notebook", "seconds", "result", "date"]].rename(columns={"seconds": "cpu seconds"})
    text = (f"{cpu.seconds.sum() / 60:.1f} minutes for these {len(cpu)} notebooks at `cpu` size on {_machines(cpu)}. "
            "Command: `python benchmarks/notebook_times.py --size cpu` (`--only 02 03` for some; the executed "
            "copies go to `/tmp/labkit_executed_cpu`). The same machine type varies by about 1.5x from day to day.")
    title = "### Notebooks at `cpu` size, wall seconds each (one at a time, nothing else running)"
    if gpu is not None:
        gpu["gpu result"] = gpu.error.fillna("ran without an error")
        gpu = gpu.rename(columns={"seconds": "gpu seconds", "at_once": "at once"})
        if "at once" not in gpu:
            gpu["at once"] = 1
        shown = shown.drop(columns="date").rename(columns={"result": "cpu result"}).merge(
            gpu[["notebook", "gpu seconds", "at once", "gpu result"]], on="notebook", how="outer")
        shared = int(gpu["at once"].fillna(1).max())
        title = "### Notebooks at `cpu` size (one at a time, nothing else running) and at `gpu` size, wall seconds"
        text += (f" At `gpu` size: {gpu['gpu seconds'].sum() / 60:.1f} notebook-minutes on {_machines(gpu)}, up to "
                 f"{shared} notebooks sharing the GPU at once (each time is then an upper bound of the notebook "
                 "alone); command: `benchmarks/notebooks_gpu.sh OUT SECONDS AT_ONCE`; what each printed: "
                 "`benchmarks/results/notebooks_gpu/`.")
    return f"{title}\n\n{markdown(shown)}\n\n{text}\n"


def section() -> str:
    times = notebook_times_section()
    return "\n".join([
        START, "",
        "## Reference results (generated from `assets/` and `benchmarks/results/`)", "",
        depth_section("mlp", "Depth study: MLP on MNIST, plain vs residual"), "",
        depth_section("resnet", "Depth study: plain-n vs ResNet-n on CIFAR-10 (He et al. 2016, Fig. 6)"), "",
        *([depth_section("mlp_batchnorm", "Depth study: MLP with batch norm on MNIST, plain vs residual",
                         REFERENCE_COMMAND, "its step 3; processes shared the GPU with the script's other runs"),
           ""] if has_runs(ROOT / "assets" / "depth" / "mlp_batchnorm") else []),
        *([compare_section(), ""] if has_runs(ROOT / "assets" / "compare") else []),
        reference_runs_section(), "", mlp_recipe_section(), "", mnist_section(), "", speed_section(), "",
        ladder_section(),
        *(["", times] if times else []), END,
    ])


def updated_readme() -> str:
    text = (ROOT / "README.md").read_text()
    if START in text:
        before, rest = text.split(START, 1)
        after = rest.split(END, 1)[1]
    else:
        before, after = text.rstrip("\n") + "\n\n", "\n"
    return before + section() + after


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    text = updated_readme()
    if args.check:
        return 0 if text == (ROOT / "README.md").read_text() else 1
    (ROOT / "README.md").write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
