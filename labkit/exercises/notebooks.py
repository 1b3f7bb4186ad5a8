"""The exercise cells of the notebooks, made from one source: the repository's ``solutions/`` folder.

``solutions/NN_name.py`` holds notebook NN's code exercises in Jupytext's "percent" format: a
Markdown cell stating each exercise, the answer cell with the solution between nbgrader's markers
``### BEGIN SOLUTION`` and ``### END SOLUTION``, and the check cell.  From it:

* the **student version** (what ``notebooks/`` holds): each marked region becomes
  ``# YOUR CODE HERE`` / ``raise NotImplementedError()``, exactly as nbgrader's ``generate_assignment``
  writes it, so the notebook runs top to bottom with the exercises unsolved;
* the **solution notebooks** (``python -m labkit.exercises solutions --out DIR``): the same notebooks
  with the solutions filled in and the markers kept, so they are also nbgrader source notebooks.

``python -m labkit.exercises sync`` rewrites the exercise cells of ``notebooks/`` from ``solutions/``
(a test checks that nobody edited one without the other).
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

from ..results import notebook_text

__all__ = ["read_solutions", "student_source", "with_exercises", "solution_notebook", "exercise_names", "sync",
           "write_solution_notebooks", "SOLUTIONS_DIR", "NOTEBOOKS_DIR"]

ROOT = Path(__file__).resolve().parents[2]
SOLUTIONS_DIR, NOTEBOOKS_DIR = ROOT / "solutions", ROOT / "notebooks"
HEADING = "## Code exercises, checked"
_CELL = re.compile(r"^# %%(?: \[(?P<markdown>markdown)\])?(?: (?P<part>exercise|check) (?P<name>\d\d\.\w+))?\s*$")
_REGION = re.compile(r"^(?P<indent>[ \t]*)### BEGIN SOLUTION\n.*?^[ \t]*### END SOLUTION\n", re.M | re.S)


def read_solutions(path) -> list[dict]:
    """The cells of one solutions file: ``{"type", "source", "part", "name"}`` (part: exercise/check/None)."""
    cells, current = [], None
    for line in Path(path).read_text(encoding="utf-8").splitlines(keepends=True):
        match = _CELL.match(line.rstrip("\n"))
        if match:
            current = {"type": "markdown" if match["markdown"] else "code", "source": "", "part": match["part"],
                       "name": match["name"]}
            cells.append(current)
        elif current is not None:
            current["source"] += line[2:] if current["type"] == "markdown" and line.startswith("# ") else (
                "\n" if current["type"] == "markdown" and line.strip() == "#" else line)
    for cell in cells:
        cell["source"] = cell["source"].strip("\n")
    return cells


def student_source(source: str) -> str:
    """nbgrader's clearing of a solution: the marked region becomes ``raise NotImplementedError()``."""
    return _REGION.sub(lambda m: f"{m['indent']}# YOUR CODE HERE\n{m['indent']}raise NotImplementedError()\n",
                       source + "\n").rstrip("\n")


def _cell_id(cell: dict, number: int) -> str:
    """A stable cell id (nbformat 4.5 wants one per cell): the number, the exercise's name and the part."""
    name = re.sub(r"[^A-Za-z0-9_-]", "-", cell["name"] or "about")
    return f"ex{number:02d}-{name}-{cell['part'] or 'text'}"[:64]


def _cell(cell: dict, solved: bool, number: int = 0) -> dict:
    source = cell["source"] if solved or cell["part"] != "exercise" else student_source(cell["source"])
    lines = source.splitlines(keepends=True)
    metadata = {"labkit": {"exercise": cell["name"], "part": cell["part"]}} if cell["name"] else {"labkit": {}}
    if cell["part"] == "exercise":  # nbgrader reads these: an answer cell the student edits
        metadata["nbgrader"] = {"grade": False, "grade_id": cell["name"].replace(".", "_"), "locked": False,
                                "schema_version": 3, "solution": True, "task": False}
    metadata["labkit"]["code exercises"] = True
    if cell["type"] == "markdown":
        return {"cell_type": "markdown", "id": _cell_id(cell, number), "metadata": metadata, "source": lines}
    return {"cell_type": "code", "execution_count": None, "id": _cell_id(cell, number), "metadata": metadata,
            "outputs": [], "source": lines}


def with_exercises(notebook: dict, cells: list[dict], solved: bool = False) -> dict:
    """``notebook`` with its code-exercise cells replaced by ``cells`` (appended at the end)."""
    notebook = copy.deepcopy(notebook)
    kept = [cell for cell in notebook["cells"] if not cell.get("metadata", {}).get("labkit", {}).get("code exercises")]
    notebook["cells"] = kept + [_cell(cell, solved, number) for number, cell in enumerate(cells)]
    return notebook


def _solutions_for(notebook_path: Path) -> Path:
    return SOLUTIONS_DIR / f"{notebook_path.stem}.py"


def solution_notebook(notebook_path) -> dict:
    """The notebook at ``notebook_path`` with its exercises solved (nbgrader's markers kept)."""
    notebook_path = Path(notebook_path)
    notebook = json.loads(notebook_path.read_text(encoding="utf-8"))
    return with_exercises(notebook, read_solutions(_solutions_for(notebook_path)), solved=True)


def exercise_names(path) -> list[str]:
    """The exercises a solutions file defines, in order."""
    return [cell["name"] for cell in read_solutions(path) if cell["part"] == "exercise"]


def _write(notebook: dict, path: Path) -> None:
    path.write_text(notebook_text(notebook), encoding="utf-8")


def sync(notebooks_dir=NOTEBOOKS_DIR) -> list[Path]:
    """Rewrite the code-exercise cells of every notebook that has a solutions file; the changed paths."""
    changed = []
    for solutions in sorted(SOLUTIONS_DIR.glob("[0-9][0-9]_*.py")):
        path = Path(notebooks_dir) / f"{solutions.stem}.ipynb"
        before = path.read_text(encoding="utf-8")
        notebook = with_exercises(json.loads(before), read_solutions(solutions))
        if notebook_text(notebook) != before:
            _write(notebook, path)
            changed.append(path)
    return changed


def write_solution_notebooks(out, notebooks_dir=NOTEBOOKS_DIR) -> list[Path]:
    """Write every notebook with its exercises solved into ``out``; the paths written."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for path in sorted(Path(notebooks_dir).glob("[0-9][0-9]_*.ipynb")):
        notebook = (solution_notebook(path) if _solutions_for(path).exists()
                    else json.loads(path.read_text(encoding="utf-8")))
        _write(notebook, out / path.name)
        written.append(out / path.name)
    return written
