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

import numpy as np

from fittrack.metrics.common import EPSILON, per_row_mean
from fittrack.metrics.context import EvalContext


def _err(ctx: EvalContext) -> np.ndarray:
    return ctx.y_pred - ctx.y_true


def _mean_last(values: np.ndarray) -> np.ndarray:
    return values.mean(axis=-1)


def mean_squared_error(ctx: EvalContext) -> float:
    """Mean of ``(y_pred - y_true) ** 2``."""
    return per_row_mean(_mean_last(np.square(_err(ctx))), ctx.sample_weight)


def mean_absolute_error(ctx: EvalContext) -> float:
    """Mean of ``|y_pred - y_true|``."""
    return per_row_mean(_mean_last(np.abs(_err(ctx))), ctx.sample_weight)


def mean_absolute_percentage_error(ctx: EvalContext) -> float:
    """``100 * mean(|y_true - y_pred| / max(|y_true|, 1e-7))`` (a percentage, as Keras)."""
    rel = np.abs(_err(ctx)) / np.maximum(np.abs(ctx.y_true), EPSILON)
    return per_row_mean(100.0 * _mean_last(rel), ctx.sample_weight)


def mean_squared_logarithmic_error(ctx: EvalContext) -> float:
    """Mean of ``(log(1 + max(y_pred, eps)) - log(1 + max(y_true, eps))) ** 2``."""
    first = np.log(np.maximum(ctx.y_pred, EPSILON) + 1.0)
    second = np.log(np.maximum(ctx.y_true, EPSILON) + 1.0)
    return per_row_mean(_mean_last(np.square(first - second)), ctx.sample_weight)


def root_mean_squared_error(ctx: EvalContext) -> float:
    """Square root of the (weighted) mean squared error over all outputs."""
    return float(np.sqrt(mean_squared_error(ctx)))


def r2_score(ctx: EvalContext) -> float:
    """Coefficient of determination, averaged uniformly over outputs.

    A constant target gives 1.0 for a perfect fit and 0.0 otherwise, as
    scikit-learn's ``force_finite=True``.
    """
    yt = ctx.y_true.reshape(len(ctx.y_true), -1)
    yp = ctx.y_pred.reshape(len(ctx.y_pred), -1)
    w = np.ones(len(yt)) if ctx.sample_weight is None else ctx.sample_weight
    mean = (w @ yt) / w.sum()
    ss_res = w @ np.square(yt - yp)
    ss_tot = w @ np.square(yt - mean)
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
    cos = np.sum(_l2_normalize(ctx.y_true) * _l2_normalize(ctx.y_pred), axis=-1)
    return per_row_mean(cos, ctx.sample_weight)


def cosine_proximity(ctx: EvalContext) -> float:
    """Keras 2's ``cosine``/``cosine_proximity``: minus the cosine similarity (-1 is best)."""
    return -cosine_similarity(ctx)


def log_cosh(ctx: EvalContext) -> float:
    """Mean of ``log(cosh(y_pred - y_true))``, computed stably."""
    x = _err(ctx)
    values = x + np.logaddexp(0.0, -2.0 * x) - np.log(2.0)
    return per_row_mean(_mean_last(values), ctx.sample_weight)


def huber(ctx: EvalContext, delta: float = 1.0) -> float:
    """Huber loss with ``delta=1``: quadratic near zero, linear beyond."""
    err = _err(ctx)
    abs_err = np.abs(err)
    values = np.where(abs_err <= delta, 0.5 * np.square(err), delta * abs_err - 0.5 * delta**2)
    return per_row_mean(_mean_last(values), ctx.sample_weight)


def poisson(ctx: EvalContext) -> float:
    """Mean of ``y_pred - y_true * log(y_pred + eps)``."""
    values = ctx.y_pred - ctx.y_true * np.log(ctx.y_pred + EPSILON)
    return per_row_mean(_mean_last(values), ctx.sample_weight)


def kl_divergence(ctx: EvalContext) -> float:
    """Kullback-Leibler divergence of the prediction rows from the target rows."""
    yt = np.clip(ctx.y_true, EPSILON, 1.0)
    yp = np.clip(ctx.y_pred, EPSILON, 1.0)
    return per_row_mean(np.sum(yt * np.log(yt / yp), axis=-1), ctx.sample_weight)
