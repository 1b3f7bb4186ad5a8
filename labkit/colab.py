"""Running the notebooks on Google Colab: each notebook's first code cell, and the README's links.

A notebook opened on Colab finds neither labkit nor the data.  Its first code cell, when it finds
itself on Colab (the runtime sets ``COLAB_RELEASE_TAG``) and only there:

1. clones the course repository into ``/content/labkit`` (once per runtime: the notebook run again,
   or after "Restart session", finds it there; each notebook opened from GitHub gets a runtime, and so
   a clone, of its own);
2. installs labkit from that clone with pip unless it can be imported already, which adds only what
   Colab lacks (torch and torchvision are there; JupyterLab is an extra that Colab does not need);
3. points ``LABKIT_ASSETS`` at the clone's reference results.

The datasets are then downloaded by torchvision on first use, as on any machine with a network.
Anywhere else the cell does nothing, so the same notebooks run unchanged on a laptop and in CI.

The repository is named once, here (``REPOSITORY`` and ``BRANCH``).  A course that publishes its
own copy changes these two lines and runs ``python -m labkit.colab sync``: it rewrites the cell in
every notebook and the README's table of Colab links (``python -m labkit.colab check`` and a test
say when either was edited by hand).
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

__all__ = ["REPOSITORY", "BRANCH", "COLAB_VARIABLE", "CLONE", "on_colab", "setup_source", "colab_url",
           "readme_section", "sync", "out_of_date"]

REPOSITORY = "https://github.com/labkit-course/labkit"  # where the course is published: change it here only
BRANCH = "main"
COLAB_VARIABLE = "COLAB_RELEASE_TAG"  # set by every Colab runtime, and by nothing else we know of
CLONE = "/content/labkit"  # Colab's working folder is /content

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
README = ROOT / "README.md"
CELL_ID = "colab-setup"
START, END = "<!-- colab:start (python -m labkit.colab sync writes this part) -->", "<!-- colab:end -->"


def on_colab(environ=None) -> bool:
    """True inside a Google Colab runtime (``environ`` defaults to ``os.environ``)."""
    return COLAB_VARIABLE in (os.environ if environ is None else environ)


def setup_source(repository: str = REPOSITORY, branch: str = BRANCH, clone: str = CLONE) -> str:
    """The first code cell of every notebook: on Colab, clone the course and install labkit from it.

    Safe to run again: a clone is renamed into place only when complete, and labkit is installed
    whenever it cannot be imported (a failed or interrupted install is simply retried).
    """
    return "\n".join([
        "# On Google Colab only: fetch the course and install labkit from it (once per runtime).",
        "# Anywhere else this cell does nothing.",
        "import importlib.util, os, shutil, subprocess, sys",
        f'if "{COLAB_VARIABLE}" in os.environ:',
        "    def colab_run(*command):  # on failure, git's or pip's own message rather than an exit status",
        '        no_prompt = {**os.environ, "GIT_TERMINAL_PROMPT": "0"}  # a missing repository fails, never asks',
        "        done = subprocess.run(command, capture_output=True, text=True, env=no_prompt)",
        "        if done.returncode:",
        '            raise SystemExit(f"{command[0]} failed:\\n{done.stderr[-3000:]}")',
        f'    if not os.path.isdir("{clone}"):',
        f'        shutil.rmtree("{clone}.partial", ignore_errors=True)',
        f'        colab_run("git", "clone", "--quiet", "--depth", "1", "--branch", "{branch}",',
        f'                  "{repository}", "{clone}.partial")',
        f'        os.rename("{clone}.partial", "{clone}")',
        '    if importlib.util.find_spec("labkit") is None:',
        f'        colab_run(sys.executable, "-m", "pip", "install", "--quiet", "{clone}")',
        "        importlib.invalidate_caches()",
        f'    os.environ.setdefault("LABKIT_ASSETS", "{clone}/assets")',
        f'    print("labkit from {repository}; the datasets download on first use")',
    ])


def _github(repository: str) -> str:
    """'owner/name' of a GitHub address, the part Colab's links need."""
    match = re.fullmatch(r"https://github\.com/([\w.-]+/[\w.-]+?)(?:\.git)?/?", repository)
    if not match:
        raise ValueError(f"REPOSITORY={repository!r} is not a GitHub address (https://github.com/owner/name): "
                         "Colab opens notebooks from GitHub")
    return match[1]


def colab_url(notebook: str, repository: str = REPOSITORY, branch: str = BRANCH) -> str:
    """The address that opens ``notebooks/<notebook>`` of the repository in Colab."""
    return f"https://colab.research.google.com/github/{_github(repository)}/blob/{branch}/notebooks/{notebook}"


def _notebooks() -> list[Path]:
    return sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))


def _title(path: Path) -> str:
    first = json.loads(path.read_text(encoding="utf-8"))["cells"][0]
    heading = "".join(first["source"]).splitlines()[0]
    return heading.lstrip("# ").strip()


def readme_section(repository: str = REPOSITORY, branch: str = BRANCH) -> str:
    """The README's table: one row per notebook with its 'Open in Colab' badge."""
    badge = "https://colab.research.google.com/assets/colab-badge.svg"
    rows = [f"| {_title(p)} | [![Open in Colab]({badge})]({colab_url(p.name, repository, branch)}) |"
            for p in _notebooks()]
    return "\n".join([START, "", "| notebook | on Colab |", "| --- | --- |", *rows, "", END])


def _cell(source: str) -> dict:
    lines = source.splitlines(keepends=True)
    return {"cell_type": "code", "execution_count": None, "id": CELL_ID, "metadata": {}, "outputs": [],
            "source": lines}


def _with_setup(notebook: dict, source: str) -> dict:
    """``notebook`` with the setup cell first among its code cells (replacing an older one)."""
    cells = [c for c in notebook["cells"] if c.get("id") != CELL_ID]
    first_code = next(i for i, c in enumerate(cells) if c["cell_type"] == "code")
    return {**notebook, "cells": [*cells[:first_code], _cell(source), *cells[first_code:]]}


def _readme_text(text: str, section: str) -> str:
    if START not in text or END not in text:
        raise ValueError(f"README.md has no {START} ... {END} markers")
    before, rest = text.split(START, 1)
    return before + section + rest.split(END, 1)[1]


def _planned(repository: str, branch: str) -> dict:
    """Every file this module writes, with the text it should hold."""
    from .results import notebook_text  # here, not at the top: labkit.device imports this module, without pandas

    source = setup_source(repository, branch)
    planned = {p: notebook_text(_with_setup(json.loads(p.read_text(encoding="utf-8")), source)) for p in _notebooks()}
    planned[README] = _readme_text(README.read_text(encoding="utf-8"), readme_section(repository, branch))
    return planned


def out_of_date(repository: str = REPOSITORY, branch: str = BRANCH) -> list[Path]:
    """The notebooks and README whose Colab parts differ from what ``sync`` would write."""
    return [p for p, text in _planned(repository, branch).items() if p.read_text(encoding="utf-8") != text]


def sync(repository: str = REPOSITORY, branch: str = BRANCH) -> list[Path]:
    """Write the setup cell into every notebook and the links into the README; the files changed."""
    changed = []
    for path, text in _planned(repository, branch).items():
        if path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            changed.append(path)
    return changed


def main(argv=None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args not in (["sync"], ["check"]):
        print("usage: python -m labkit.colab sync | check", file=sys.stderr)
        return 2
    if args == ["sync"]:
        changed = sync()
        print("\n".join(f"wrote {p.relative_to(ROOT)}" for p in changed) or "up to date")
        return 0
    stale = out_of_date()
    print("\n".join(f"out of date: {p.relative_to(ROOT)} (python -m labkit.colab sync)" for p in stale) or "up to date")
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
