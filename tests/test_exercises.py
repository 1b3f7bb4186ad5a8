"""Every exercise check accepts its solution, recognises the usual wrong answers with their own hint,
says "not attempted" for the student version, and never lets a student's exception out."""

from __future__ import annotations

import json
import math
import re

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import labkit as lk
from labkit.exercises import EXERCISES, check
from labkit.exercises import notebooks as exercise_notebooks

SOLUTIONS = sorted(exercise_notebooks.SOLUTIONS_DIR.glob("[0-9][0-9]_*.py"))


def _answers(path, student=False) -> dict:
    """{exercise name: the answer its cell defines}, each cell run on its own as a notebook would."""
    cells = exercise_notebooks.read_solutions(path)
    answers = {}
    for cell in cells:
        if cell["part"] == "exercise":
            source = exercise_notebooks.student_source(cell["source"]) if student else cell["source"]
            namespace = {"lk": lk}
            exec(compile(source, f"<exercise {cell['name']}>", "exec"), namespace)
            check_cell = next(c for c in cells if c["part"] == "check" and c["name"] == cell["name"])
            answers[cell["name"]] = eval(check_cell["source"], namespace)
    return answers


def _all(student=False) -> dict:
    return {name: result for path in SOLUTIONS for name, result in _answers(path, student).items()}


def test_every_notebook_01_to_08_has_two_to_four_exercises():
    per_notebook = {path.stem[:2]: exercise_notebooks.exercise_names(path) for path in SOLUTIONS}
    assert sorted(per_notebook) == ["01", "02", "03", "04", "05", "06", "07", "08"]
    assert all(2 <= len(names) <= 4 for names in per_notebook.values()), per_notebook
    assert sorted(name for names in per_notebook.values() for name in names) == sorted(EXERCISES)


def test_every_solution_passes_its_check():
    results = _all()
    assert set(results) == set(EXERCISES)
    failed = {name: repr(result) for name, result in results.items() if not result.passed}
    assert not failed, failed


def test_the_student_version_is_reported_as_not_attempted():
    results = _all(student=True)
    assert {result.status for result in results.values()} == {"unsolved"}, results
    assert all("not attempted" in result.message for result in results.values())


# Each exercise: typical wrong answers and a word their hint must contain.
def _linear_no_bias(x, w, b):
    return x @ w.T


def _linear_no_transpose(x, w, b):
    return x @ w + b


def _ce_unstable(z, t):
    return (z.exp().sum(1).log() - z[range(len(t)), t]).mean()


def _ce_sum(z, t):
    return F.cross_entropy(z, t, reduction="sum")


def _ce_no_log(z, t):
    return -z.softmax(1)[range(len(t)), t].mean()


def _ce_per_image(z, t):
    return F.cross_entropy(z, t, reduction="none")


def _size_no_plus_one(n, k, s, p):
    return (n + 2 * p - k) // s


def _size_padding_once(n, k, s, p):
    return (n + p - k) // s + 1


def _size_true_division(n, k, s, p):
    return (n + 2 * p - k) / s + 1


def _conv_flipped(x, w, b, s, p):
    return F.conv2d(x, w.flip(2, 3), b, stride=s, padding=p)


def _conv_no_bias(x, w, b, s, p):
    return F.conv2d(x, w, None, stride=s, padding=p)


def _conv_flat(x, w, b, s, p):
    return F.conv2d(x, w, b, stride=s, padding=p).flatten(2)


def _ce_columns(z, t):
    return (z.logsumexp(1) - z[:, t]).mean()


def _ce_columns_no_mean(z, t):
    return z.logsumexp(1)[:, None] - z[:, t]


def _ce_max_not_added_back(z, t):
    m = z.max(1, keepdim=True).values
    return ((z - m).exp().sum(1).log() - z[range(len(t)), t]).mean()


def _unfold_conv(x, w, b, s, p, flat_weight=None, bias=None, swap=False, square=False):
    """The unfold recipe, with one thing done wrong on request."""
    c_out, _, k_h, k_w = w.shape
    if square:
        k_w = k_h
    out = (w.reshape(c_out, -1) if flat_weight is None else flat_weight) @ F.unfold(x, (k_h, k_w), padding=p, stride=s)
    out = out + (b[:, None] if bias is None else bias)
    height, width = (x.shape[2] + 2 * p - k_h) // s + 1, (x.shape[3] + 2 * p - k_w) // s + 1
    return out.reshape(x.shape[0], c_out, *((width, height) if swap else (height, width)))


def _conv_height_width_swapped(x, w, b, s, p):
    return _unfold_conv(x, w, b, s, p, swap=True)


def _conv_one_side(x, w, b, s, p):
    c_out, _, k, _ = w.shape
    out = w.reshape(c_out, -1) @ F.unfold(x, k, padding=p, stride=s) + b[:, None]
    side = (x.shape[-1] + 2 * p - k) // s + 1
    return out.reshape(x.shape[0], c_out, side, side)


def _conv_square_kernel(x, w, b, s, p):
    return _unfold_conv(x, w, b, s, p, square=True)


def _conv_transposed(x, w, b, s, p):
    out = _unfold_conv(x, w, b, s, p)
    return out.reshape(*out.shape[:2], out.shape[3], out.shape[2]).transpose(2, 3)


def _conv_channels_last_weight(x, w, b, s, p):
    return _unfold_conv(x, w, b, s, p, flat_weight=w.permute(0, 2, 3, 1).reshape(w.shape[0], -1))


def _conv_bias_not_reshaped(x, w, b, s, p):
    return _unfold_conv(x, w, b, s, p, bias=b)


class _ReluBeforeAdd(nn.Module):
    def __init__(self, width):
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(width, width), nn.Linear(width, width)

    def forward(self, x):
        return x + torch.relu(self.fc2(torch.relu(self.fc1(x))))


class _NoShortcut(_ReluBeforeAdd):
    def forward(self, x):
        return torch.relu(self.fc2(torch.relu(self.fc1(x))))


class _ProjectionShortcut(_ReluBeforeAdd):
    def __init__(self, width):
        super().__init__(width)
        self.projection = nn.Linear(width, width)

    def forward(self, x):
        return torch.relu(self.projection(x) + self.fc2(torch.relu(self.fc1(x))))


class _InPlaceAdd(_ReluBeforeAdd):
    def forward(self, x):
        x += self.fc2(torch.relu(self.fc1(x)))
        return torch.relu(x)


class _ReluOnF(_ReluBeforeAdd):
    def forward(self, x):
        return torch.relu(x + torch.relu(self.fc2(torch.relu(self.fc1(x)))))


def _shortcut_zeros_first(x, c, s):
    x = x[:, :, ::s, ::s]
    return F.pad(x, (0, 0, 0, 0, c - x.shape[1], 0))


def _shortcut_no_subsample(x, c, s):
    return F.pad(x, (0, 0, 0, 0, 0, c - x.shape[1]))


def _shortcut_copies(x, c, s):
    x = x[:, :, ::s, ::s]
    return torch.cat([x, x[:, : c - x.shape[1]]], 1)


def _shortcut_pooled(x, c, s):
    x = F.avg_pool2d(x, s) if s > 1 else x
    return F.pad(x, (0, 0, 0, 0, 0, c - x.shape[1]))


def _warmup_from_zero(step, total, warmup, peak):
    if step < warmup:
        return peak * step / warmup
    return 0.5 * peak * (1 + math.cos(math.pi * (step - warmup) / (total - warmup)))


def _no_warmup(step, total, warmup, peak):
    return 0.5 * peak * (1 + math.cos(math.pi * step / total))


def _cosine_not_offset(step, total, warmup, peak):
    if step < warmup:
        return peak * (step + 1) / warmup
    return 0.5 * peak * (1 + math.cos(math.pi * step / total))


def _warmup_inclusive(step, total, warmup, peak):
    if step <= warmup:
        return peak * (step + 1) / warmup
    return 0.5 * peak * (1 + math.cos(math.pi * (step - warmup) / (total - warmup)))


def _cosine_one_step_short(step, total, warmup, peak):
    if step < warmup:
        return peak * (step + 1) / warmup
    return 0.5 * peak * (1 + math.cos(math.pi * (step - warmup) / (total - warmup - 1)))


def _cosine_one_step_long(step, total, warmup, peak):
    if step < warmup:
        return peak * (step + 1) / warmup
    return 0.5 * peak * (1 + math.cos(math.pi * (step - warmup) / (total - warmup + 1)))


def _best_numpy(model):
    return {name: value.detach().numpy().copy() for name, value in model.state_dict().items()}


def _best_whole_model(model):
    import copy

    return copy.deepcopy(model)


def _best_shallow(model):
    return model.state_dict().copy()


def _best_reference(model):
    return model.state_dict()


def _best_parameters(model):
    return {name: p.detach().clone() for name, p in model.named_parameters()}


def _outcome_nan_blind(loss):
    return "stuck" if abs(loss - math.log(10)) < 0.01 else ("diverged" if loss > 1e6 else "trained")


def _outcome_exact_ln10(loss):
    return "diverged" if not math.isfinite(loss) else ("stuck" if loss == math.log(10) else "trained")


def _outcome_one_sided(loss):  # "within 0.01" below ln 10 only: 2.5 is called stuck
    return "diverged" if not math.isfinite(loss) else ("stuck" if math.log(10) - loss < 0.01 else "trained")


def _outcome_long_labels(loss):  # the wording of the notebook's section-5 table
    return "diverged (NaN loss)" if not math.isfinite(loss) else (
        "stuck at the loss of a guess" if abs(loss - math.log(10)) < 0.01 else "trained")


def _outcome_minus_inf_trained(loss):  # a huge positive loss as "diverged" misses -inf
    return "diverged" if loss != loss or loss > 1e6 else ("stuck" if abs(loss - math.log(10)) < 0.01 else "trained")


def _se_variance(p, n):
    return p * (1 - p) / n


def _se_no_n(p, n):
    return math.sqrt(p * (1 - p))


def _norms_of_weights(model, images, labels):
    return {name: p.norm().item() for name, p in model.named_parameters() if name.endswith("weight")}


def _norms_not_zeroed(model, images, labels):
    F.cross_entropy(model(images), labels).backward()
    return {name: p.grad.norm().item() for name, p in model.named_parameters() if name.endswith("weight")}


def _he_lecun(linear):
    with torch.no_grad():
        linear.weight.normal_(0, math.sqrt(1 / linear.in_features)), linear.bias.zero_()


def _he_variance_as_std(linear):
    with torch.no_grad():
        linear.weight.normal_(0, 2 / linear.in_features), linear.bias.zero_()


def _he_fan_out(linear):
    with torch.no_grad():
        linear.weight.normal_(0, math.sqrt(2 / linear.out_features)), linear.bias.zero_()


def _flops_macs(c_in, c_out, k, h, w):
    return k * k * c_in * c_out * h * w


def _flops_k_not_squared(c_in, c_out, k, h, w):
    return 2 * k * c_in * c_out * h * w


def _flops_training(c_in, c_out, k, h, w):
    return 6 * k * k * c_in * c_out * h * w


def _share_percent(r, f, p):
    return 100 * r * f / p


def _share_inverted(r, f, p):
    return p / (r * f)


def _cam_column(features, weight, c):
    return torch.einsum("k,nkhw->nhw", weight[:, c], features)


def _cam_relu(features, weight, c):
    return torch.einsum("k,nkhw->nhw", weight[c], features).relu()


def _cam_mean_over_k(features, weight, c):
    return (weight[c].view(1, -1, 1, 1) * features).mean(dim=1)


def _cam_pooled(features, weight, c):
    return (weight[c].view(1, -1, 1, 1) * features).sum(dim=1).mean(dim=(1, 2))


def _cam_other_class(features, weight, c):
    return torch.einsum("k,nkhw->nhw", weight[c + 1], features)


def _gc_no_relu(a, g):
    return (g.mean(dim=(2, 3), keepdim=True) * a).sum(dim=1)


def _gc_summed(a, g):
    return (g.sum(dim=(2, 3), keepdim=True) * a).sum(dim=1).relu()


def _gc_pixelwise(a, g):
    return (g * a).sum(dim=1).relu()


def _gc_wrong_axis(a, g):
    return (g.mean(dim=1, keepdim=True) * a).sum(dim=1).relu()


def _gc_over_images(a, g):
    return (g.mean(dim=(0, 2, 3), keepdim=True) * a).sum(dim=1).relu()


WRONG = [
    ("08.class_map", _cam_column, "row weight[c]"),
    ("08.class_map", _cam_relu, "ReLU is Grad-CAM's"),
    ("08.class_map", _cam_mean_over_k, "sums w_ck A_k over k"),
    ("08.class_map", _cam_pooled, "averaged away"),
    ("08.class_map", _cam_other_class, "map of class 4"),
    ("08.grad_cam", _gc_no_relu, "ReLU is missing"),
    ("08.grad_cam", _gc_summed, "*mean* gradient"),
    ("08.grad_cam", _gc_pixelwise, "pixel by pixel"),
    ("08.grad_cam", _gc_wrong_axis, "over the feature maps (dim=1)"),
    ("08.grad_cam", _gc_over_images, "over the images too"),
    ("07.conv_flops", _flops_macs, "multiply-adds"),
    ("07.conv_flops", _flops_k_not_squared, "k**2"),
    ("07.conv_flops", _flops_training, "forward and backward"),
    ("07.share_of_limit", _share_percent, "percentage"),
    ("07.share_of_limit", _share_inverted, "upside down"),
    ("01.linear", _linear_no_bias, "bias is missing"),
    ("01.linear", _linear_no_transpose, "weight.T"),
    ("01.cross_entropy", _ce_unstable, "log-sum-exp"),
    ("01.cross_entropy", _ce_sum, "summed"),
    ("01.cross_entropy", _ce_no_log, "log is missing"),
    ("01.cross_entropy", _ce_per_image, "one loss per image"),
    ("01.cross_entropy", _ce_columns, "logits[:, targets] picks whole columns"),
    ("01.cross_entropy", _ce_columns_no_mean, "logits[:, targets] picks whole columns"),
    ("01.cross_entropy", _ce_max_not_added_back, "the max is not added back"),
    ("02.output_size", _size_no_plus_one, "+ 1 is missing"),
    ("02.output_size", _size_padding_once, "padding counts twice"),
    ("02.output_size", _size_true_division, "whole number"),
    ("02.conv2d", _conv_flipped, "flipped"),
    ("02.conv2d", _conv_no_bias, "bias is missing"),
    ("02.conv2d", _conv_flat, "reshape"),
    ("02.conv2d", _conv_height_width_swapped, "height and width are swapped"),
    ("02.conv2d", _conv_one_side, "compute the output's height from x.shape[2]"),
    ("02.conv2d", _conv_square_kernel, "kernel_size=(k_h, k_w)"),
    ("02.conv2d", _conv_transposed, "the output is transposed"),
    ("02.conv2d", _conv_channels_last_weight, "flattened in the wrong order (with the channels last"),
    ("02.conv2d", _conv_bias_not_reshaped, "bias is added without a reshape"),
    ("03.residual_block", _ReluBeforeAdd, "ReLU comes before the addition"),
    ("03.residual_block", _NoShortcut, "shortcut is missing"),
    ("03.residual_block", _ProjectionShortcut, "no weights"),
    ("03.residual_block", _InPlaceAdd, "forward changed its input in place"),
    ("03.residual_block", _ReluOnF, "F(x) ends with a ReLU"),
    ("03.zero_pad_shortcut", _shortcut_zeros_first, "the zero channels come first"),
    ("03.zero_pad_shortcut", _shortcut_no_subsample, "every second pixel"),
    ("03.zero_pad_shortcut", _shortcut_copies, "copy the input"),
    ("03.zero_pad_shortcut", _shortcut_pooled, "averaged"),
    ("04.warmup_cosine", _warmup_from_zero, "starts at 0"),
    ("04.warmup_cosine", _no_warmup, "no warm-up"),
    ("04.warmup_cosine", _cosine_not_offset, "(step - warmup)"),
    ("04.warmup_cosine", _warmup_inclusive, "the warm-up lasts one step too long"),
    ("04.warmup_cosine", _cosine_one_step_short, "(total - warmup - 1)"),
    ("04.best_state", _best_numpy, "numpy.ndarray for"),
    ("04.best_state", _best_whole_model, "a whole model (Sequential) was returned"),
    ("04.best_state", _best_shallow, "shallow copy"),
    ("04.best_state", _best_reference, "clone"),
    ("04.best_state", _best_parameters, "buffers"),
    ("05.outcome", _outcome_nan_blind, "NaN"),
    ("05.outcome", _outcome_exact_ln10, "within 0.01"),
    ("05.outcome", _outcome_one_sided, "both sides of ln 10"),
    ("05.outcome", _outcome_long_labels, "return exactly one of"),
    ("05.outcome", _outcome_minus_inf_trained, "an infinite loss was classed 'trained'"),
    ("05.standard_error", _se_variance, "variance"),
    ("05.standard_error", _se_no_n, "n is missing"),
    ("06.gradient_norms", _norms_of_weights, "weights themselves"),
    ("06.gradient_norms", _norms_not_zeroed, "zero_grad"),
    ("06.he_init", _he_lecun, "LeCun"),
    ("06.he_init", _he_variance_as_std, "square root"),
    ("06.he_init", _he_fan_out, "fan_out"),
]


@pytest.mark.parametrize("name, answer, hint", WRONG, ids=[f"{n}-{a.__name__}" for n, a, _ in WRONG])
def test_a_typical_wrong_answer_gets_its_own_hint(name, answer, hint):
    result = check(name, answer)
    assert result.status == "mistake", repr(result)
    assert hint in result.message, repr(result)
    assert "\n" not in repr(result)


def test_a_wrong_cosine_shows_the_step_where_expected_and_given_differ_visibly():
    result = check("04.warmup_cosine", _cosine_one_step_long)
    assert result.status == "mistake" and "largest error is at step" in result.message, repr(result)
    expected, given = re.search(r"expected (\S+), got (\S+?)[ )]", result.message).groups()
    assert expected != given, repr(result)


def test_a_whole_model_copy_is_not_blamed_on_parameters():
    assert "parameters()" not in check("04.best_state", _best_whole_model).message


def test_each_exercise_recognises_at_least_two_mistakes():
    counts = {name: sum(1 for n, _, _ in WRONG if n == name) for name in EXERCISES}
    assert min(counts.values()) >= 2, counts


def test_a_broken_answer_is_reported_in_one_line_and_never_raises():
    def broken(x, weight, bias):
        return x @ undefined_name  # noqa: F821

    result = check("01.linear", broken)
    assert result.status == "error"
    assert "NameError" in result.message and "line" in result.message and "\n" not in result.message
    assert check("01.linear", lambda x, w, b: "a string").status == "mistake"
    assert check("03.residual_block", lambda width: 42).status == "mistake"
    assert check("01.linear", None).status == "unsolved"
    unknown = check("09.nothing", print)
    assert unknown.status == "error" and "01.linear" in unknown.message


def test_each_check_is_fast():
    import time

    solved = {path: _answers(path) for path in SOLUTIONS}  # warm up torch's kernels once
    began = time.perf_counter()
    solved = {path: _answers(path) for path in SOLUTIONS}
    per_check = (time.perf_counter() - began) / len(EXERCISES)
    assert all(result.passed for answers in solved.values() for result in answers.values())
    assert per_check < 1.0, f"{per_check:.2f} s per check"


def test_the_notebooks_hold_the_student_version_of_the_solutions():
    for path in SOLUTIONS:
        notebook_path = exercise_notebooks.NOTEBOOKS_DIR / f"{path.stem}.ipynb"
        notebook = json.loads(notebook_path.read_text(encoding="utf-8"))
        expected = exercise_notebooks.with_exercises(notebook, exercise_notebooks.read_solutions(path))
        assert notebook == expected, f"{notebook_path.name}: run `python -m labkit.exercises sync`"
        sources = "".join("".join(cell["source"]) for cell in notebook["cells"])
        assert "### BEGIN SOLUTION" not in sources, "a solution leaked into the student notebook"


def test_solution_notebooks_keep_nbgrader_markers(tmp_path):
    written = exercise_notebooks.write_solution_notebooks(tmp_path)
    assert len(written) >= 6
    solved = json.loads((tmp_path / "03_resnet.ipynb").read_text(encoding="utf-8"))
    answer_cells = [cell for cell in solved["cells"] if cell["metadata"].get("nbgrader", {}).get("solution")]
    assert len(answer_cells) == 2
    assert all("### BEGIN SOLUTION" in "".join(cell["source"]) for cell in answer_cells)
    assert [cell["metadata"]["nbgrader"]["grade_id"] for cell in answer_cells] == ["03_residual_block",
                                                                                   "03_zero_pad_shortcut"]


def test_the_solved_exercise_cells_run_in_one_kernel_namespace():
    """As in a solution notebook: every exercise and check cell of a notebook, one after another."""
    for path in SOLUTIONS:
        namespace = {"lk": lk}
        for cell in exercise_notebooks.read_solutions(path):
            if cell["type"] == "code":
                exec(compile(cell["source"], f"<{path.name}>", "exec"), namespace)
                if cell["part"] == "check":
                    assert eval(cell["source"], namespace).passed, (path.name, cell["name"])


def test_the_exercises_of_each_solution_notebook_run_in_a_kernel(tmp_path):
    """Each solution notebook's code-exercise section, executed by Jupyter (the notebooks' other cells
    are executed at smoke size by nbmake, with the exercises unsolved)."""
    nbclient = pytest.importorskip("nbclient")
    import nbformat

    for path in exercise_notebooks.write_solution_notebooks(tmp_path):
        notebook = nbformat.read(path, as_version=4)
        section = [cell for cell in notebook.cells if cell.metadata.get("labkit", {}).get("code exercises")]
        if not section:
            continue
        notebook.cells = [nbformat.v4.new_code_cell("import labkit as lk"), *section]
        nbclient.NotebookClient(notebook, timeout=120, kernel_name="python3").execute()
        shown = [output.get("data", {}).get("text/plain", "") for cell in notebook.cells if cell.cell_type == "code"
                 for output in cell.outputs]
        checks = [text for text in shown if text[:1] in "✓✗·"]
        assert len(checks) == len(exercise_notebooks.exercise_names(exercise_notebooks.SOLUTIONS_DIR
                                                                      / f"{path.stem}.py")), (path.name, shown)
        assert all(text.startswith("✓") for text in checks), (path.name, checks)


def test_every_notebook_cell_has_an_id_of_its_own():
    """nbformat 4.5 wants a unique id per cell; the generated exercise cells once had none (a warning
    in every nbconvert run, a hard error in future nbformat)."""
    for path in sorted(exercise_notebooks.NOTEBOOKS_DIR.glob("[0-9][0-9]_*.ipynb")):
        ids = [cell.get("id") for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]]
        assert None not in ids, path.name
        assert len(ids) == len(set(ids)), path.name
