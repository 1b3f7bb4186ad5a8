"""labkit: the helper package of a course lab on deep networks for image classification.

A notebook needs one line, ``import labkit as lk``, then::

    size = lk.run_size()                       # LABKIT_SIZE: smoke, cpu or full
    data = lk.load_data("mnist")               # real MNIST, split and normalised
    model = lk.build_model("mlp", "mnist", depth=5, residual=True)
    history = lk.fit(model, data, epochs=size.epochs_for("mlp"))
    lk.evaluate(model, data.test)
    lk.plots.plot_history(history)             # every figure lives in lk.plots
"""

from . import plots
from .data import DATASETS, DataBundle, data_root, data_status, download_data, load_data
from .device import default_device, describe_device
from .errors import LabkitError
from .experiments import Run, train_run
from .gradients import GradientProbe, activation_stds, layer_gradients, weight_layers
from .models import MODELS, build_model, count_parameters, count_weight_layers
from .predictions import confusion_matrix, predict
from .references import assets_dir, beside_reference, reference_runs
from .results import load_csv, load_json, save_csv, save_json
from .sizes import RunSize, run_size
from .studies import DepthStudy, describe_study, load_study, run_depth_study, summarise
from .summary import model_summary
from .train import evaluate, fit, seed_everything

__version__ = "0.1.0"

__all__ = [
    "DATASETS", "DataBundle", "data_root", "data_status", "download_data", "load_data",
    "default_device", "describe_device", "LabkitError", "Run", "train_run",
    "GradientProbe", "activation_stds", "layer_gradients", "weight_layers",
    "MODELS", "build_model", "count_parameters", "count_weight_layers", "predict", "confusion_matrix",
    "DepthStudy", "run_depth_study", "load_study", "describe_study", "summarise", "plots",
    "assets_dir", "reference_runs", "beside_reference",
    "load_csv", "load_json", "save_csv", "save_json", "RunSize", "run_size", "model_summary",
    "evaluate", "fit", "seed_everything",
]
