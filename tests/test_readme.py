import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_readme_results_are_generated_from_the_saved_results():
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "readme_tables.py"), "--check"])
    assert done.returncode == 0, "README.md is out of date: run python benchmarks/readme_tables.py"


def test_readme_install_command_is_the_one_ci_runs():
    readme, ci = (ROOT / "README.md").read_text(), (ROOT / ".ci" / "run").read_text()
    install = 'python3 -m venv .venv && . .venv/bin/activate && pip install -e ".[dev]"'
    assert install in readme and install in ci
    assert "\npytest " in readme and "\npytest " in ci


def test_the_mlp_recipe_benchmark_runs_and_changes_one_thing_per_row(cifar_dir, tmp_path, monkeypatch):
    import pandas as pd

    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))
    import mlp_cifar10_recipe as recipe

    assert recipe.main(["--size", "smoke", "--epochs", "1", "--out", str(tmp_path)]) == 0
    table = pd.read_csv(tmp_path / "mlp_cifar10_recipe.csv")
    assert list(table.recipe) == list(recipe.VARIANTS) and (table["test images"] == 1_000).all()
    assert table["test acc"].between(0, 1).all()
    sys.modules.pop("mlp_cifar10_recipe", None)
