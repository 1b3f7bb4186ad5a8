"""The package's shape: imports run one way, figures never load training, assets are found after any install."""

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import labkit as lk

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "labkit"

# A module imports only from its own layer or the layers above it (../shared/DESIGN.md).
LAYERS = {
    "errors": 1, "device": 1, "sizes": 1, "results": 1, "catalog": 1, "runs": 1, "stats": 1, "tables": 1, "colab": 1,
    "validation": 2, "options": 2, "config": 2,
    "data": 3, "machine": 3,
    "models": 4, "summary": 4,
    "optim": 5, "checkpoints": 5, "train": 5, "gradients": 5, "predictions": 5, "tracking": 5,
    "experiments": 6, "studies": 6, "compare": 6, "references": 6, "speed": 6, "exercises": 6, "cam": 6,
    "plots": 7,
    "cli": 8, "cli_compare": 8, "testing": 8, "__main__": 8, "__init__": 8,
}


def _layer(module: Path) -> tuple:
    top = module.relative_to(PACKAGE).parts[0].removesuffix(".py")
    return top, LAYERS[top]


def _imports(module: Path):
    """The labkit modules that ``module`` imports, at any place in the file (inside functions too)."""
    tree = ast.parse(module.read_text())
    package = module.relative_to(PACKAGE).parts[:-1]
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level > 0:
            base = list(package[:len(package) - node.level + 1])
            target = [*base, *(node.module.split(".") if node.module else [])]
            yield target[0] if target else node.names[0].name
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("labkit."):
            yield node.module.split(".")[1]


@pytest.mark.parametrize("module", sorted(PACKAGE.rglob("*.py")), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_run_one_way(module):
    name, layer = _layer(module)
    if name in ("__init__", "__main__", "cli", "testing"):
        return  # the front of the package may import anything
    higher = {target for target in _imports(module) if target != name and LAYERS[target] > layer}
    assert not higher, f"{module.relative_to(ROOT)} (layer {layer}) imports {higher} from a later layer"


def test_every_module_is_given_a_layer():
    tops = {p.relative_to(PACKAGE).parts[0].removesuffix(".py") for p in PACKAGE.rglob("*.py")}
    assert tops <= set(LAYERS), tops - set(LAYERS)


def _modules_after(code: str) -> set:
    done = subprocess.run([sys.executable, "-c", f"{code}\nimport sys\nprint(' '.join(sorted(sys.modules)))"],
                          capture_output=True, text=True, check=True, cwd=ROOT)
    return set(done.stdout.split())


def test_figures_do_not_import_the_training_stack():
    loaded = _modules_after("import labkit.plots")
    assert "labkit.plots" in loaded
    assert not loaded & {"labkit.train", "labkit.studies", "labkit.experiments"}, loaded & {"labkit.train"}


def test_the_command_line_does_not_load_matplotlib_to_train():
    loaded = _modules_after("import labkit.cli\nlabkit.cli.build_parser()")
    assert "matplotlib" not in loaded and "seaborn" not in loaded
    assert "torchinfo" not in loaded


def test_import_labkit_is_cheap_and_names_load_on_first_use():
    assert not _modules_after("import labkit") & {"torch", "pandas", "matplotlib"}
    assert lk.fit is lk.train.fit and lk.load_study is lk.runs.load_study
    assert set(lk.__all__) <= set(dir(lk))
    with pytest.raises(AttributeError, match="no attribute 'fitt'"):
        lk.fitt  # noqa: B018


def test_no_module_is_much_over_300_lines():
    long = {str(p.relative_to(ROOT)): n for p in PACKAGE.rglob("*.py") if (n := len(p.read_text().splitlines())) > 320}
    assert not long, long


def test_assets_are_found_after_a_non_editable_install(tmp_path):
    """``pip install .`` copies the package elsewhere: a notebook in the checkout still finds assets/."""
    pytest.importorskip("setuptools")
    target = tmp_path / "site"
    built = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                            "--target", str(target), str(ROOT)], capture_output=True, text=True)
    if built.returncode != 0:
        pytest.skip(f"pip could not build labkit here: {built.stderr.strip().splitlines()[-1:]}")
    shutil.rmtree(ROOT / "build", ignore_errors=True)  # what setuptools leaves behind
    assert (target / "labkit" / "runs.py").is_file() and not (target / "assets").exists()
    environment = {**os.environ, "PYTHONPATH": str(target)}
    environment.pop("LABKIT_ASSETS", None)
    code = "import labkit as lk; print(lk.__file__); print(lk.assets_dir())"
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT / "notebooks",
                           env=environment, check=True)
    where, assets = found.stdout.split()
    assert where.startswith(str(target)) and Path(assets) == ROOT / "assets"
    elsewhere = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path,
                               env=environment)
    assert "LABKIT_ASSETS" in elsewhere.stderr and "LabkitError" in elsewhere.stderr
    environment["LABKIT_ASSETS"] = str(ROOT / "assets")
    pointed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path,
                             env=environment, check=True)
    assert Path(pointed.stdout.split()[1]) == ROOT / "assets"
