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

from fittrack.metrics.chunks import row_chunks


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


def label_dtype(n_classes: int) -> np.dtype:
    """The narrowest unsigned integer dtype holding the classes ``0..n_classes - 1``.

    >>> label_dtype(2), label_dtype(1000)
    (dtype('uint8'), dtype('uint16'))
    """
    for dtype in (np.uint8, np.uint16, np.uint32):
        if n_classes - 1 <= np.iinfo(dtype).max:
            return np.dtype(dtype)
    return np.dtype(np.int64)


def true_labels(y_true: np.ndarray, y_pred: np.ndarray, task: str) -> np.ndarray:
    """Class indices ``(N,)``, or a ``(N, C)`` 0/1 indicator for multilabel, in the
    narrowest unsigned dtype (:func:`label_dtype`)."""
    n_cols = y_pred.shape[-1]
    if task == "multilabel":
        if y_true.shape != y_pred.shape:
            raise ValueError(
                f"A multi-label output of shape {y_pred.shape} needs multi-hot targets of "
                f"the same shape (one 0/1 column per label); received {y_true.shape}.")
        return binary_values(y_true.reshape(-1, n_cols), "multilabel targets (multi-hot rows)")
    if n_cols == 1:
        return binary_values(y_true.reshape(-1), "binary labels")
    if is_sparse(y_true, y_pred):
        return check_sparse_labels(y_true.reshape(-1), n_cols)
    if y_true.shape != y_pred.shape:
        raise ValueError(
            f"Expected targets of shape {y_pred.shape[:-1]} (integer classes) or "
            f"{y_pred.shape} (one-hot rows) for an output of shape {y_pred.shape}; "
            f"received {y_true.shape}.")
    return argmax_rows(y_true.reshape(-1, n_cols))


#: at least this many rows at most ``NARROW`` wide take their arg-max column by
#: column: ``np.argmax`` along a short last axis pays a call per row (3-7x slower at
#: 3-10 columns, measured), the columns' loop a few microseconds per column
NARROW, MANY_ROWS = 16, 4096


def argmax_rows(rows: np.ndarray) -> np.ndarray:
    """``argmax(rows, axis=1)`` (the first of tied maxima, the first NaN of a row), by
    chunks of rows on large data (the temporaries are a few bytes per row); in the
    narrowest label dtype for many rows of up to ``NARROW`` columns and for large data.

    >>> argmax_rows(np.array([[0.1, 0.7, 0.7], [np.nan, 2.0, np.nan]])).tolist()
    [1, 0]
    """
    chunks = row_chunks(len(rows))
    narrow = 1 < rows.shape[1] <= NARROW and len(rows) >= MANY_ROWS and rows.dtype.kind in "fiu"
    if len(chunks) == 1 and not narrow:
        return np.argmax(rows, axis=1)
    out = np.empty(len(rows), label_dtype(rows.shape[1]))
    for chunk in chunks:
        out[chunk] = _argmax_by_columns(rows[chunk]) if narrow else \
            np.argmax(rows[chunk], axis=1)
    return out


def _argmax_by_columns(rows: np.ndarray) -> np.ndarray:
    """The running maximum over the columns of a transposed copy, and the first column
    that reached it, in whole-column operations; rows holding a NaN (the maximum
    turns NaN) take ``np.argmax``, which points at their first NaN."""
    columns = np.ascontiguousarray(rows.T)
    best = columns[0].copy()
    index = np.zeros(len(best), np.uint8)              # at most NARROW columns
    better, step = np.empty(len(best), bool), np.empty(len(best), np.uint8)
    for j in range(1, len(columns)):
        np.greater(columns[j], best, out=better)       # strictly: a tie keeps the first
        np.subtract(j, index, out=step)                # index = j where better, branch-free
        np.multiply(step, better, out=step)
        index += step
        np.maximum(best, columns[j], out=best)
    if best.dtype.kind == "f":
        nan = np.isnan(best)
        if nan.any():
            index[nan] = np.argmax(rows[nan], axis=1)
    return index


def flat_weights(sample_weight: np.ndarray | None, y_pred: np.ndarray) -> np.ndarray | None:
    """Per-row weights repeated over time steps, matching the flattened rows."""
    if sample_weight is None:
        return None
    steps = int(np.prod(y_pred.shape[1:-1])) if y_pred.ndim > 2 else 1
    return np.repeat(sample_weight, steps) if steps > 1 else sample_weight


def confusion(t: np.ndarray, p: np.ndarray, n_classes: int, w: np.ndarray | None,
              task: str) -> np.ndarray:
    """Weighted confusion matrix ``(C, C)``; ``(C, 2, 2)`` per label for multilabel.

    Counted one chunk of rows at a time (narrow labels widen only per chunk).
    """
    if task == "multilabel":
        return _label_confusions(t, p, w)
    if n_classes == 2 and w is None:  # 0/1 labels: three counts
        return _binary_confusion(t, p)
    size = n_classes * n_classes
    counts = np.zeros(size, dtype=np.float64)
    for rows in row_chunks(len(t)):
        counts += np.bincount(t[rows].astype(np.intp) * n_classes + p[rows], minlength=size,
                              weights=None if w is None else w[rows])
    return counts.reshape(n_classes, n_classes)


def _binary_confusion(t: np.ndarray, p: np.ndarray) -> np.ndarray:
    """The 2x2 counts of 0/1 labels ``t`` and predictions ``p``."""
    positive: int = 0
    predicted: int = 0
    tp: int = 0
    for rows in row_chunks(len(t)):
        a, b = t[rows], p[rows]
        positive += int(np.count_nonzero(a))
        predicted += int(np.count_nonzero(b))
        tp += int(np.count_nonzero(a & b))
    n = len(t)
    return np.array([[n - positive - predicted + tp, predicted - tp], [positive - tp, tp]],
                    dtype=np.float64)


def _label_confusions(t: np.ndarray, p: np.ndarray, w: np.ndarray | None) -> np.ndarray:
    """One 2x2 matrix per label of 0/1 indicators ``(N, C)``: ``(C, 2, 2)``."""
    tp, fp, fn = (np.zeros(t.shape[1]) for _ in range(3))
    for rows in row_chunks(len(t), t.shape[1]):
        a, b = t[rows], p[rows]
        wt = np.ones(len(a)) if w is None else w[rows]
        tp += wt @ (a & b)
        fp += wt @ ((1 - a) & b)
        fn += wt @ (a & (1 - b))
    tn = (len(t) if w is None else w.sum()) - tp - fp - fn
    return np.stack([np.stack([tn, fp], -1), np.stack([fn, tp], -1)], 1)


def binary_values(values: np.ndarray, what: str) -> np.ndarray:
    """``values`` as ``uint8``, checked to be 0 or 1 (a ValueError names others)."""
    if values.dtype.kind in "biu":
        if values.size and (values.min() < 0 or values.max() > 1):
            _check_binary_values(values, what)
        return values.astype(np.uint8)
    out = np.empty(values.shape, np.uint8)
    for rows in row_chunks(len(values), values[:1].size):
        _check_binary_values(values[rows], what)
        out[rows] = values[rows]
    return out


def _check_binary_values(values: np.ndarray, what: str) -> None:
    bad = values[(values != 0) & (values != 1)]
    if bad.size:
        raise ValueError(
            f"Expected {what} of 0 and 1; received other values, e.g. {bad[:3].tolist()}. "
            "Threshold soft targets, or use a regression metric (mse, mae) for them."
        )


def check_sparse_labels(labels: np.ndarray, n_classes: int) -> np.ndarray:
    """Integer class labels ``0..n_classes - 1`` in the narrowest dtype, checked."""
    if labels.dtype.kind in "biu":
        if labels.size and (labels.min() < 0 or labels.max() >= n_classes):
            _bad_sparse_labels(labels, n_classes)
        return labels.astype(label_dtype(n_classes))
    out = np.empty(labels.shape, label_dtype(n_classes))
    for rows in row_chunks(len(labels)):
        chunk = labels[rows]
        with np.errstate(invalid="ignore"):
            as_int = chunk.astype(np.int64)
        if np.any(as_int != chunk) or (chunk.size and (as_int.min() < 0
                                                      or as_int.max() >= n_classes)):
            _bad_sparse_labels(labels, n_classes)
        out[rows] = as_int
    return out


def _bad_sparse_labels(labels: np.ndarray, n_classes: int) -> None:
    with np.errstate(invalid="ignore"):
        as_int = labels.astype(np.int64)
    bad = labels[(as_int != labels) | (as_int < 0) | (as_int >= n_classes)]
    raise ValueError(
        f"Expected integer class labels in 0..{n_classes - 1} for an output with "
        f"{n_classes} columns; received e.g. {bad[:3].tolist()}. Check that the "
        "labels match the model's last layer (one unit per class)."
    )
