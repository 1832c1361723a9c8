"""Small data sets for the callback tests."""

import numpy as np
import pytest


@pytest.fixture
def binary_data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 5)).astype("float32")
    y = (x[:, 0] + 0.5 * x[:, 1] + rng.normal(scale=0.8, size=300) > 0).astype("int64")
    return x[:200], y[:200], x[200:], y[200:]


@pytest.fixture
def multiclass_data():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(400, 6)).astype("float32")
    y = np.argmax(x[:, :4] + rng.normal(scale=1.0, size=(400, 4)), axis=1)
    return x[:300], y[:300], x[300:], y[300:]
