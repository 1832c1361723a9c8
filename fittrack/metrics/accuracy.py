"""Accuracy metrics with Keras' semantics, on the whole dataset.

Each returns the (weighted) mean over rows of a per-row match, as the Keras
metric of the same name does after its last batch, except that the model is
fixed while all rows are scored. ``accuracy``/``acc`` picks binary,
sparse-categorical or categorical accuracy from the shapes, as Keras'
``compile`` does (:func:`accuracy_variant`).

Example:
    >>> import numpy as np
    >>> from fittrack.metrics.context import EvalContext
    >>> ctx = EvalContext(np.array([2, 0, 1]), np.eye(3)[[2, 1, 1]])
    >>> accuracy_variant(ctx.y_true, ctx.y_pred)
    'sparse_categorical_accuracy'
    >>> round(accuracy(ctx), 4)
    0.6667
"""

from __future__ import annotations

import numpy as np

from fittrack.metrics.context import EvalContext
from fittrack.metrics.task import THRESHOLD, check_sparse_labels, is_sparse

TOP_K = 5


def per_row_mean(values: np.ndarray, sample_weight: np.ndarray | None) -> float:
    """Keras' reduction: mean over the non-row axes, then the weighted mean over rows."""
    values = np.asarray(values, dtype=np.float64)
    if values.ndim > 1:
        values = values.reshape(len(values), -1).mean(axis=1)
    if sample_weight is not None and sample_weight.sum() == 0:
        return 0.0
    return float(np.average(values, weights=sample_weight))


def accuracy_variant(y_true: np.ndarray, y_pred: np.ndarray) -> str:
    """The accuracy Keras' ``compile(metrics=["accuracy"])`` would pick for these shapes."""
    if y_pred.shape[-1] == 1:
        return "binary_accuracy"
    if is_sparse(y_true, y_pred):
        return "sparse_categorical_accuracy"
    return "categorical_accuracy"


def binary_accuracy(ctx: EvalContext) -> float:
    """Share of outputs where ``(y_pred > 0.5) == y_true``."""
    hits = ctx.y_true == (ctx.y_pred > THRESHOLD)
    return per_row_mean(hits, ctx.sample_weight)


def _sparse_targets(ctx: EvalContext) -> np.ndarray:
    yt = ctx.y_true
    if yt.ndim == ctx.y_pred.ndim:
        yt = yt[..., 0]
    return yt


def sparse_categorical_accuracy(ctx: EvalContext) -> float:
    """Share of rows whose integer label is the arg-max of the scores."""
    hits = _sparse_targets(ctx) == ctx.pred_argmax
    return per_row_mean(hits, ctx.sample_weight)


def categorical_accuracy(ctx: EvalContext) -> float:
    """Share of rows whose one-hot label's arg-max is the scores' arg-max."""
    hits = np.argmax(ctx.y_true, axis=-1) == ctx.pred_argmax
    return per_row_mean(hits, ctx.sample_weight)


def accuracy(ctx: EvalContext) -> float:
    """Binary, sparse-categorical or categorical accuracy, chosen from the shapes."""
    return _VARIANTS[accuracy_variant(ctx.y_true, ctx.y_pred)](ctx)


def _in_top_k(targets: np.ndarray, scores: np.ndarray, k: int) -> np.ndarray:
    flat = scores.reshape(-1, scores.shape[-1])
    t = check_sparse_labels(targets.reshape(-1), flat.shape[-1])
    at_label = flat[np.arange(len(flat)), t]
    rank = 1 + np.sum(flat > at_label[:, None], axis=1)
    return (rank <= k).reshape(targets.shape)


def sparse_top_k_categorical_accuracy(ctx: EvalContext, k: int = TOP_K) -> float:
    """Share of rows whose integer label is among the ``k`` highest scores (k=5)."""
    hits = _in_top_k(_sparse_targets(ctx), ctx.y_pred, k)
    return per_row_mean(hits, ctx.sample_weight)


def top_k_categorical_accuracy(ctx: EvalContext, k: int = TOP_K) -> float:
    """Share of rows whose one-hot label is among the ``k`` highest scores (k=5)."""
    hits = _in_top_k(np.argmax(ctx.y_true, axis=-1), ctx.y_pred, k)
    return per_row_mean(hits, ctx.sample_weight)


_VARIANTS = {
    "binary_accuracy": binary_accuracy,
    "sparse_categorical_accuracy": sparse_categorical_accuracy,
    "categorical_accuracy": categorical_accuracy,
}
