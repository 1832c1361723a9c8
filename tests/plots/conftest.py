"""Histories for the plot tests, and a figure cleanup after each test."""

from __future__ import annotations

import numpy as np
import pytest

from fittrack.history import MetricHistory

LOSS = [0.9, 0.6, 0.45, 0.5, 0.55]
VAL_LOSS = [1.0, 0.7, 0.65, 0.6, 0.66]
AUC = [0.70, 0.80, 0.85, 0.90, 0.93]
VAL_AUC = [0.65, 0.78, 0.84, 0.83, 0.80]


@pytest.fixture
def run() -> MetricHistory:
    """Five epochs of a run with batch rows (2 evaluations per epoch of 10 batches)."""
    h = MetricHistory()
    h.set_greater_is_better("auc", True)
    h.set_greater_is_better("loss", False)
    for epoch in range(5):
        h.record_epoch(epoch, {"loss": LOSS[epoch], "val_loss": VAL_LOSS[epoch],
                               "auc": AUC[epoch], "val_auc": VAL_AUC[epoch],
                               "auc_keras": AUC[epoch] - 0.05})
        for batch in (4, 9):
            step = 10 * epoch + batch + 1
            h.record_batch(step, epoch, batch, {"loss": 1.0 / step, "auc": 1.0 - 1.0 / step,
                                                "val_auc": 0.9 - 1.0 / step})
    return h


@pytest.fixture(autouse=True)
def close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


def synthetic(n_metrics: int, epochs: int = 6) -> dict[str, list[float]]:
    """``n_metrics`` metrics, each with a training and a validation list."""
    rng = np.random.default_rng(n_metrics)
    data = {}
    for i in range(n_metrics):
        data[f"m{i}"] = rng.random(epochs).tolist()
        data[f"val_m{i}"] = rng.random(epochs).tolist()
    return data
