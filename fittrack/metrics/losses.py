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

import numpy as np

from fittrack.metrics.common import EPSILON, per_row_mean
from fittrack.metrics.context import EvalContext
from fittrack.metrics.task import check_sparse_labels


def _log(p: np.ndarray) -> np.ndarray:
    return np.log(p.astype(np.float64))


def binary_crossentropy(ctx: EvalContext) -> float:
    """Mean binary cross-entropy over outputs, then over rows."""
    p = np.clip(ctx.probs_given, EPSILON, 1.0 - EPSILON)
    y = ctx.y_true
    bce = -(y * _log(p) + (1.0 - y) * _log(1 - p))
    return per_row_mean(bce.mean(axis=-1), ctx.sample_weight)


def _log_probs(y_pred: np.ndarray) -> np.ndarray:
    total = np.sum(y_pred, axis=-1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        probs = y_pred / total
    return _log(np.clip(probs, EPSILON, 1.0 - EPSILON))


def categorical_crossentropy(ctx: EvalContext) -> float:
    """``-sum(y_true * log(p))`` per row, ``p`` the renormalised, clipped output."""
    values = -np.sum(ctx.y_true * _log_probs(ctx.probs_given), axis=-1)
    return per_row_mean(values, ctx.sample_weight)


def sparse_categorical_crossentropy(ctx: EvalContext) -> float:
    """``-log(p[label])`` per row, for integer labels."""
    yt = ctx.y_true
    if yt.ndim == ctx.y_pred.ndim:
        yt = yt[..., 0]
    n_classes = ctx.y_pred.shape[-1]
    labels = check_sparse_labels(yt.reshape(-1), n_classes).reshape(yt.shape)
    log_p = _log_probs(ctx.probs_given)
    picked = np.take_along_axis(log_p, labels[..., None], axis=-1)[..., 0]
    return per_row_mean(-picked, ctx.sample_weight)


def _hinge_targets(y_true: np.ndarray) -> np.ndarray:
    if np.all((y_true == 0) | (y_true == 1)):
        return 2.0 * y_true - 1.0
    return y_true


def hinge(ctx: EvalContext) -> float:
    """Mean of ``max(1 - y * y_pred, 0)``; 0/1 labels are mapped to -1/1."""
    y = _hinge_targets(ctx.y_true)
    return per_row_mean(np.maximum(1.0 - y * ctx.y_pred, 0.0).mean(axis=-1), ctx.sample_weight)


def squared_hinge(ctx: EvalContext) -> float:
    """Mean of ``max(1 - y * y_pred, 0) ** 2``; 0/1 labels are mapped to -1/1."""
    y = _hinge_targets(ctx.y_true)
    values = np.square(np.maximum(1.0 - y * ctx.y_pred, 0.0)).mean(axis=-1)
    return per_row_mean(values, ctx.sample_weight)


def categorical_hinge(ctx: EvalContext) -> float:
    """``max(max_neg - pos + 1, 0)`` per row, for one-hot targets."""
    pos = np.sum(ctx.y_true * ctx.y_pred, axis=-1)
    neg = np.max((1.0 - ctx.y_true) * ctx.y_pred, axis=-1)
    return per_row_mean(np.maximum(neg - pos + 1.0, 0.0), ctx.sample_weight)
