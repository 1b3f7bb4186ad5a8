"""The Colab setup cell of every notebook and the README's Colab links, with Colab faked: nothing is downloaded."""

import importlib.metadata
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import labkit as lk
from labkit import colab
from labkit.device import device_hint

ROOT = Path(__file__).resolve().parents[1]


def _unset(monkeypatch, name):
    """Remove ``name`` from the environment for this test and put back what it was afterwards, even when the
    code under test sets it (``delenv`` of an absent variable alone would not undo that)."""
    monkeypatch.setenv(name, "")
    monkeypatch.delenv(name)


@pytest.fixture
def commands(monkeypatch):
    """Run the setup cell with subprocess.run recorded instead of run: returns (run_cell, calls, renames)."""
    import importlib.util
    import types

    calls, renames, failing = [], [], {}

    def fake_run(command, **kwargs):
        calls.append((list(command), kwargs))
        return types.SimpleNamespace(returncode=failing.get(command[0], 0), stderr="fatal: repository not found")

    monkeypatch.setattr(subprocess, "run", fake_run)
    monkeypatch.setattr(os, "rename", lambda a, b: renames.append((a, b)))
    monkeypatch.setattr(shutil, "rmtree", lambda *a, **k: None)
    _unset(monkeypatch, "LABKIT_ASSETS")

    def run_cell(source=None, *, clone_exists=False, installed=False, fail=None):
        real_isdir, real_find = os.path.isdir, importlib.util.find_spec
        failing.clear()
        failing.update({fail: 128} if fail else {})
        monkeypatch.setattr(os.path, "isdir", lambda p: clone_exists if p == colab.CLONE else real_isdir(p))
        monkeypatch.setattr(importlib.util, "find_spec",
                            lambda name, *a: (real_find(name, *a) if installed else None) if name == "labkit"
                            else real_find(name, *a))
        try:
            exec(compile(source or colab.setup_source(), "<colab cell>", "exec"), {})
        finally:
            monkeypatch.setattr(os.path, "isdir", real_isdir)
            monkeypatch.setattr(importlib.util, "find_spec", real_find)
    return run_cell, calls, renames


def test_off_colab_the_cell_does_nothing(commands, monkeypatch):
    _unset(monkeypatch, colab.COLAB_VARIABLE)
    run_cell, calls, renames = commands
    run_cell()
    assert calls == [] and renames == [] and "LABKIT_ASSETS" not in os.environ


def test_on_colab_the_cell_clones_the_course_and_installs_labkit_from_it(commands, monkeypatch, capsys):
    monkeypatch.setenv(colab.COLAB_VARIABLE, "release-colab_20261201-060000_RC00")
    run_cell, calls, renames = commands
    run_cell()
    assert [command for command, _ in calls] == [
        ["git", "clone", "--quiet", "--depth", "1", "--branch", colab.BRANCH, colab.REPOSITORY,
         f"{colab.CLONE}.partial"],
        [sys.executable, "-m", "pip", "install", "--quiet", colab.CLONE],
    ]
    assert renames == [(f"{colab.CLONE}.partial", colab.CLONE)]  # a clone is in place only when complete
    assert all(kwargs["env"]["GIT_TERMINAL_PROMPT"] == "0" and kwargs["capture_output"] for _, kwargs in calls)
    assert os.environ["LABKIT_ASSETS"] == f"{colab.CLONE}/assets"
    assert lk.references.ASSETS_VARIABLE == "LABKIT_ASSETS"
    assert colab.REPOSITORY in capsys.readouterr().out


def test_on_colab_the_cell_run_again_reuses_the_clone_and_retries_a_failed_install(commands, monkeypatch):
    monkeypatch.setenv(colab.COLAB_VARIABLE, "1")
    run_cell, calls, renames = commands
    run_cell(clone_exists=True, installed=True)
    assert calls == [] and os.environ["LABKIT_ASSETS"] == f"{colab.CLONE}/assets"
    run_cell(clone_exists=True, installed=False)  # the clone is there, the last install did not finish
    assert [command[3] for command, _ in calls] == ["install"]


def test_a_failed_clone_stops_the_cell_with_gits_own_message(commands, monkeypatch):
    monkeypatch.setenv(colab.COLAB_VARIABLE, "1")
    run_cell, calls, renames = commands
    with pytest.raises(SystemExit, match="git failed:\nfatal: repository not found"):
        run_cell(fail="git")
    assert renames == [] and "LABKIT_ASSETS" not in os.environ


def _branch():
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        return None
    done = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--abbrev-ref", "HEAD"], capture_output=True, text=True)
    return done.stdout.strip() if done.returncode == 0 and done.stdout.strip() != "HEAD" else None


def test_the_clone_the_cell_makes_holds_the_package_and_the_reference_results(tmp_path, monkeypatch):
    """The cell's real git clone, of this checkout's committed branch; only pip is faked."""
    branch = _branch()
    if branch is None:
        pytest.skip("not a git checkout on a branch")
    monkeypatch.setenv(colab.COLAB_VARIABLE, "1")
    _unset(monkeypatch, "LABKIT_ASSETS")
    clone = tmp_path / "labkit"
    source = colab.setup_source(repository=ROOT.as_uri(), branch=branch, clone=str(clone))
    exec(compile(source, "<colab cell>", "exec"), {})  # labkit is importable here: only the clone runs
    assert (clone / "pyproject.toml").is_file() and (clone / "labkit" / "__init__.py").is_file()
    assert not (tmp_path / "labkit.partial").exists()
    assert lk.assets_dir() == (clone / "assets").resolve()
    assert (lk.assets_dir() / "runs").is_dir()


def test_what_colab_installs_brings_no_jupyter_of_its_own():
    """Colab runs its own Jupyter server; installing JupyterLab there would replace parts of it."""
    requirements = importlib.metadata.requires("labkit")
    always = [r for r in requirements if "extra ==" not in r]
    assert always and not [r for r in always if r.lower().startswith(("jupyter", "notebook"))], always
    assert any(r.startswith("jupyterlab") and "extra == \"lab\"" in r for r in requirements), requirements
    assert any(r.startswith("labkit[lab]") and "extra == \"dev\"" in r for r in requirements), requirements


def test_every_notebook_starts_with_the_setup_cell_and_the_readme_links_to_each():
    notebooks = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    for path in notebooks:
        code = [c for c in json.loads(path.read_text(encoding="utf-8"))["cells"] if c["cell_type"] == "code"]
        assert "".join(code[0]["source"]) == colab.setup_source(), path.name
        assert "".join(code[1]["source"]) == "import labkit as lk", path.name
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for path in notebooks:
        assert f"({colab.colab_url(path.name)})" in readme, path.name
    assert colab.out_of_date() == [], "python -m labkit.colab sync"


def test_colab_links_name_the_github_repository():
    assert colab.colab_url("01_mlp.ipynb", "https://github.com/someone/course.git", "spring") == (
        "https://colab.research.google.com/github/someone/course/blob/spring/notebooks/01_mlp.ipynb")
    with pytest.raises(ValueError, match="not a GitHub address"):
        colab.colab_url("01_mlp.ipynb", "https://gitlab.com/someone/course")


def test_a_course_that_moves_gets_every_cell_rewritten(tmp_path, monkeypatch):
    """sync with another repository rewrites the cells and the links; check then says so no more."""
    for folder in ("notebooks",):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    shutil.copy(ROOT / "README.md", tmp_path / "README.md")
    monkeypatch.setattr(colab, "NOTEBOOKS", tmp_path / "notebooks")
    monkeypatch.setattr(colab, "README", tmp_path / "README.md")
    moved = "https://github.com/another-school/deep-lab"
    assert len(colab.out_of_date(moved)) == 10
    assert len(colab.sync(moved)) == 10 and colab.out_of_date(moved) == []
    cell = json.loads((tmp_path / "notebooks" / "03_resnet.ipynb").read_text(encoding="utf-8"))["cells"]
    assert sum(moved in "".join(c["source"]) for c in cell) == 1
    assert "another-school/deep-lab/blob/main/notebooks/08_" in (tmp_path / "README.md").read_text()


def test_the_command_line_checks_and_refuses_anything_else():
    run = [sys.executable, "-m", "labkit.colab"]
    assert subprocess.run([*run, "check"], capture_output=True, text=True, cwd=ROOT).stdout.strip() == "up to date"
    done = subprocess.run([*run, "push"], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 2 and "sync | check" in done.stderr


def test_on_colab_without_a_gpu_the_hint_says_how_to_get_one(monkeypatch):
    import torch

    monkeypatch.setattr("labkit.device.has_cuda", lambda: False)
    monkeypatch.setattr("labkit.device.has_mps", lambda: False)
    _unset(monkeypatch, colab.COLAB_VARIABLE)
    assert device_hint(torch.device("cpu")) is None
    monkeypatch.setenv(colab.COLAB_VARIABLE, "1")
    assert "Change runtime type" in device_hint(torch.device("cpu"))
    assert colab.on_colab() and not colab.on_colab({})
