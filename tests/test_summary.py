import pytest

import labkit as lk

pytest.importorskip("torchinfo")


def test_summary_counts_the_parameters_and_multiply_adds_of_an_mlp():
    model = lk.build_model("mlp", "mnist")  # 784-256-256-10
    summary = lk.model_summary(model, "mnist")
    assert summary.total_params == lk.count_parameters(model)
    # each weight is used once per image, and torchinfo counts each bias as one more add
    assert summary.total_mult_adds == (784 * 256 + 256 * 256 + 256 * 10) + (256 + 256 + 10)


def test_summary_names_its_units_plainly():
    text = repr(lk.model_summary(lk.build_model("cnn", "cifar10"), "cifar10"))
    assert "Units." not in text
    assert "Total mult-adds (M):" in text
    assert "CNNStage" in text
