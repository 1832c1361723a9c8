"""Confusion matrices in pure NumPy, equal to scikit-learn's ``confusion_matrix``
(the example is :func:`confusion`'s)."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


def confusion(y_true: ArrayLike, y_pred: ArrayLike, labels: ArrayLike,
              sample_weight: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """``matrix`` (rows = true class, columns = predicted class, in ``labels`` order) and
    ``labels``; equal to ``sklearn.metrics.confusion_matrix(..., labels=labels)``.

    Example:
        >>> confusion([0, 1, 2, 2], [0, 2, 2, 1], labels=[0, 1, 2])["matrix"].tolist()
        [[1, 0, 0], [0, 0, 1], [0, 1, 1]]
    """
    classes = np.asarray(labels, dtype=np.int64)
    rows, true_known = _positions(classes, np.asarray(y_true))
    cols, pred_known = _positions(classes, np.asarray(y_pred))
    known = true_known & pred_known  # rows of other classes are left out, as in scikit-learn
    weights = None if sample_weight is None else \
        np.asarray(sample_weight, dtype=np.float64).reshape(-1)[known]
    n = len(classes)
    counts = np.bincount(rows[known] * n + cols[known], weights=weights, minlength=n * n)
    return {"matrix": counts.reshape(n, n).astype(np.int64 if weights is None else np.float64),
            "labels": classes}


def _positions(labels: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The position in ``labels`` of each value, and whether the value is a label."""
    values = np.asarray(values).reshape(-1)
    if values.dtype.kind in "iu" and len(values) and np.array_equal(labels, np.arange(len(labels))):
        low, high = values.min(), values.max()      # labels 0..n-1: a value is its position
        if low >= 0 and high < len(labels):
            return values, np.ones(len(values), bool)
    order = np.argsort(labels)
    at = order[np.minimum(np.searchsorted(labels[order], values), len(labels) - 1)]
    return at, labels[at] == values
