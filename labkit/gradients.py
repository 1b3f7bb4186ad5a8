"""Looking inside training: per-layer gradient norms and activation statistics.

Every measurement is taken on one *fixed* probe batch (``data.sample("val", 256)``),
the same images each time.  Measured on a different batch each time, the numbers
would change with the batch as well as with the network, and a plot over
epochs would show noise instead of learning.

Layers are named as a student reads the network: "input", "block 3 · fc 2",
"stage 2 · block 1 · conv 1", "output".
"""

from __future__ import annotations

import pandas as pd
import torch
from torch import nn

__all__ = ["weight_layers", "layer_name", "layer_gradients", "activation_stds", "GradientProbe"]

_WORDS = {"conv1": "conv 1", "conv2": "conv 2", "fc1": "fc 1", "fc2": "fc 2", "entry": "conv"}


def layer_name(qualified: str) -> str:
    """'stages.1.blocks.0.conv2' -> 'stage 2 · block 1 · conv 2'; 'blocks.3.fc1' -> 'block 4 · fc 1'."""
    parts, words, index = qualified.split("."), [], 0
    while index < len(parts):
        part = parts[index]
        follows = parts[index + 1] if index + 1 < len(parts) else ""
        if part in ("stages", "blocks") and follows.isdigit():
            words.append(f"{part[:-1]} {int(follows) + 1}")
            index += 2
            continue
        if part.isdigit():
            if words and words[-1].startswith("stage"):  # ResNet: a stage is a list of blocks
                words.append(f"block {int(part) + 1}")
        else:
            words.append(_WORDS.get(part, part))
        index += 1
    return " · ".join(words)


def _to_model(model: nn.Module, tensor: torch.Tensor) -> torch.Tensor:
    """``tensor`` on the device of the model's weights (a probe batch may live elsewhere)."""
    return tensor.to(next(model.parameters()).device)


def weight_layers(model: nn.Module) -> dict:
    """The Linear and Conv2d layers of ``model`` in the order they are applied, by readable name."""
    return {layer_name(name): module for name, module in model.named_modules()
            if isinstance(module, (nn.Linear, nn.Conv2d))}


def layer_gradients(model: nn.Module, images: torch.Tensor, labels: torch.Tensor) -> pd.DataFrame:
    """The gradient of the loss with respect to each layer's weights, on one batch.

    Returns one row per weight layer: ``layer`` (1 = the first, on the input side), its ``name``,
    ``grad_norm`` (L2 norm of the weight gradient), ``weight_norm`` and their ratio.
    The model is left as it was: its gradients are cleared and batch-norm
    running statistics restored.
    """
    images, labels = _to_model(model, images), _to_model(model, labels)
    saved_buffers = {name: buffer.clone() for name, buffer in model.named_buffers()}
    model.zero_grad(set_to_none=True)
    loss = nn.functional.cross_entropy(model(images), labels)
    loss.backward()
    rows = []
    for index, (name, layer) in enumerate(weight_layers(model).items(), start=1):
        grad_norm = layer.weight.grad.norm().item() if layer.weight.grad is not None else 0.0
        weight_norm = layer.weight.detach().norm().item()
        rows.append({"layer": index, "name": name, "grad_norm": grad_norm, "weight_norm": weight_norm,
                     "relative": grad_norm / weight_norm if weight_norm else float("nan")})
    model.zero_grad(set_to_none=True)
    model.load_state_dict(saved_buffers, strict=False)
    return pd.DataFrame(rows)


@torch.no_grad()
def activation_stds(model: nn.Module, images: torch.Tensor) -> pd.DataFrame:
    """Standard deviation of each weight layer's output on ``images`` (as in He et al. 2016, Fig. 7).

    Measured with the model in evaluation mode, so batch norm uses its running statistics.
    """
    stds, hooks = {}, []
    for name, layer in weight_layers(model).items():
        hooks.append(layer.register_forward_hook(
            lambda module, args, out, name=name: stds.__setitem__(name, out.float().std().item())))
    was_training = model.training
    try:
        model.eval()
        model(_to_model(model, images))
    finally:
        for hook in hooks:
            hook.remove()
        model.train(was_training)
    return pd.DataFrame([{"layer": i, "name": n, "activation_std": s}
                         for i, (n, s) in enumerate(stds.items(), start=1)])


class GradientProbe:
    """Per-layer gradient norms on one fixed batch, measured at chosen epochs.

    Use it as a ``fit`` callback; ``probe.measure(0)`` records the network at
    initialisation.  ``probe.history`` is a long table: epoch, layer, name, grad_norm, ...
    """

    def __init__(self, images: torch.Tensor, labels: torch.Tensor, epochs=None):
        self.images, self.labels = images, labels
        self.epochs = None if epochs is None else set(epochs)
        self.tables = []

    def measure(self, epoch: int, model: nn.Module) -> pd.DataFrame:
        table = layer_gradients(model, self.images, self.labels)
        table.insert(0, "epoch", epoch)
        self.tables.append(table)
        return table

    def __call__(self, epoch: int, row: dict, model: nn.Module) -> None:
        if self.epochs is None or epoch in self.epochs:
            self.measure(epoch, model)

    @property
    def history(self) -> pd.DataFrame:
        return pd.concat(self.tables, ignore_index=True) if self.tables else pd.DataFrame()
