"""Execute every notebook at one run size, one at a time, and write its wall seconds: the README's times are measured.

    flock /work/cpu.lock python benchmarks/notebook_times.py --size cpu              # all notebooks
    flock /work/cpu.lock python benchmarks/notebook_times.py --size cpu --only 02 03 # some of them

Each notebook runs in a fresh kernel with ``LABKIT_SIZE`` set (nbclient, the engine of nbmake and of
``jupyter nbconvert --execute``); its executed copy, outputs included, and a text transcript of what it
printed go to ``--executed`` (default ``/tmp/labkit_executed_<size>``) so a reviewer can read what a
student sees.  The times go to
``benchmarks/results/notebook_times_<size>.json`` (merged with earlier runs of other notebooks), and
``python benchmarks/readme_tables.py`` turns that file into the README's table.  Time nothing else on the
machine while it runs: on a 2-core machine a second PyTorch process doubles every time.
"""

from __future__ import annotations

import argparse
import datetime
import html as html_lib
import json
import os
import platform
import re
import shlex
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"


def results_file(size: str) -> Path:
    return ROOT / "benchmarks" / "results" / f"notebook_times_{size}.json"


def chosen(only: list | None) -> list:
    """The notebooks to run: all, or those whose names start with one of ``only`` ("02", "03_resnet")."""
    found = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    if not only:
        return found
    picked = [path for prefix in only for path in found if path.name.startswith(prefix)]  # in the order asked
    picked = list(dict.fromkeys(picked))
    missing = [prefix for prefix in only if not any(path.name.startswith(prefix) for path in found)]
    if missing:
        names = ", ".join(path.name for path in found)
        raise SystemExit(f"no notebook starts with {', '.join(map(repr, missing))}; the notebooks: {names}")
    return picked


def hardware() -> str:
    """The machine in words, as labkit's results files say it (CUDA GPU name, else CPU cores and threads)."""
    import labkit as lk
    return lk.describe_device(lk.default_device())


def execute(path: Path, size: str, executed: Path, timeout: int, deadline: float | None = None) -> dict:
    """Run one notebook in a fresh kernel; its seconds, and the executed copy written into ``executed``.

    ``deadline`` (a Unix time): no cell may run past it; a notebook stopped there gets ``stopped: True``.
    """
    import nbformat
    from nbclient import NotebookClient

    def seconds_for_a_cell(cell) -> float:
        return timeout if deadline is None else max(1.0, min(timeout, deadline - time.time()))

    notebook = nbformat.read(path, as_version=4)
    os.environ["LABKIT_SIZE"] = size  # the kernel inherits the environment
    engine = NotebookClient(notebook, timeout=timeout, timeout_func=seconds_for_a_cell, kernel_name="python3",
                            resources={"metadata": {"path": str(NOTEBOOKS)}})
    start, error = time.perf_counter(), None
    try:
        engine.execute()
    except Exception as failure:  # a failed cell: the time so far and the error, then the next notebook
        error = f"{type(failure).__name__}: {str(failure).strip().splitlines()[-1] if str(failure).strip() else ''}"
    seconds = time.perf_counter() - start
    stopped = error is not None and deadline is not None and time.time() >= deadline - 1
    executed.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, executed / path.name)
    (executed / path.with_suffix(".txt").name).write_text(transcript(notebook), encoding="utf-8")
    return {"notebook": path.name, "seconds": round(seconds, 1), "error": error, "stopped": stopped}


def _table_text(html: str) -> str:
    """An HTML table (as pandas' Styler writes it) as rows of cells joined by ' | '."""
    rows = []
    for row in re.findall(r"<tr.*?</tr>", html, re.S):
        cells = [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
        rows.append(" | ".join(html_lib.unescape(cell) for cell in cells))
    return "\n".join(rows)


def transcript(notebook) -> str:
    """What an executed notebook printed, as plain text: each code cell's first line, then its text outputs
    (figures as a placeholder), so every number it showed can be read, and compared, without Jupyter."""
    parts = []
    for number, cell in enumerate(notebook.cells):
        if cell.cell_type != "code":
            continue
        lines = [f"[{number}] {cell.source.splitlines()[0] if cell.source else ''}"]
        for output in cell.get("outputs", []):
            if output.output_type == "stream":
                lines.append(output.text.rstrip("\n"))
            elif output.output_type == "error":
                lines.append(f"{output.ename}: {output.evalue}")
            elif "text/plain" in output.get("data", {}):
                data = output.data
                if "image/png" in data:
                    lines.append("<figure>")
                elif "<table" in data.get("text/html", "") and data["text/plain"].startswith("<pandas"):
                    lines.append(_table_text(data["text/html"]))  # a Styler's text is only its name
                else:
                    lines.append(data["text/plain"].rstrip("\n"))
        parts.append("\n".join(lines))
    return "\n\n".join(parts) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="cpu", help="run size: smoke, cpu, gpu or full (default cpu)")
    parser.add_argument("--only", nargs="+", metavar="NN", help="notebooks whose names start with these")
    parser.add_argument("--executed", type=Path, help="folder for the executed copies "
                        "(default /tmp/labkit_executed_<size>)")
    parser.add_argument("--timeout", type=int, default=1800, help="seconds one cell may take (default 1800)")
    parser.add_argument("--out", type=Path, help="results file (default benchmarks/results/notebook_times_<size>.json)")
    parser.add_argument("--at-once", type=int, default=1, metavar="N",
                        help="how many notebooks ran at the same time on this machine (recorded with the times: "
                        "with N > 1 each time is an upper bound of the notebook alone; default 1)")
    parser.add_argument("--deadline", type=float, metavar="UNIX_TIME",
                        help="stop there: the notebook in flight is abandoned (not recorded), no other one starts")
    args = parser.parse_args(argv)

    import labkit as lk
    lk.run_size(args.size)  # refuses an unknown size before anything runs
    executed = args.executed or Path(f"/tmp/labkit_executed_{args.size}")
    out = args.out or results_file(args.size)
    previous = json.loads(out.read_text())["notebooks"] if out.exists() else []
    rows = {row["notebook"]: row for row in previous}
    command = "python benchmarks/notebook_times.py " + " ".join(map(shlex.quote, argv if argv is not None
                                                                          else sys.argv[1:]))
    import torch
    common = {"hardware": hardware(), "torch": torch.__version__, "python": platform.python_version(),
              "command": command.strip(), "at_once": args.at_once}
    failed = stopped = 0
    for path in chosen(args.only):
        if args.deadline is not None and time.time() >= args.deadline - 5:
            stopped = print(f"{path.name}: not started, the deadline is reached") or 1
            break
        print(f"{path.name} at {args.size} size ...", flush=True)
        row = execute(path, args.size, executed, args.timeout, args.deadline)
        if row.pop("stopped"):  # cut off by the deadline: abandoned, not recorded as a failure
            stopped = print(f"  stopped at the deadline after {row['seconds']:.1f} s: not recorded", flush=True) or 1
            break
        row.update(common, date=datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"))
        rows[path.name] = row
        failed += row["error"] is not None
        print(f"  {row['seconds']:.1f} s" + (f"  FAILED: {row['error']}" if row["error"] else ""), flush=True)
        # written after each notebook, whole or not at all: an interrupted run keeps its times
        lk.save_json({"size": args.size, "notebooks": sorted(rows.values(), key=lambda r: r["notebook"])}, out)
    print(f"times in {out}; executed notebooks in {executed}")
    return 1 if failed else 3 if stopped else 0


if __name__ == "__main__":
    sys.exit(main())
