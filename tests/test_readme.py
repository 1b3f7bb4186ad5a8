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


def test_airbench_and_labkit_recipe_rows_are_shown_beside_each_other(monkeypatch):
    """Once a GPU run of speed.py saved them: per trainer, runs, seconds (mean, std) and test accuracy."""
    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))
    import readme_tables

    result = {
        "airbench94": [{"trainer": "airbench94", "seed": s, "seconds": 3.0 + s, "test acc": 0.94 + s / 100}
                       for s in range(2)],
        "labkit recipe": [{"trainer": "labkit ResNet-18, torch.compile", "seed": s, "epochs": 15, "seconds": 20.0,
                           "test acc": 0.93, "test images": 1000} for s in range(2)],
    }
    text = readme_tables.time_to_94(result)
    assert "| trainer | runs | mean seconds | std seconds | mean test acc | lowest test acc |" in text
    assert "| airbench94 | 2 | 3.5 | 0.7071 | 0.945 | 0.94 |" in text
    assert "| labkit ResNet-18, torch.compile | 2 | 20 | 0 | 0.93 | 0.93 |" in text
    assert "1,000 test images" in text
    assert readme_tables.time_to_94({"airbench94": [{"trainer": "airbench94", "note": "needs a CUDA GPU"}]}) == ""
    sys.modules.pop("readme_tables", None)
