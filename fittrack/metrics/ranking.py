"""Exact ranking metrics: ROC AUC and average precision (PR AUC).

Both are read off the weighted cumulative curves of every class
(:mod:`fittrack.metrics.curves`, summed once per evaluation and shared through
the context), with tied scores grouped into one threshold, as scikit-learn does.
Multi-class problems are macro averages of
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
from collections.abc import Sequence
from typing import Any

import numpy as np

from fittrack.metrics.common import UndefinedMetricWarning
from fittrack.metrics.context import EvalContext
from fittrack.metrics.curves import RankingSums, ranking_sums
from fittrack.metrics.probabilities import log_odds
from fittrack.metrics.sorted_ranks import sorted_sums

#: below this many (positive, negative) pairs a float64 sum of the curves' integer
#: counts gives the ROC area exactly
EXACT_PAIRS = 2.0**52


def class_sums(ctx: EvalContext) -> RankingSums:
    """Every class's ranking sums (one class for a binary problem), cached on the context."""
    def build() -> RankingSums:
        labels = ctx.true_labels[:, None] if ctx.task == "binary" else ctx.true_labels
        if _softmax_scores(ctx) and ctx.weights is None:
            return _softmax_sums(ctx, labels)
        scores = ctx.scores[:, None] if ctx.task == "binary" else ctx.scores
        return ranking_sums(scores, labels, ctx.weights)  # multi-class: one-vs-rest
    return ctx.memo("ranking_sums", build)


def wants_curve_sums(ctx: EvalContext, specs: Sequence[Any]) -> bool:
    """Whether the curves of ``ctx`` should also give their ranking sums: a metric among
    ``specs`` reads them (``auc``, ``pr_auc``) and :func:`adopt_class_sums` can take them."""
    return any(getattr(spec, "compute", None) in (roc_auc, average_precision)
               for spec in specs) and _ranks_as_curves(ctx)


def adopt_class_sums(ctx: EvalContext, sums: RankingSums) -> None:
    """Let :func:`class_sums` use the sums read off the curves' counts (one sort per
    class instead of two) when they rank the same scores alike (:func:`_ranks_as_curves`)
    and hold one class per column the metrics rank. The ROC areas are the same numbers
    (float sums of integers, exact while twice the area, at most ``2 * n_pos * n_neg``,
    stays below ``2**53``: larger sets sort again); an AP sum may differ in its last bits."""
    n_columns = 1 if ctx.task == "binary" else ctx.y_pred_given.shape[-1]
    if _ranks_as_curves(ctx) and len(sums.area) == n_columns and \
            bool(np.all(sums.n_pos * sums.n_neg < EXACT_PAIRS)):
        ctx.memo("ranking_sums", lambda: sums)


def _ranks_as_curves(ctx: EvalContext) -> bool:
    """Whether :func:`class_sums` ranks the scores the curves rank, alike: outputs that
    are probabilities (with logits the curves rank the rounded probabilities, the AUC
    the logits or log-odds), no sample weights (weighted sums add in another order), a
    binary or multi-class task."""
    return not ctx.problem.logits and ctx.weights is None and \
        ctx.task in ("binary", "multiclass")


def _softmax_scores(ctx: EvalContext) -> bool:
    """Whether the scores come from the softmax of logits (not the outputs themselves)."""
    return ctx.problem.logits and ctx.task != "multilabel" and ctx.y_pred_given.shape[-1] > 1


def _softmax_sums(ctx: EvalContext, labels: np.ndarray) -> RankingSums:
    """The sums of the softmax's log-odds (ordered as its probabilities, without their
    rounding to 1.0), computed per chunk of rows, never all at once."""
    n_rows, n_cols = len(labels), ctx.y_pred_given.shape[-1]
    ranked = ctx.y_pred_given.reshape(-1, n_cols)
    if ctx.task == "binary":  # two columns: the second is the positive class's
        return RankingSums(*sorted_sums(lambda rows: log_odds(ranked[rows])[:, 1:],
                                        n_rows, 1, labels, np.float64))
    return RankingSums(*sorted_sums(lambda rows: log_odds(ranked[rows]), n_rows,
                                    n_cols, labels, np.float64))


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
