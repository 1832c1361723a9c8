"""Accuracy metrics with Keras' semantics, on the whole dataset.

Each returns the (weighted) mean over rows of a per-row match, as the Keras
metric of the same name does after its last batch, except that the model is
fixed while all rows are scored. ``accuracy``/``acc`` picks binary,
sparse-categorical or categorical accuracy from the shapes, as Keras'
``compile`` does (:func:`accuracy_variant`), except on a multi-label output
(several sigmoid units, 0/1 label rows), where it is the per-label binary
accuracy tf.keras 2 gave (Keras 3's shape rule would give the arg-max
accuracy); ``subset_accuracy`` is the exact-match ratio there.

Example:
    >>> import numpy as np
    >>> from fittrack.metrics.context import EvalContext
    >>> ctx = EvalContext(np.array([2, 0, 1]), np.eye(3)[[2, 1, 1]])
    >>> accuracy_variant(*ctx.ranked)
    'sparse_categorical_accuracy'
    >>> round(accuracy(ctx), 4)
    0.6667
"""

from __future__ import annotations

import warnings

import numpy as np

from fittrack.metrics.chunks import row_chunks
from fittrack.metrics.context import EvalContext
from fittrack.metrics.task import check_sparse_labels, is_sparse
from fittrack.notices import FittrackWarning

TOP_K = 5


def accuracy_variant(y_true: np.ndarray, y_pred: np.ndarray) -> str:
    """The accuracy Keras' ``compile(metrics=["accuracy"])`` would pick for these shapes."""
    if y_pred.shape[-1] == 1:
        return "binary_accuracy"
    if is_sparse(y_true, y_pred):
        return "sparse_categorical_accuracy"
    return "categorical_accuracy"


def binary_accuracy(ctx: EvalContext) -> float:
    """Share of outputs where ``(y_pred > 0.5) == y_true`` (logits: ``> 0``)."""
    targets, decisions = ctx.ranked[0], ctx.decisions
    return ctx.sample_mean(lambda rows: targets[rows] == decisions[rows])


def _sparse_targets(ctx: EvalContext) -> np.ndarray:
    """Integer targets as given (no float64 copy), without a trailing size-1 axis."""
    yt, yp = ctx.ranked
    if yt.ndim == yp.ndim:
        yt = yt[..., 0]
    return yt


def sparse_categorical_accuracy(ctx: EvalContext) -> float:
    """Share of rows whose integer label is the arg-max of the scores."""
    targets, argmax = _sparse_targets(ctx), ctx.pred_argmax
    return ctx.sample_mean(lambda rows: targets[rows] == argmax[rows])


def categorical_accuracy(ctx: EvalContext) -> float:
    """Share of rows whose one-hot label's arg-max is the scores' arg-max."""
    targets, argmax = ctx.ranked[0], ctx.pred_argmax
    if targets.ndim < 2:  # not one-hot rows: the arg-max of the whole vector, as Keras
        best = np.argmax(targets, axis=-1)
        return ctx.sample_mean(lambda rows: best == argmax[rows])
    return ctx.sample_mean(lambda rows: np.argmax(targets[rows], axis=-1) == argmax[rows])


def accuracy(ctx: EvalContext) -> float:
    """Binary, sparse-categorical or categorical accuracy, chosen from the shapes;
    the per-label binary accuracy on a multi-label output."""
    if ctx.y_pred_given.shape[-1] > 1 and ctx.task == "multilabel":
        _warn_multilabel_once()
        return binary_accuracy(ctx)
    return _VARIANTS[accuracy_variant(*ctx.ranked)](ctx)


def subset_accuracy(ctx: EvalContext) -> float:
    """Share of rows whose predicted labels all match (scikit-learn's ``accuracy_score``)."""
    t, p, w = ctx.true_labels, ctx.pred_labels, ctx.weights
    if not ctx.total_weight:
        return 0.0
    hits = 0.0
    for rows in row_chunks(len(t), t[:1].size):
        match = t[rows] == p[rows]
        if match.ndim > 1:
            match = match.all(axis=1)
        hits += float(np.count_nonzero(match) if w is None else w[rows] @ match)
    return hits / ctx.total_weight


def _warn_multilabel_once() -> None:
    """One warning per process (Python shows a repeated warning once)."""
    warnings.warn(
        "'accuracy' on a multi-label output (several sigmoid units, 0/1 label rows) is "
        "the per-label binary accuracy, as tf.keras 2 computed it (Keras 3's shape "
        "rule would give the arg-max accuracy). Ask for 'subset_accuracy' for the "
        "exact-match ratio (scikit-learn's accuracy_score).", FittrackWarning, stacklevel=4)


def _in_top_k(targets: np.ndarray, scores: np.ndarray, k: int) -> np.ndarray:
    flat = scores.reshape(-1, scores.shape[-1])
    t = check_sparse_labels(targets.reshape(-1), flat.shape[-1])
    at_label = flat[np.arange(len(flat)), t]
    rank = 1 + np.sum(flat > at_label[:, None], axis=1)
    return (rank <= k).reshape(targets.shape)


def sparse_top_k_categorical_accuracy(ctx: EvalContext, k: int = TOP_K) -> float:
    """Share of rows whose integer label is among the ``k`` highest scores (k=5)."""
    targets, scores = _sparse_targets(ctx), ctx.ranked[1]
    return ctx.sample_mean(lambda rows: _in_top_k(targets[rows], scores[rows], k))


def top_k_categorical_accuracy(ctx: EvalContext, k: int = TOP_K) -> float:
    """Share of rows whose one-hot label is among the ``k`` highest scores (k=5);
    integer labels are read as sparse-top-k, as ``accuracy`` adapts to them."""
    if is_sparse(*ctx.ranked):
        return sparse_top_k_categorical_accuracy(ctx, k)
    targets, scores = ctx.ranked
    return ctx.sample_mean(
        lambda rows: _in_top_k(np.argmax(targets[rows], axis=-1), scores[rows], k))


_VARIANTS = {
    "binary_accuracy": binary_accuracy,
    "sparse_categorical_accuracy": sparse_categorical_accuracy,
    "categorical_accuracy": categorical_accuracy,
}
