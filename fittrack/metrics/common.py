"""Helpers every metric family shares: Keras' reduction, constants, warnings.

Example:
    >>> import numpy as np
    >>> per_row_mean(np.array([[1.0, 0.0], [1.0, 1.0]]), None)
    0.75
    >>> a = readonly(np.zeros(3))
    >>> a.flags.writeable
    False
"""

from __future__ import annotations

import numpy as np

from fittrack.notices import FittrackWarning

#: keras.backend.epsilon(): the clip of Keras' cross-entropies and errors.
EPSILON = 1e-7
#: the decision threshold of label-based binary metrics unless one is given.
THRESHOLD = 0.5


class UndefinedMetricWarning(FittrackWarning):
    """A metric is not defined on these data (one class present, no rows...)."""


def per_row_mean(values: np.ndarray, sample_weight: np.ndarray | None) -> float:
    """Keras' reduction: mean over the non-row axes, then the weighted mean over rows."""
    values = row_values(np.asarray(values, dtype=np.float64))
    if sample_weight is not None and sample_weight.sum() == 0:
        return 0.0
    return float(np.average(values, weights=sample_weight))


def row_values(values: np.ndarray) -> np.ndarray:
    """One value per row: the mean over the non-row axes (the value itself for one)."""
    if values.ndim < 2:
        return values
    values = values.reshape(len(values), -1)
    return values[:, 0] if values.shape[1] == 1 else values.mean(axis=1)


def readonly(array: np.ndarray) -> np.ndarray:
    """A read-only view of ``array``: a metric cannot change the data others see."""
    view = array.view()
    view.flags.writeable = False
    return view
