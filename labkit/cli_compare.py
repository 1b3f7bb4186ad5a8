"""``labkit study compare``: its flags and what it runs, and the load-or-train step it shares with ``study depth``.

Like ``study depth``: every option's flag is made from :class:`labkit.compare.CompareStudy`, all input
is checked before anything is trained, and a finished run is never trained twice.
"""

from __future__ import annotations

__all__ = ["add_compare_parser", "load_or_train", "run_compare"]


def add_compare_parser(kinds, add_options, run_flags) -> None:
    """``labkit study compare``: plain vs residual twins of several (model, dataset) pairs over many seeds."""
    from .compare import CompareStudy

    compare = kinds.add_parser("compare", help="plain vs residual twins of several models, over many seeds")
    add_options(compare, "study", CompareStudy)
    run_flags(compare)
    compare.add_argument("--load", action="store_true", help="only re-plot the saved results; train nothing")
    compare.add_argument("--shard", default="0/1", metavar="I/N", help="train only every N-th run, from the I-th")
    compare.add_argument("--retrain", action="store_true", help="at full size, train the runs saved in "
                         "assets/compare/ again instead of copying them")
    compare.add_argument("--weights", metavar="DIR", help="save the weights of seed 0 of each run there "
                         "(compare_<model>_<dataset>.pt, the plain twin ..._plain.pt), if under 5 MB")
    compare.set_defaults(out_pattern="runs/compare-{size}")


def load_or_train(args, load, train, interrupted):
    """The saved study with ``--load``; otherwise ``train`` the runs not saved yet.

    Shared by ``study depth`` and ``study compare``: the shard and the device are checked before
    anything trains, and Ctrl-C then says (through ``interrupted``) that every finished run is kept.
    """
    if args.load:
        return load(args.out)
    from .device import default_device
    from .studies import parse_shard

    shard = parse_shard(args.shard)
    default_device(args.device)
    interrupted["hint"] = f"every finished run is saved in {args.out}/runs; run the same command again to train " \
                          "the rest"
    return train(args.out, device=args.device, progress=not args.quiet, shard=shard, reuse_assets=not args.retrain)


def run_compare(args, sections, spelling, interrupted) -> None:
    from .compare import CompareStudy, compare_table, load_compare_study, run_compare_study
    from .plots import save_compare_figures
    from .sizes import run_size

    study = CompareStudy.checked(sections(args).get("study", {}), spelling=spelling({}))
    size = run_size(args.size)
    args.out = args.out if args.out is not None else args.out_pattern.format(size=size.name)
    saved = load_or_train(args, load_compare_study,
                          lambda out, **how: run_compare_study(study, out, size=size.name, weights=args.weights, **how),
                          interrupted)
    figures = save_compare_figures(saved, args.out)
    table = compare_table(saved)
    table.to_csv(f"{args.out}/compare_table.csv", index=False)
    print(table.round(4).to_string(index=False))
    print(f"{len(saved.table)} runs in {args.out}/runs, compare_table.csv, {len(figures)} figures in "
          f"{args.out}/figures")
