"""Regression metrics with Keras' semantics, on the whole dataset.

Per-row errors are averaged over the last axis, then over rows with the sample
weights (Keras' reduction); ``rmse`` and ``r2`` follow
``keras.metrics.RootMeanSquaredError`` and ``sklearn.metrics.r2_score``.
``cosine`` and ``cosine_proximity`` are the Keras 2 names with the Keras 2
sign (minus the cosine similarity: -1 is a perfect fit), as the classic
tutorials print them.

Example:
    >>> import numpy as np
    >>> from fittrack.metrics.context import EvalContext
    >>> ctx = EvalContext(np.array([1.0, 2.0, 3.0]), np.array([[1.5], [2.0], [2.0]]))
    >>> mean_squared_error(ctx), cosine_proximity(ctx)
    (0.4166666666666667, -1.0)
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from fittrack.metrics.chunks import row_chunks
from fittrack.metrics.common import EPSILON
from fittrack.metrics.context import EvalContext


def _per_row(ctx: EvalContext, fn: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> float:
    """Keras' reduction of ``fn(y_true, y_pred)`` (float64), one chunk of rows at a time."""
    return ctx.sample_mean(lambda rows: fn(*ctx.sample_values(rows)))


def _mean_last(values: np.ndarray) -> np.ndarray:
    return values.mean(axis=-1)


def mean_squared_error(ctx: EvalContext) -> float:
    """Mean of ``(y_pred - y_true) ** 2``."""
    return _per_row(ctx, lambda yt, yp: _mean_last(np.square(yp - yt)))


def mean_absolute_error(ctx: EvalContext) -> float:
    """Mean of ``|y_pred - y_true|``."""
    return _per_row(ctx, lambda yt, yp: _mean_last(np.abs(yp - yt)))


def mean_absolute_percentage_error(ctx: EvalContext) -> float:
    """``100 * mean(|y_true - y_pred| / max(|y_true|, 1e-7))`` (a percentage, as Keras)."""
    return _per_row(ctx, lambda yt, yp: 100.0 * _mean_last(
        np.abs(yp - yt) / np.maximum(np.abs(yt), EPSILON)))


def mean_squared_logarithmic_error(ctx: EvalContext) -> float:
    """Mean of ``(log(1 + max(y_pred, eps)) - log(1 + max(y_true, eps))) ** 2``."""
    def values(yt: np.ndarray, yp: np.ndarray) -> np.ndarray:
        first = np.log(np.maximum(yp, EPSILON) + 1.0)
        second = np.log(np.maximum(yt, EPSILON) + 1.0)
        return _mean_last(np.square(first - second))
    return _per_row(ctx, values)


def root_mean_squared_error(ctx: EvalContext) -> float:
    """Square root of the (weighted) mean squared error over all outputs."""
    return float(np.sqrt(mean_squared_error(ctx)))


def r2_score(ctx: EvalContext) -> float:
    """Coefficient of determination, averaged uniformly over outputs.

    A constant target gives 1.0 for a perfect fit and 0.0 otherwise, as
    scikit-learn's ``force_finite=True``. Two passes over chunks of rows: the
    weighted mean of the targets, then the sums of squares.
    """
    w = ctx.sample_weight
    chunks = row_chunks(ctx.n_samples, ctx.y_pred_given[:1].size)

    def pieces(rows: slice) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        yt, yp = ctx.sample_values(rows)
        wr = np.ones(len(yt)) if w is None else w[rows]
        return yt.reshape(len(yt), -1), yp.reshape(len(yp), -1), wr
    total = float(ctx.n_samples if w is None else w.sum())
    mean = sum(wr @ yt for yt, _, wr in map(pieces, chunks)) / total
    ss_res = ss_tot = 0.0
    for yt, yp, wr in map(pieces, chunks):
        ss_res = ss_res + wr @ np.square(yt - yp)
        ss_tot = ss_tot + wr @ np.square(yt - mean)
    safe = ss_tot > 0
    scores = np.where(safe, 1.0 - ss_res / np.where(safe, ss_tot, 1.0),
                      np.where(ss_res == 0, 1.0, 0.0))
    return float(np.mean(scores))


def _l2_normalize(x: np.ndarray) -> np.ndarray:
    sq = np.sum(np.square(x), axis=-1, keepdims=True)
    with np.errstate(divide="ignore"):
        inv = np.minimum(1.0 / np.sqrt(sq), 1.0 / EPSILON)
    return x * inv


def cosine_similarity(ctx: EvalContext) -> float:
    """Mean cosine of the angle between target and prediction rows (1 is best)."""
    return _per_row(ctx, lambda yt, yp: np.sum(_l2_normalize(yt) * _l2_normalize(yp), axis=-1))


def cosine_proximity(ctx: EvalContext) -> float:
    """Keras 2's ``cosine``/``cosine_proximity``: minus the cosine similarity (-1 is best)."""
    return -cosine_similarity(ctx)


def log_cosh(ctx: EvalContext) -> float:
    """Mean of ``log(cosh(y_pred - y_true))``, computed stably."""
    def values(yt: np.ndarray, yp: np.ndarray) -> np.ndarray:
        x = yp - yt
        return _mean_last(x + np.logaddexp(0.0, -2.0 * x) - np.log(2.0))
    return _per_row(ctx, values)


def huber(ctx: EvalContext, delta: float = 1.0) -> float:
    """Huber loss with ``delta=1``: quadratic near zero, linear beyond."""
    def values(yt: np.ndarray, yp: np.ndarray) -> np.ndarray:
        err = yp - yt
        abs_err = np.abs(err)
        return _mean_last(np.where(abs_err <= delta, 0.5 * np.square(err),
                                   delta * abs_err - 0.5 * delta**2))
    return _per_row(ctx, values)


def poisson(ctx: EvalContext) -> float:
    """Mean of ``y_pred - y_true * log(y_pred + eps)``."""
    return _per_row(ctx, lambda yt, yp: _mean_last(yp - yt * np.log(yp + EPSILON)))


def kl_divergence(ctx: EvalContext) -> float:
    """Kullback-Leibler divergence of the prediction rows from the target rows."""
    def values(yt: np.ndarray, yp: np.ndarray) -> np.ndarray:
        yt, yp = np.clip(yt, EPSILON, 1.0), np.clip(yp, EPSILON, 1.0)
        return np.sum(yt * np.log(yt / yp), axis=-1)
    return _per_row(ctx, values)
