"""benchmarks/notebook_times.py and the README's notebook-times table: order, deadline, transcripts."""

import json
import sys
import time
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def times(monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))
    import notebook_times

    yield notebook_times
    sys.modules.pop("notebook_times", None)


def test_the_notebooks_run_in_the_order_asked(times):
    names = [path.name[:2] for path in times.chosen(["05", "02", "05"])]
    assert names == ["05", "02"]
    with pytest.raises(SystemExit, match="no notebook starts with '42'"):
        times.chosen(["42"])


def test_a_transcript_keeps_every_printed_line_and_marks_figures(times):
    notebook = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# not code"),
        nbformat.v4.new_code_cell("print(1)\nprint(2)", outputs=[nbformat.v4.new_output("stream", text="1\n2\n")]),
        nbformat.v4.new_code_cell("plot()", outputs=[nbformat.v4.new_output(
            "display_data", data={"image/png": "iVBOR", "text/plain": "<Figure size 640x480>"})]),
        nbformat.v4.new_code_cell("table", outputs=[nbformat.v4.new_output(
            "execute_result", data={"text/plain": "   a\n0  1"}, execution_count=3)]),
        nbformat.v4.new_code_cell("lk.readable(t)", outputs=[nbformat.v4.new_output("execute_result", data={
            "text/plain": "<pandas.io.formats.style.Styler at 0x7f>",
            "text/html": "<table><thead><tr><th></th><th>acc</th></tr></thead><tbody><tr><th>plain &amp; BN</th>"
                         "<td class='x'>0.9500</td></tr></tbody></table>"}, execution_count=4)]),
        nbformat.v4.new_code_cell("1/0", outputs=[nbformat.v4.new_output(
            "error", ename="ZeroDivisionError", evalue="division by zero", traceback=[])]),
    ])
    assert times.transcript(notebook) == ("[1] print(1)\n1\n2\n\n[2] plot()\n<figure>\n\n[3] table\n   a\n0  1\n\n"
                                          "[4] lk.readable(t)\n | acc\nplain & BN | 0.9500\n\n"
                                          "[5] 1/0\nZeroDivisionError: division by zero\n")


def test_a_notebook_cut_off_by_the_deadline_is_stopped_not_failed(times, tmp_path):
    path = tmp_path / "99_slow.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print('started')"),
                                                   nbformat.v4.new_code_cell("import time\ntime.sleep(60)")]), path)
    start = time.time()
    row = times.execute(path, "smoke", tmp_path / "executed", timeout=600, deadline=time.time() + 8)
    assert row["stopped"] and row["error"] and time.time() - start < 40
    assert "started" in (tmp_path / "executed" / "99_slow.txt").read_text()
    row = times.execute(path.with_name("99_slow.ipynb"), "smoke", tmp_path / "again", timeout=2)
    assert row["error"] and not row["stopped"]  # a cell's own time limit is a failure, not the deadline


def test_the_readme_table_puts_gpu_times_beside_the_cpu_ones(monkeypatch, tmp_path):
    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))
    import readme_tables

    results = tmp_path / "benchmarks" / "results"
    results.mkdir(parents=True)
    common = {"error": None, "torch": "2.11", "date": "2026-12-04 12:00 UTC"}
    for size, hardware, seconds, extra in [("cpu", "CPU, 2 cores", [80.0, 12.5], {}),
                                           ("gpu", "NVIDIA H200", [30.0, 6.0], {"at_once": 3})]:
        rows = [{"notebook": name, "seconds": s, "hardware": hardware, **common, **extra}
                for name, s in zip(["02_cnn.ipynb", "00_setup_and_data.ipynb"], seconds)]
        (results / f"notebook_times_{size}.json").write_text(json.dumps({"size": size, "notebooks": rows}))
    monkeypatch.setattr(readme_tables, "ROOT", tmp_path)
    section = readme_tables.notebook_times_section()
    assert "| notebook | cpu seconds | cpu result | gpu seconds | at once | gpu result |" in section
    assert "| 02_cnn.ipynb | 80 | ran without an error | 30 | 3 | ran without an error |" in section
    assert "0.6 notebook-minutes on NVIDIA H200, torch 2.11, up to 3 notebooks sharing the GPU" in section
    (results / "notebook_times_gpu.json").unlink()
    assert "gpu seconds" not in readme_tables.notebook_times_section()
    sys.modules.pop("readme_tables", None)
