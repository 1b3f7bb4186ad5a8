"""What a trained model predicts: per-image classes and probabilities, and the confusion matrix."""

from __future__ import annotations

import pandas as pd
import torch

from .device import default_device

__all__ = ["predict", "confusion_matrix"]


@torch.no_grad()
def predict(model: torch.nn.Module, loader, device=None) -> pd.DataFrame:
    """One row per image, in the loader's order: ``label``, ``predicted``, ``confidence`` (its softmax)."""
    device = default_device(device)
    model.eval()
    rows = []
    for images, labels in loader:
        probabilities = model(images.to(device)).float().softmax(dim=1)
        confidence, predicted = probabilities.max(dim=1)
        rows.append(pd.DataFrame({"label": labels.cpu().numpy(), "predicted": predicted.cpu().numpy(),
                                  "confidence": confidence.cpu().numpy()}))
    return pd.concat(rows, ignore_index=True)


def confusion_matrix(predictions: pd.DataFrame, classes) -> pd.DataFrame:
    """Counts of (true class, predicted class): rows are the truth, columns the prediction."""
    n = len(classes)
    counts = pd.crosstab(predictions.label, predictions.predicted).reindex(index=range(n), columns=range(n),
                                                                            fill_value=0)
    counts.index, counts.columns = list(classes), list(classes)
    counts.index.name, counts.columns.name = "true", "predicted"
    return counts
