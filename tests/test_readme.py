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
