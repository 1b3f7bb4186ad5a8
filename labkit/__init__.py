"""labkit: the helper package of a course lab on deep networks for image classification.

A notebook needs one line, ``import labkit as lk``, then::

    size = lk.run_size()                       # LABKIT_SIZE: smoke, cpu or full
    data = lk.load_data("mnist")               # real MNIST, split and normalised
    model = lk.build_model("mlp", "mnist", depth=5, residual=True)
    history = lk.fit(model, data, epochs=size.epochs_for("mlp"))
    lk.evaluate(model, data.test)
    lk.plots.plot_history(history)             # every figure lives in lk.plots

Each name below is imported from its module the first time it is used, so
``labkit train`` on the command line never loads matplotlib, and a figure
never loads the training code.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

# public name -> the module that defines it
_HOME = {
    "LabkitError": "errors",
    "RunSize": "sizes", "run_size": "sizes", "FROM_RUN_SIZE": "sizes",
    "default_device": "device", "describe_device": "device",
    "DATASETS": "catalog",
    "Model": "options", "Data": "options", "Training": "options", "RunConfig": "options",
    "DataBundle": "data", "data_root": "data", "load_data": "data", "data_status": "data", "download_data": "data",
    "MODELS": "models", "build_model": "models", "count_parameters": "models", "count_weight_layers": "models",
    "evaluate": "train", "fit": "train", "seed_everything": "train",
    "GradientProbe": "gradients", "activation_stds": "gradients", "layer_gradients": "gradients",
    "weight_layers": "gradients",
    "predict": "predictions", "confusion_matrix": "predictions",
    "Run": "experiments", "train_run": "experiments", "record_run": "experiments",
    "DepthStudy": "studies", "run_depth_study": "studies", "train_with_probe": "studies",
    "CompareStudy": "compare", "run_compare_study": "compare", "load_compare_study": "compare",
    "compare_table": "compare", "COURSE_RECIPE": "studies", "mean_std_interval": "stats",
    "accuracy_gap": "stats", "readable": "tables",
    "SavedStudy": "runs", "load_study": "runs", "describe_study": "runs", "summarise": "runs", "variant": "runs",
    "read_record": "runs", "runs_dir": "runs",
    "assets_dir": "references", "reference_runs": "references", "beside_reference": "references",
    "load_csv": "results", "load_json": "results", "save_csv": "results", "save_json": "results",
    "model_summary": "summary", "this_machine": "machine",
    "class_activation_maps": "cam", "grad_cam": "cam", "trained_weights": "references",
    "beside_course": "references", "COURSE_VAL_ACC": "references",
}
_MODULES = ("cam", "catalog", "checkpoints", "cli", "colab", "compare", "config", "data", "device", "errors",
            "exercises", "experiments", "gradients", "machine", "models", "optim", "options", "plots", "predictions",
            "references", "results", "runs", "sizes", "speed", "stats", "studies", "summary", "tables", "tracking",
            "train", "validation")

__all__ = [*_HOME, "plots"]


def __getattr__(name: str):
    if name in _HOME:
        value = getattr(importlib.import_module(f".{_HOME[name]}", __name__), name)
    elif name in _MODULES:
        value = importlib.import_module(f".{name}", __name__)
    else:
        raise AttributeError(f"module 'labkit' has no attribute {name!r}")
    globals()[name] = value  # the next lookup is a plain attribute
    return value


def __dir__():
    return sorted({*globals(), *_HOME, *_MODULES})
