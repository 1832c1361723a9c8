"""The classification view of ``(y_true, y_pred)``: task, labels, scores, confusion.

Pure functions used (and cached) by :class:`~fittrack.metrics.context.EvalContext`.
The callback decides the task once per model output, from its loss and output
activation (:class:`~fittrack.metrics.context.Problem`); without that, the
task is read from the shapes the way Keras picks an accuracy, then from the
labels:

- one output column: ``binary`` (scores are the column, labels 0/1);
- ``C > 1`` columns with integer labels, or one-hot / soft rows: ``multiclass``
  (a two-column softmax counts as ``binary`` with class 1 positive, as
  scikit-learn scores a two-class problem);
- ``C > 1`` columns with multi-hot rows: ``multilabel``.

Outputs with time steps, ``(n, T, C)``, are flattened to ``(n * T, C)`` rows.
"""

from __future__ import annotations

import numpy as np


def is_sparse(y_true: np.ndarray, y_pred: np.ndarray) -> bool:
    """Integer class labels next to per-class scores (Keras' rule)."""
    return y_true.ndim < y_pred.ndim or (y_true.shape[-1] == 1 and y_pred.shape[-1] > 1)


def infer_task(y_true: np.ndarray, y_pred: np.ndarray) -> str:
    """``"binary"``, ``"multiclass"`` or ``"multilabel"``.

    >>> infer_task(np.zeros((4, 1)), np.zeros((4, 1)))
    'binary'
    >>> infer_task(np.zeros(4), np.zeros((4, 5)))
    'multiclass'
    >>> infer_task(np.array([[1, 1, 0], [0, 1, 1]]), np.zeros((2, 3)))
    'multilabel'
    """
    n_cols = y_pred.shape[-1]
    if n_cols == 1:
        return "binary"
    if is_sparse(y_true, y_pred):
        return "binary" if n_cols == 2 else "multiclass"
    if y_true.shape != y_pred.shape:
        raise ValueError(
            "Classification metrics need labels that match the model's output: "
            f"received labels of shape {y_true.shape} for an output of shape "
            f"{y_pred.shape}. Pass integer labels of shape {y_pred.shape[:-1]} or "
            f"one-hot rows of shape {y_pred.shape}."
        )
    rows = y_true.reshape(-1, n_cols)
    if rows.size and np.allclose(rows.sum(axis=1), 1.0) and rows.min() >= 0:
        return "binary" if n_cols == 2 else "multiclass"
    return "multilabel"


def scores(y_pred: np.ndarray, task: str) -> np.ndarray:
    """Positive-class scores ``(N,)`` for binary problems, else ``(N, C)``."""
    n_cols = y_pred.shape[-1]
    flat = y_pred.reshape(-1, n_cols)
    if task == "binary":
        return flat[:, -1]
    return flat


def true_labels(y_true: np.ndarray, y_pred: np.ndarray, task: str) -> np.ndarray:
    """Integer labels ``(N,)``, or a ``(N, C)`` 0/1 indicator for multilabel."""
    n_cols = y_pred.shape[-1]
    if task == "multilabel":
        if y_true.shape != y_pred.shape:
            raise ValueError(
                f"A multi-label output of shape {y_pred.shape} needs multi-hot targets of "
                f"the same shape (one 0/1 column per label); received {y_true.shape}.")
        ind = y_true.reshape(-1, n_cols)
        _check_binary_values(ind, "multilabel targets (multi-hot rows)")
        return ind.astype(np.int64)
    if n_cols == 1:
        labels = y_true.reshape(-1)
        _check_binary_values(labels, "binary labels")
        return labels.astype(np.int64)
    if is_sparse(y_true, y_pred):
        return check_sparse_labels(y_true.reshape(-1), n_cols)
    if y_true.shape != y_pred.shape:
        raise ValueError(
            f"Expected targets of shape {y_pred.shape[:-1]} (integer classes) or "
            f"{y_pred.shape} (one-hot rows) for an output of shape {y_pred.shape}; "
            f"received {y_true.shape}.")
    return np.argmax(y_true.reshape(-1, n_cols), axis=1)


def flat_weights(sample_weight: np.ndarray | None, y_pred: np.ndarray) -> np.ndarray | None:
    """Per-row weights repeated over time steps, matching the flattened rows."""
    if sample_weight is None:
        return None
    steps = int(np.prod(y_pred.shape[1:-1])) if y_pred.ndim > 2 else 1
    return np.repeat(sample_weight, steps) if steps > 1 else sample_weight


def confusion(t: np.ndarray, p: np.ndarray, n_classes: int, w: np.ndarray | None,
              task: str) -> np.ndarray:
    """Weighted confusion matrix ``(C, C)``; ``(C, 2, 2)`` per label for multilabel."""
    if task == "multilabel":
        wt = np.ones(len(t)) if w is None else w
        tp = wt @ (t & p)
        fp = wt @ ((1 - t) & p)
        fn = wt @ (t & (1 - p))
        tn = wt.sum() - tp - fp - fn
        return np.stack([np.stack([tn, fp], -1), np.stack([fn, tp], -1)], 1)
    flat = t * n_classes + p
    counts = np.bincount(flat, weights=w, minlength=n_classes * n_classes)
    return counts.astype(np.float64).reshape(n_classes, n_classes)


def _check_binary_values(values: np.ndarray, what: str) -> None:
    bad = values[(values != 0) & (values != 1)]
    if bad.size:
        raise ValueError(
            f"Expected {what} of 0 and 1; received other values, e.g. {bad[:3].tolist()}. "
            "Threshold soft targets, or use a regression metric (mse, mae) for them."
        )


def check_sparse_labels(labels: np.ndarray, n_classes: int) -> np.ndarray:
    as_int = labels.astype(np.int64)
    if np.any(as_int != labels) or (labels.size and (as_int.min() < 0 or as_int.max() >= n_classes)):
        bad = labels[(as_int != labels) | (as_int < 0) | (as_int >= n_classes)]
        raise ValueError(
            f"Expected integer class labels in 0..{n_classes - 1} for an output with "
            f"{n_classes} columns; received e.g. {bad[:3].tolist()}. Check that the "
            "labels match the model's last layer (one unit per class)."
        )
    return as_int
