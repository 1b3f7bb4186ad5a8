import math

import pandas as pd
import torch

from labkit import load_csv, load_json, readable, save_csv, save_json


def test_json_round_trip_with_tensors_and_nan(tmp_path):
    path = save_json({"acc": torch.tensor(0.5), "loss": math.nan, "rows": [{"a": 1}]}, tmp_path / "r.json")
    assert load_json(path) == {"acc": 0.5, "loss": None, "rows": [{"a": 1}]}
    assert not list(tmp_path.glob("*.tmp"))


def test_csv_round_trip(tmp_path):
    table = pd.DataFrame({"epoch": [1, 2], "val_acc": [0.5, 0.75]})
    assert load_csv(save_csv(table, tmp_path / "sub" / "t.csv")).equals(table)


def test_readable_tables_separate_thousands_round_floats_and_dash_nan():
    table = pd.DataFrame({"parameters": [151306, 894346], "test acc": [0.94321, math.nan],
                          "residual": [False, True], "run": ["a", "b"]})
    html = readable(table).to_html()
    assert "151,306" in html and "894,346" in html and "0.9432" in html and "0.94321" not in html
    assert ">–<" in html and ">nan<" not in html
    assert "True" in html and ">a<" in html
    assert table.parameters.tolist() == [151306, 894346]  # the data keep every digit
    assert "0.94" in readable(table, decimals=2).to_html() and "0.943" not in readable(table, decimals=2).to_html()
