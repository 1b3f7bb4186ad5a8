"""The command line: ``labkit train``, ``study depth``, ``study compare``, ``summary``, ``data`` (``python -m labkit``).

Every flag that sets an option of a run is made from that option's one
definition in :mod:`labkit.options` (its type, help text and allowed values),
so ``--lr`` and ``lr:`` in a YAML file are checked the same way.  Flags
override the ``--config`` file, which overrides the defaults.  All input is
checked before any data is loaded or any file written; bad input ends with
exit code 2 and one line on stderr naming the bad value and the allowed ones.

This module imports only the standard library at the top, so that Ctrl-C
while PyTorch is still loading ends as quietly as Ctrl-C during training.
"""

from __future__ import annotations

import argparse
import sys
import typing

__all__ = ["main", "build_parser"]

# flags whose name is not the option's: the section's own name is the flag (--model, --dataset)
_FLAG_NAMES = {("model", "name"): "--model", ("dataset", "name"): "--dataset", ("dataset", "root"): "--data"}
_interrupted = {"hint": "finished work is saved"}  # what Ctrl-C says, set by the command that runs


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line, like every other labkit error, and a flag is spelt in full."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, allow_abbrev=False, **kwargs)

    def error(self, message):
        from .errors import LabkitError

        raise LabkitError(message)


def _kind(annotation) -> str:
    """How a flag reads its text: 'bool', 'int', 'float', 'ints' (several) or 'str'."""
    found = set()

    def walk(t):
        origin = typing.get_origin(t)
        if origin is tuple or origin is list:
            found.add("strs" if str in typing.get_args(t) else "ints")
        elif origin is typing.Literal:
            found.add("str")
        elif origin is not None:
            for arg in typing.get_args(t):
                walk(arg)
        elif t in (bool, int, float, str):
            found.add(t.__name__)

    walk(annotation)
    for kind in ("strs", "ints", "bool", "float", "int", "str"):
        if kind in found:
            return kind
    return "str"


def _add_options(parser, section: str, cls, only=None) -> None:
    """One flag per option of ``cls`` (or of those in ``only``), stored as ``section.key``."""
    from .options import FROM_RUN_SIZE, choices

    for key, field in cls.model_fields.items():
        if only is not None and key not in only:
            continue
        flag = _FLAG_NAMES.get((section, key), "--" + key.replace("_", "-"))
        dest, kind = f"{section}.{key}", _kind(field.annotation)
        default = field.default
        words = [field.description or ""]
        allowed = choices(field.annotation)
        if allowed and "choose" not in words[0]:
            words.append("one of " + ", ".join(str(a) for a in allowed))
        if default is FROM_RUN_SIZE:
            words.append("default: the run size's")
        elif default not in (None, (), False) and kind != "bool":
            words.append(f"default: {default}")
        text = "; ".join(w for w in words if w).replace("%", "%%")
        if key == "residual":  # the twins, by name
            twin = parser.add_mutually_exclusive_group()
            twin.add_argument("--residual", dest=dest, action="store_const", const=True, default=argparse.SUPPRESS,
                              help="with skip connections, y = F(x) + x")
            twin.add_argument("--plain", dest=dest, action="store_const", const=False, default=argparse.SUPPRESS,
                              help="the plain twin: the same layers, no skips")
        elif kind == "bool":
            parser.add_argument(flag, dest=dest, action=argparse.BooleanOptionalAction, default=argparse.SUPPRESS,
                                help=text)
        elif kind in ("ints", "strs"):
            parser.add_argument(flag, dest=dest, type=int if kind == "ints" else str, nargs="+",
                                default=argparse.SUPPRESS, help=text)
        else:
            parser.add_argument(flag, dest=dest, type={"int": int, "float": float}.get(kind, str),
                                default=argparse.SUPPRESS, help=text)


def _run_flags(parser, out_default=None, out_required=False) -> None:
    """How to run, not what: run size, device, output folder, progress."""
    from .options import RunSizeName

    parser.add_argument("--size", help=RunSizeName.__metadata__[0].description)
    parser.add_argument("--device", help="cpu, cuda, cuda:1 ... (default: the GPU if there is one)")
    parser.add_argument("--out", metavar="DIR", default=out_default, required=out_required,
                        help="where the results go" + (f" (default: {out_default})" if out_default else ""))
    parser.add_argument("--quiet", action="store_true", help="no progress bars or lines")


def build_parser() -> argparse.ArgumentParser:
    from .options import Data, Model, Training
    from .studies import DepthStudy

    parser = _Parser(prog="labkit", description="Deep networks for image classification: the lab's tools.")
    commands = parser.add_subparsers(dest="command", parser_class=_Parser, required=True)

    train = commands.add_parser("train", help="train and test one model; results to --out")
    train.add_argument("--config", help="YAML file with sections model, dataset, training")
    _add_options(train, "model", Model)
    _add_options(train, "dataset", Data)
    _add_options(train, "training", Training)
    _run_flags(train, out_default="runs/latest")
    train.add_argument("--resume", action="store_true", help="continue from OUT/checkpoint.pt")
    train.add_argument("--log", nargs="?", const="tensorboard", metavar="tensorboard|wandb",
                       help="log curves and gradient norms (TensorBoard by default)")

    study = commands.add_parser("study", help="run (or re-plot) a study; results and figures to --out")
    kinds = study.add_subparsers(dest="study", parser_class=_Parser, required=True)
    depth = kinds.add_parser("depth", help="plain vs residual networks as depth grows")
    _add_options(depth, "study", DepthStudy)
    depth.add_argument("--preset", choices=("course",), help="course: the published course recipe (Adam, lr "
                       "0.001, weight decay 0.0001, reduce-on-plateau, early stopping 5, batch norm, width 128); "
                       "flags given override it")
    _run_flags(depth)
    depth.add_argument("--load", action="store_true", help="only re-plot the saved results; train nothing")
    depth.add_argument("--shard", default="0/1", metavar="I/N", help="train only every N-th run, from the I-th")
    depth.add_argument("--retrain", action="store_true", help="at full size, train the runs saved in "
                       "assets/depth/ again instead of copying them")
    depth.set_defaults(out_pattern="runs/depth-{name}-{size}")
    from .cli_compare import add_compare_parser

    add_compare_parser(kinds, _add_options, _run_flags)

    summary = commands.add_parser("summary", help="print a model's layers and parameters (torchinfo)")
    _add_options(summary, "model", Model)
    _add_options(summary, "dataset", Data, only=("name",))
    summary.add_argument("--batch-size", type=int, default=1, help="images in the example batch (default: 1)")
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


def _sections(args) -> dict:
    """The options given as flags, by section: {'model': {...}, 'dataset': {...}, 'training': {...}}."""
    sections = {}
    for dest, value in vars(args).items():
        if "." in dest:
            section, key = dest.split(".", 1)
            sections.setdefault(section, {})[key] = value
    return sections


def _spelling(flags: dict, config_file=None):
    """How the user wrote an option, for a message: the flag, or the key in the YAML file."""
    def spelled(keys):
        if config_file is None or (len(keys) == 2 and keys[1] in flags.get(keys[0], {})):
            return _FLAG_NAMES.get(tuple(keys[:2]), "--" + keys[-1].replace("_", "-")) if keys else "flags"
        return f"{'.'.join(keys)} in {config_file}"
    return spelled


def _train(args) -> None:
    from .config import load_config, merge
    from .device import default_device
    from .experiments import train_run
    from .options import RunConfig
    from .results import check_out_dir
    from .sizes import run_size
    from .tracking import check_logger

    flags = _sections(args)
    if "num_workers" in flags.get("dataset", {}):
        flags["dataset"].setdefault("loader", "classic")
    base = load_config(args.config) if args.config else {}
    config = RunConfig.checked(merge(base, flags), spelling=_spelling(flags, args.config))
    size, out = run_size(args.size), check_out_dir(args.out)
    default_device(args.device)
    if args.log is not None:
        check_logger(args.log)
    if config.training.checkpoint_every:
        _interrupted["hint"] = f"saved every {config.training.checkpoint_every} epochs in {out}: " \
                               "run the same command with --resume to continue"
    else:
        _interrupted["hint"] = "nothing saved (add --checkpoint-every 1 to be able to --resume)"
    run = train_run(config, out, size=size.name, log=args.log, progress=not args.quiet, device=args.device,
                    resume=args.resume)
    result = run.result
    print(f"{config.model.name} on {config.dataset.name}: best validation accuracy {result['val_acc']:.4f}, "
          f"test accuracy {result['test_acc']:.4f} on {result['test_images']:,} test images, "
          f"{result['seconds']:.1f} s on {result['hardware']}; results in {out}")


def _study(args) -> None:
    from .cli_compare import load_or_train, run_compare

    if args.study == "compare":
        return run_compare(args, _sections, _spelling, _interrupted)
    from .plots import save_study_figures
    from .results import check_out_dir, save_csv
    from .runs import load_study, summarise, variant
    from .sizes import run_size
    from .studies import COURSE_RECIPE, DepthStudy, run_depth_study

    given = _sections(args).get("study", {})
    study = DepthStudy.checked({**(COURSE_RECIPE if args.preset == "course" else {}), **given},
                               spelling=_spelling({}))
    size = run_size(args.size)
    args.out = args.out if args.out is not None else args.out_pattern.format(name=study.name, size=size.name)

    def load(out):
        saved = load_study(out)
        save_csv(saved.table, check_out_dir(out) / "summary.csv")  # run_depth_study writes it when it trains
        return saved

    saved = load_or_train(args, load, lambda out, **how: run_depth_study(study, out, size=size.name, **how),
                          _interrupted)
    figures = save_study_figures(saved, args.out)
    summary = summarise(saved)  # the accuracies and the training loss, narrow enough for a terminal
    summary.insert(1, "variant", summary.pop("residual").map(variant))
    columns = ["depth", "variant", "train_acc_mean", "test_acc_mean", "train_acc_std", "test_acc_std",
               "train_loss_mean", "seeds"]
    print(summary[[c for c in columns if c in summary]].round(4).to_string(index=False))
    print(f"{len(saved)} runs in {args.out}/runs, summary.csv, {len(figures)} figures in {args.out}/figures")


def _summary(args) -> None:
    from .models import build_model
    from .summary import model_summary

    sections = _sections(args)
    model = sections.get("model", {})
    name, dataset = model.pop("name", "mlp"), sections.get("dataset", {}).get("name", "cifar10")
    if args.batch_size < 1:
        from .errors import LabkitError

        raise LabkitError(f"batch size (--batch-size) must be a whole number greater than 0, got {args.batch_size}")
    print(model_summary(build_model(name, dataset, **model), dataset, batch_size=args.batch_size))


def _data(args) -> None:
    from .data import data_root, data_status, download_data

    root = data_root(args.data)
    table = download_data(args.dataset, root) if args.action == "download" else data_status(root)
    print(f"data root: {root}")
    print(table.drop(columns="details").astype(object).fillna("-").to_string(index=False))
    for details in table["details"]:
        if details:
            print(details)


def _negative_numbers_as_values(argv: list) -> list:
    """``--lr -1e-4`` -> ``--lr=-1e-4``: argparse takes "-1e-4" and "-inf" for flags, not for values."""
    joined, index = [], 0
    while index < len(argv):
        word, following = argv[index], argv[index + 1] if index + 1 < len(argv) else ""
        if word.startswith("--") and "=" not in word and following.startswith("-") and _is_number(following):
            joined.append(f"{word}={following}")
            index += 2
        else:
            joined.append(word)
            index += 1
    return joined


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _main(argv) -> int:
    from .errors import LabkitError

    try:
        argv = _negative_numbers_as_values(list(sys.argv[1:] if argv is None else argv))
        args = build_parser().parse_args(argv)
        {"train": _train, "study": _study, "summary": _summary, "data": _data}[args.command](args)
    except LabkitError as error:
        print(f"labkit: error: {error}", file=sys.stderr)
        return 2
    return 0


def main(argv=None) -> int:
    """Run the command line; return the exit code (0, 2 for bad input, 130 when interrupted)."""
    try:
        return _main(argv)
    except KeyboardInterrupt:
        print(f"labkit: interrupted; {_interrupted['hint']}", file=sys.stderr)
        return 130
