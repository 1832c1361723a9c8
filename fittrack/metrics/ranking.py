"""Exact ranking metrics: ROC AUC and average precision (PR AUC).

Both are read off one weighted cumulative curve per class (one sort per class
per evaluation, shared through the context), with tied scores grouped into one
threshold, as scikit-learn does. Multi-class problems are macro averages of
one-vs-rest scores; multilabel problems are macro averages over the labels.
A class whose curve is undefined (no positive or no negative row) is left out
of the average with a warning; if none is defined the value is NaN.

Example:
    >>> import numpy as np
    >>> from fittrack.metrics.context import EvalContext
    >>> ctx = EvalContext(np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.35, 0.8]))
    >>> roc_auc(ctx), average_precision(ctx)
    (0.75, 0.8333333333333333)
"""

from __future__ import annotations

import warnings

import numpy as np

from fittrack.metrics.context import EvalContext


class UndefinedMetricWarning(UserWarning):
    """A metric is not defined on these data (one class present, no rows...)."""


def binary_curve(scores: np.ndarray, positive: np.ndarray,
                 weights: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """Cumulative weighted false and true positives at each distinct threshold.

    Thresholds run from the highest score down; tied scores share a threshold.

    >>> fps, tps = binary_curve(np.array([0.9, 0.5, 0.5, 0.1]),
    ...                         np.array([1, 0, 1, 0]), None)
    >>> fps.tolist(), tps.tolist()
    ([0.0, 1.0, 2.0], [1.0, 2.0, 2.0])
    """
    bits = sortable_bits(scores)
    n = len(scores)
    if bits is not None and weights is None:
        # One sort of (score bits, label bit): no argsort, no gathers. Non-negative
        # scores (probabilities) have 31-bit patterns, so the key fits 32 bits.
        one = bits.dtype.type(1)
        key = np.sort((bits << one) | positive.astype(bits.dtype))[::-1]
        y, thresholds, w = key & one, key >> one, None
    else:
        if bits is not None:  # (score bits, row index): a sort is faster than an argsort
            wide = bits.astype(np.uint64)
            key = np.sort((wide << np.uint64(32)) | np.arange(n, dtype=np.uint64))[::-1]
            order, thresholds = (key & np.uint64(0xFFFFFFFF)).astype(np.int64), key >> np.uint64(32)
        else:
            order = np.argsort(scores)[::-1]
            thresholds = scores[order]
        y = positive[order].astype(np.float64)
        w = None if weights is None else weights[order]
    idx = np.append(np.flatnonzero(thresholds[1:] != thresholds[:-1]), n - 1)
    if w is None:
        tps = np.cumsum(y)[idx].astype(np.float64)
        return (idx + 1) - tps, tps
    tps = np.cumsum(y * w)[idx]
    return np.cumsum(w)[idx] - tps, tps


def sortable_bits(scores: np.ndarray) -> np.ndarray | None:
    """Unsigned keys ordered as the scores, when every score is exact in float32.

    Model outputs are float32 (or float16): their 32-bit patterns, with the
    sign bit flipped for positives and all bits flipped for negatives, sort
    like the values, so one ``np.sort`` of packed integers replaces an argsort.
    Non-negative scores keep their raw patterns (``uint32``, below ``2**31``);
    others become ``uint64``. None for scores that need float64.

    >>> sortable_bits(np.array([0.5, -2.0, 0.0, -0.0, 3.0])).argsort().tolist()
    [1, 2, 3, 0, 4]
    """
    s32 = scores.astype(np.float32)
    if not np.array_equal(s32, scores):
        return None
    bits = (s32 + np.float32(0.0)).view(np.uint32)  # -0.0 -> +0.0
    if not (bits >> np.uint32(31)).any():
        return bits                     # non-negative: the raw patterns, below 2**31
    bits = bits.astype(np.uint64)
    negative = (bits >> np.uint64(31)) == 1
    return np.where(negative, bits ^ np.uint64(0xFFFFFFFF), bits | np.uint64(0x80000000))


def auc_from_curve(fps: np.ndarray, tps: np.ndarray) -> float:
    """Area under the ROC curve (trapezoids; ties count one half)."""
    n_pos, n_neg = tps[-1], fps[-1]
    if n_pos <= 0 or n_neg <= 0:
        return float("nan")
    fpr = np.concatenate([[0.0], fps]) / n_neg
    tpr = np.concatenate([[0.0], tps]) / n_pos
    return float(np.sum(np.diff(fpr) * (tpr[1:] + tpr[:-1])) / 2.0)


def ap_from_curve(fps: np.ndarray, tps: np.ndarray) -> float:
    """Average precision: the sum over thresholds of precision times recall gained."""
    n_pos = tps[-1]
    if n_pos <= 0:
        return float("nan")
    predicted = tps + fps
    precision = np.divide(tps, predicted, out=np.zeros_like(tps), where=predicted > 0)
    recall_gain = np.diff(np.concatenate([[0.0], tps])) / n_pos
    return float(np.sum(recall_gain * precision))


def class_curves(ctx: EvalContext) -> list[tuple[np.ndarray, np.ndarray]]:
    """One curve per class (one for a binary problem), cached on the context."""
    def build():
        if ctx.task == "binary":
            return [binary_curve(ctx.scores, ctx.true_labels, ctx.weights)]
        if ctx.task == "multilabel":
            positives = [ctx.true_labels[:, c] for c in range(ctx.n_classes)]
        else:
            positives = [ctx.true_labels == c for c in range(ctx.n_classes)]
        return [binary_curve(ctx.scores[:, c], positives[c], ctx.weights)
                for c in range(ctx.n_classes)]
    return ctx.memo("class_curves", build)


def roc_auc(ctx: EvalContext) -> float:
    """Exact ROC AUC: binary, or the macro average of one-vs-rest AUCs."""
    return _macro([auc_from_curve(*c) for c in class_curves(ctx)], "auc",
                  "it needs both a positive and a negative row")


def average_precision(ctx: EvalContext) -> float:
    """Average precision (``sklearn.metrics.average_precision_score``), macro over classes."""
    return _macro([ap_from_curve(*c) for c in class_curves(ctx)], "pr_auc",
                  "it needs a positive row")


def _macro(values: list[float], name: str, why: str) -> float:
    arr = np.asarray(values, dtype=np.float64)
    defined = ~np.isnan(arr)
    if not defined.any():
        warnings.warn(
            f"{name} is undefined on these data ({why}); recorded as NaN.",
            UndefinedMetricWarning, stacklevel=3)
        return float("nan")
    if len(arr) > 1 and not defined.all():
        missing = np.flatnonzero(~defined).tolist()
        warnings.warn(
            f"{name}: classes {missing} have no usable rows ({why}); the macro "
            f"average is over the other {int(defined.sum())} classes.",
            UndefinedMetricWarning, stacklevel=3)
    return float(arr[defined].mean())
