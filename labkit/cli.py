"""The command line: ``labkit train``, ``study depth``, ``summary``, ``data`` (or ``python -m labkit``).

Flags override the ``--config`` YAML file, which overrides the defaults.  Any
bad input ends with exit code 2 and one line on stderr naming the bad value
and the allowed ones.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .config import load_config
from .errors import LabkitError

__all__ = ["main", "build_parser"]


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line, like every other labkit error."""

    def error(self, message):
        raise LabkitError(message)


# flag -> (section, key) in the configuration
_FLAG_KEYS = {
    "model": ("model", "name"), "residual": ("model", "residual"), "depth": ("model", "depth"),
    "width": ("model", "width"), "widths": ("model", "widths"), "norm": ("model", "norm"),
    "dataset": ("dataset", "name"), "data": ("dataset", "root"), "batch_size": ("dataset", "batch_size"),
    "train_images": ("dataset", "train_images"), "loader": ("dataset", "loader"),
    "num_workers": ("dataset", "num_workers"), "download": ("dataset", "download"),
    "epochs": ("training", "epochs"), "optimizer": ("training", "optimizer"), "lr": ("training", "lr"),
    "weight_decay": ("training", "weight_decay"), "schedule": ("training", "schedule"),
    "label_smoothing": ("training", "label_smoothing"), "early_stopping": ("training", "early_stopping"),
    "checkpoint_every": ("training", "checkpoint_every"), "seed": ("training", "seed"),
    "precision": ("training", "precision"), "compile": ("training", "compile"),
}


def _model_flags(parser):
    parser.add_argument("--model", help="mlp, cnn, resnet, resnet20 ... resnet110, resnet18")
    parser.add_argument("--dataset", help="mnist or cifar10")
    twin = parser.add_mutually_exclusive_group()
    twin.add_argument("--residual", dest="residual", action="store_const", const=True, help="with skips")
    twin.add_argument("--plain", dest="residual", action="store_const", const=False, help="no skips")
    parser.add_argument("--depth", type=int, help="MLP: Linear layers; CNN: blocks per stage; resnet: 6n+2")
    parser.add_argument("--width", type=int, help="MLP hidden width; ResNet-18 first-stage channels")
    parser.add_argument("--widths", type=int, nargs="+", help="CNN channels per stage")
    parser.add_argument("--norm", help="MLP normalisation: batch or layer")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="labkit", description="Deep networks for image classification: the lab's tools.")
    commands = parser.add_subparsers(dest="command", parser_class=_Parser, required=True)

    train = commands.add_parser("train", help="train and test one model; results to --out")
    train.add_argument("--config", help="YAML file with sections model, dataset, training")
    _model_flags(train)
    train.add_argument("--epochs", type=int)
    train.add_argument("--batch-size", type=int)
    train.add_argument("--lr", type=float, help="learning rate (peak rate with onecycle)")
    train.add_argument("--optimizer", help="sgd, adam or adamw")
    train.add_argument("--schedule", help="onecycle, cosine, step, plateau or none")
    train.add_argument("--weight-decay", type=float)
    train.add_argument("--label-smoothing", type=float)
    train.add_argument("--early-stopping", type=int, metavar="EPOCHS", help="patience")
    train.add_argument("--checkpoint-every", type=int, metavar="EPOCHS")
    train.add_argument("--resume", action="store_true", help="continue from OUT/checkpoint.pt")
    train.add_argument("--seed", type=int)
    train.add_argument("--train-images", type=int, help="use only this many training images")
    train.add_argument("--loader", help="device (default) or classic (torch DataLoader)")
    train.add_argument("--num-workers", type=int, help="classic loader workers (implies --loader classic)")
    train.add_argument("--precision", help="auto, bf16 or fp32")
    train.add_argument("--compile", action="store_const", const=True, help="torch.compile the model")
    train.add_argument("--data", metavar="DIR", help="dataset folder (default: $LABKIT_DATA)")
    train.add_argument("--download", action="store_const", const=True, help="download missing datasets")
    train.add_argument("--size", help="run size: smoke, cpu or full (default: $LABKIT_SIZE)")
    train.add_argument("--device", help="cpu, cuda, cuda:1 ... (default: the GPU if there is one)")
    train.add_argument("--out", metavar="DIR", default="runs/latest", help="where results go")
    train.add_argument("--log", nargs="?", const="tensorboard", metavar="tensorboard|wandb",
                       help="log curves and gradient norms (TensorBoard by default)")
    train.add_argument("--quiet", action="store_true", help="no progress bar")

    study = commands.add_parser("study", help="run (or re-plot) a study; results and figures to --out")
    kinds = study.add_subparsers(dest="study", parser_class=_Parser, required=True)
    depth = kinds.add_parser("depth", help="plain vs residual networks as depth grows")
    depth.add_argument("--family", default="mlp", help="mlp (on MNIST) or resnet (CIFAR ResNet, on CIFAR-10)")
    depth.add_argument("--dataset", help="mnist or cifar10 (default: the family's own)")
    depth.add_argument("--depths", type=int, nargs="+", help="default: the run size's")
    depth.add_argument("--epochs", type=int)
    depth.add_argument("--seeds", type=int, help="number of seeds (0, 1, ...)")
    depth.add_argument("--width", type=int, help="MLP width")
    depth.add_argument("--train-images", type=int)
    depth.add_argument("--batch-size", type=int)
    depth.add_argument("--optimizer", default="sgd")
    depth.add_argument("--lr", type=float)
    depth.add_argument("--size", help="run size: smoke, cpu or full (default: $LABKIT_SIZE)")
    depth.add_argument("--device")
    depth.add_argument("--out", metavar="DIR", required=True)
    depth.add_argument("--load", action="store_true", help="only re-plot the saved results; train nothing")
    depth.add_argument("--shard", default="0/1", metavar="I/N", help="train only every N-th run, from the I-th")
    depth.add_argument("--quiet", action="store_true")

    summary = commands.add_parser("summary", help="print a model's layers and parameters (torchinfo)")
    _model_flags(summary)
    summary.add_argument("--batch-size", type=int, default=1)
    _data_parser(commands)
    return parser


def _data_parser(commands) -> None:
    """``labkit data`` (where each dataset is, whether complete) and ``labkit data download [NAME]``."""
    data = commands.add_parser("data", help="where each dataset is and whether it is complete; download it")
    data.add_argument("--data", metavar="DIR", help="dataset folder (default: $LABKIT_DATA)")
    actions = data.add_subparsers(dest="action", parser_class=_Parser)
    download = actions.add_parser("download", help="download what is missing (verified, at most once)")
    download.add_argument("dataset", nargs="?", default="all", help="mnist, cifar10 or all (default)")
    download.add_argument("--data", metavar="DIR", default=argparse.SUPPRESS, help="dataset folder")


def _flags_config(args) -> dict:
    config = {"model": {}, "dataset": {}, "training": {}}
    for flag, (section, key) in _FLAG_KEYS.items():
        value = getattr(args, flag, None)
        if value is not None:
            config[section][key] = value
    if getattr(args, "num_workers", None) is not None and args.loader is None:
        config["dataset"]["loader"] = "classic"
    return config


def _train(args) -> None:
    from .experiments import train_run

    base = load_config(args.config) if args.config else {}
    flags = _flags_config(args)
    config = {section: {**base.get(section, {}), **flags[section]} for section in ("model", "dataset", "training")}
    run = train_run(config, args.out, size=args.size, log=args.log, progress=not args.quiet,
                    device=args.device, resume=args.resume)
    result = run.result
    print(f"{result['config']['model']['name']} on {result['config']['dataset']['name']}: "
          f"best validation accuracy {result['val_acc']:.4f}, test accuracy {result['test_acc']:.4f} "
          f"on {result['test_images']} test images, {result['seconds']:.1f} s on {result['hardware']}; "
          f"results in {args.out}")


def _shard(text: str) -> tuple:
    index, _, count = text.partition("/")
    if not (index.isdigit() and count.isdigit()):
        raise LabkitError(f"shard {text!r} is not allowed; use I/N with 0 <= I < N, e.g. 0/4")
    return int(index), int(count)


def _study(args) -> None:
    from .plots import save_study_figures
    from .results import save_csv
    from .studies import DepthStudy, load_study, run_depth_study, summarise

    if args.load:
        table = load_study(args.out)
        save_csv(table, Path(args.out) / "summary.csv")  # run_depth_study writes it when it trains
    else:
        options = {key: getattr(args, key) for key in ("dataset", "depths", "epochs", "seeds", "width", "lr")}
        if args.train_images is not None:
            options["train_images"] = args.train_images
        study = DepthStudy(family=args.family, optimizer=args.optimizer, batch_size=args.batch_size, **options)
        table = run_depth_study(study, args.out, size=args.size, device=args.device, progress=not args.quiet,
                                shard=_shard(args.shard))
    figures = save_study_figures(table, args.out)
    print(summarise(table).round(4).to_string(index=False))
    print(f"{len(table)} runs in {args.out}/runs, summary.csv, {len(figures)} figures in {args.out}/figures")


def _summary(args) -> None:
    from .models import build_model
    from .summary import model_summary

    name, dataset = args.model or "mlp", args.dataset or "cifar10"
    flags = _flags_config(args)["model"]
    flags.pop("name", None)
    model = build_model(name, dataset, **flags)
    print(model_summary(model, dataset, batch_size=args.batch_size))


def _data(args) -> None:
    from .data import data_root, data_status, download_data

    root = data_root(args.data)
    table = download_data(args.dataset, root) if args.action == "download" else data_status(root)
    print(f"data root: {root}")
    print(table.drop(columns="details").astype(object).fillna("-").to_string(index=False))
    for details in table["details"]:
        if details:
            print(details)


def main(argv=None) -> int:
    """Run the command line; return the exit code (0, or 2 for bad input)."""
    try:
        args = build_parser().parse_args(argv)
        {"train": _train, "study": _study, "summary": _summary, "data": _data}[args.command](args)
    except LabkitError as error:
        print(f"labkit: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("labkit: interrupted; finished work is saved (use --resume with --checkpoint-every)",
              file=sys.stderr)
        return 130
    return 0
