"""Keras losses by name, as metrics: the weighted mean of the per-row loss.

Probabilities are clipped to ``[1e-7, 1 - 1e-7]`` and categorical outputs are
renormalised to sum to one, as Keras' losses do (``from_logits=False``), in
the outputs' own dtype; the logs are taken in float64 after the clip. On a
logits output these get the sigmoid/softmax probabilities.

Example:
    >>> import numpy as np
    >>> from fittrack.metrics.context import EvalContext
    >>> ctx = EvalContext(np.array([1, 0]), np.array([[0.9], [0.2]]))
    >>> round(binary_crossentropy(ctx), 6)
    0.164252
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from fittrack.metrics.chunks import row_chunks
from fittrack.metrics.common import EPSILON
from fittrack.metrics.context import EvalContext
from fittrack.metrics.task import check_sparse_labels


def _log(p: np.ndarray) -> np.ndarray:
    return np.log(p.astype(np.float64))


def binary_crossentropy(ctx: EvalContext) -> float:
    """Mean binary cross-entropy over outputs, then over rows."""
    targets = ctx.ranked[0]

    def values(rows: slice) -> np.ndarray:
        p = np.clip(ctx.sample_probs(rows), EPSILON, 1.0 - EPSILON)
        y = targets[rows].astype(np.float64)
        return (-(y * _log(p) + (1.0 - y) * _log(1 - p))).mean(axis=-1)
    return ctx.sample_mean(values)


def _log_probs(y_pred: np.ndarray) -> np.ndarray:
    total = np.sum(y_pred, axis=-1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        probs = y_pred / total
    return _log(np.clip(probs, EPSILON, 1.0 - EPSILON))


def categorical_crossentropy(ctx: EvalContext) -> float:
    """``-sum(y_true * log(p))`` per row, ``p`` the renormalised, clipped output."""
    targets = ctx.ranked[0]
    return ctx.sample_mean(lambda rows: -np.sum(
        targets[rows].astype(np.float64) * _log_probs(ctx.sample_probs(rows)), axis=-1))


def sparse_categorical_crossentropy(ctx: EvalContext) -> float:
    """``-log(p[label])`` per row, for integer labels."""
    targets, outputs = ctx.ranked
    if targets.ndim == outputs.ndim:
        targets = targets[..., 0]
    n_classes = outputs.shape[-1]

    def values(rows: slice) -> np.ndarray:
        yt = targets[rows]
        labels = check_sparse_labels(yt.reshape(-1), n_classes).reshape(yt.shape)
        log_p = _log_probs(ctx.sample_probs(rows))
        return -np.take_along_axis(log_p, labels[..., None].astype(np.intp), axis=-1)[..., 0]
    return ctx.sample_mean(values)


def _zero_one(targets: np.ndarray) -> bool:
    """Whether every target is 0 or 1 (checked by chunks, on the targets as given)."""
    if targets.dtype.kind in "biu":
        return not targets.size or (targets.min() >= 0 and targets.max() <= 1)
    return all(np.all((targets[rows] == 0) | (targets[rows] == 1))
               for rows in row_chunks(len(targets), targets[:1].size))


def _margins(ctx: EvalContext) -> Callable[[slice], np.ndarray]:
    """``max(1 - y * y_pred, 0)`` of rows ``rows``; 0/1 labels mapped to -1/1."""
    signs = _zero_one(ctx.ranked[0])

    def margins(rows: slice) -> np.ndarray:
        y, y_pred = ctx.sample_values(rows)
        if signs:
            y = 2.0 * y - 1.0
        return np.maximum(1.0 - y * y_pred, 0.0)
    return margins


def hinge(ctx: EvalContext) -> float:
    """Mean of ``max(1 - y * y_pred, 0)``; 0/1 labels are mapped to -1/1."""
    margins = _margins(ctx)
    return ctx.sample_mean(lambda rows: margins(rows).mean(axis=-1))


def squared_hinge(ctx: EvalContext) -> float:
    """Mean of ``max(1 - y * y_pred, 0) ** 2``; 0/1 labels are mapped to -1/1."""
    margins = _margins(ctx)
    return ctx.sample_mean(lambda rows: np.square(margins(rows)).mean(axis=-1))


def categorical_hinge(ctx: EvalContext) -> float:
    """``max(max_neg - pos + 1, 0)`` per row, for one-hot targets."""
    def values(rows: slice) -> np.ndarray:
        y_true, y_pred = ctx.sample_values(rows)
        pos = np.sum(y_true * y_pred, axis=-1)
        neg = np.max((1.0 - y_true) * y_pred, axis=-1)
        return np.maximum(neg - pos + 1.0, 0.0)
    return ctx.sample_mean(values)
