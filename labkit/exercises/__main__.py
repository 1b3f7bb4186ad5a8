"""``python -m labkit.exercises``: the instructor's command for solution and student notebooks.

    python -m labkit.exercises solutions --out solved/   # every notebook with its exercises solved
    python -m labkit.exercises sync                      # notebooks/ exercise cells from solutions/
    python -m labkit.exercises list                      # every exercise and its title
"""

from __future__ import annotations

import argparse
import sys

from ..errors import LabkitError
from . import EXERCISES
from .notebooks import NOTEBOOKS_DIR, SOLUTIONS_DIR, sync, write_solution_notebooks


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m labkit.exercises", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    solutions = commands.add_parser("solutions", help="write the notebooks with their exercises solved")
    solutions.add_argument("--out", required=True, help="folder for the solution notebooks")
    commands.add_parser("sync", help="rewrite the exercise cells of notebooks/ from solutions/")
    commands.add_parser("list", help="every exercise and its title")
    args = parser.parse_args(argv)
    try:
        if args.command != "list" and not SOLUTIONS_DIR.is_dir():
            raise LabkitError(f"no solutions folder at {SOLUTIONS_DIR}: run this from a checkout of the labkit "
                              "repository (pip install -e .)")
        if args.command == "solutions":
            for path in write_solution_notebooks(args.out):
                print(path)
        elif args.command == "sync":
            changed = sync()
            print("\n".join(map(str, changed)) if changed else f"the exercise cells of {NOTEBOOKS_DIR} are up to date")
        else:
            for name, exercise in EXERCISES.items():
                print(f"{name:24} {exercise.title}")
    except LabkitError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
