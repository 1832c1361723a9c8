"""The inputs of one evaluation as metrics read them: numbers, same rank, weights.

Example:
    >>> import numpy as np
    >>> [a.shape for a in same_rank(np.zeros(4), np.zeros((4, 1)))]
    [(4, 1), (4, 1)]
    >>> as_weights([[1.0], [2.0]], 2).tolist()
    [1.0, 2.0]
"""

from __future__ import annotations

from typing import Any

import numpy as np

from fittrack.metrics.common import readonly


def same_rank(y_true: np.ndarray, y_pred: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Bring two arrays to the same rank as Keras' losses do.

    When the ranks differ by one and the longer one ends in a size-1 axis, the
    shorter one gains that axis (``(n,)`` and ``(n, 1)`` -> both ``(n, 1)``).

    >>> [a.shape for a in same_rank(np.zeros(4), np.zeros((4, 1)))]
    [(4, 1), (4, 1)]
    >>> [a.shape for a in same_rank(np.zeros((4, 7)), np.zeros((4, 7, 1)))]
    [(4, 7, 1), (4, 7, 1)]
    >>> [a.shape for a in same_rank(np.zeros(4), np.zeros((4, 3)))]
    [(4,), (4, 3)]
    """
    if y_pred.ndim == 1:
        y_pred = y_pred[:, None]
    if y_pred.ndim == y_true.ndim + 1 and y_pred.shape[-1] == 1:
        y_true = y_true[..., None]
    elif y_true.ndim == y_pred.ndim + 1 and y_true.shape[-1] == 1:
        y_true = y_true[..., 0]
    return y_true, y_pred


def as_numbers(arr: np.ndarray, what: str) -> np.ndarray:
    if arr.dtype.kind in "biuf":
        return arr
    raise TypeError(
        f"{what} must hold numbers; received an array of dtype {arr.dtype}. "
        "Encode string or object labels as integers first "
        "(for example with sklearn.preprocessing.LabelEncoder).")


def as_weights(sample_weight: Any, n: int) -> np.ndarray | None:
    if sample_weight is None:
        return None
    w = np.asarray(sample_weight, dtype=np.float64)
    if w.ndim == 2 and w.shape[1] == 1:
        w = w[:, 0]
    if w.shape != (n,):
        raise ValueError(
            f"sample_weight must have shape ({n},), one weight per row; received "
            f"shape {w.shape}. Pass a 1-D array with one weight per sample.")
    return readonly(w)
