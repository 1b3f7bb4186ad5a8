import math

import pandas as pd
import torch

from labkit import load_csv, load_json, save_csv, save_json


def test_json_round_trip_with_tensors_and_nan(tmp_path):
    path = save_json({"acc": torch.tensor(0.5), "loss": math.nan, "rows": [{"a": 1}]}, tmp_path / "r.json")
    assert load_json(path) == {"acc": 0.5, "loss": None, "rows": [{"a": 1}]}
    assert not list(tmp_path.glob("*.tmp"))


def test_csv_round_trip(tmp_path):
    table = pd.DataFrame({"epoch": [1, 2], "val_acc": [0.5, 0.75]})
    assert load_csv(save_csv(table, tmp_path / "sub" / "t.csv")).equals(table)
