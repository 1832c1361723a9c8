"""Exact ranking metrics: ROC AUC and average precision (PR AUC).

Both are read off the weighted cumulative curves of every class
(:mod:`fittrack.metrics.curves`, summed once per evaluation and shared through
the context), with tied scores grouped into one threshold, as scikit-learn does. Multi-class problems are macro averages of
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

from fittrack.metrics.common import UndefinedMetricWarning
from fittrack.metrics.context import EvalContext
from fittrack.metrics.curves import RankingSums, ranking_sums


def class_sums(ctx: EvalContext) -> RankingSums:
    """Every class's ranking sums (one class for a binary problem), cached on the context."""
    def build():
        if ctx.task == "binary":
            return ranking_sums(ctx.scores[:, None], ctx.true_labels[:, None], ctx.weights)
        if ctx.task == "multilabel":
            return ranking_sums(ctx.scores, ctx.true_labels, ctx.weights)
        return ranking_sums(ctx.scores, ctx.true_labels, ctx.weights)  # one-vs-rest
    return ctx.memo("ranking_sums", build)


def roc_auc(ctx: EvalContext) -> float:
    """Exact ROC AUC: binary, or the macro average of one-vs-rest AUCs."""
    s = class_sums(ctx)
    pairs = s.n_pos * s.n_neg
    per_class = np.divide(s.area, pairs, out=np.full(len(pairs), np.nan), where=pairs > 0)
    return _macro(per_class, "auc", "it needs both a positive and a negative row")


def average_precision(ctx: EvalContext) -> float:
    """Average precision (``sklearn.metrics.average_precision_score``), macro over classes."""
    s = class_sums(ctx)
    per_class = np.divide(s.ap_sum, s.n_pos, out=np.full(len(s.n_pos), np.nan), where=s.n_pos > 0)
    return _macro(per_class, "pr_auc", "it needs a positive row")


def _macro(values: np.ndarray, name: str, why: str) -> float:
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
