"""Histories for the plot tests, and a figure cleanup after each test."""

from __future__ import annotations

import numpy as np
import pytest

from fittrack.history import MetricHistory
from tests.runs import AUC, LOSS, VAL_AUC, VAL_LOSS, make_run  # noqa: F401 - used by tests


@pytest.fixture
def run() -> MetricHistory:
    """Five epochs of a run with batch rows (2 evaluations per epoch of 10 batches)."""
    return make_run()


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
