"""ROC and precision-recall points and confusion matrices, in pure NumPy.

The points equal scikit-learn's on the same inputs (``roc_curve`` with its
default ``drop_intermediate=True``, ``precision_recall_curve``), sample
weights included (zero-weight rows are left out, as scikit-learn does). A
curve longer than ``max_points`` is thinned to about that many points: its
two end points and a subset of the exact points are kept (each kept point is
a real ``(x, y, threshold)`` triple of the exact curve), so that the
trapezoid AUC of a thinned ROC curve and the step-wise average precision of
a thinned PR curve stay within ``1e-3`` of the exact ones.

A curve is a dict of aligned 1-D arrays plus ``class`` (the class of each
point: 1 for a binary problem; one-vs-rest, one run of points per class, for
a multi-class one). A PR curve's last point (precision 1, recall 0: nothing
predicted positive) has the threshold ``+inf``, as a ROC curve's first point
has; so ``thresholds[:-1]`` is scikit-learn's PR ``thresholds``.

Example:
    >>> y, s = np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.35, 0.8])
    >>> roc = roc_points(y, s)
    >>> roc["fpr"].tolist(), roc["tpr"].tolist(), roc["thresholds"].tolist()
    ([0.0, 0.0, 0.5, 0.5, 1.0], [0.0, 0.5, 0.5, 1.0, 1.0], [inf, 0.8, 0.4, 0.35, 0.1])
    >>> pr = pr_points(y, s)
    >>> pr["precision"].round(3).tolist(), pr["recall"].tolist(), pr["thresholds"].tolist()
    ([0.5, 0.667, 0.5, 1.0, 1.0], [1.0, 1.0, 0.5, 0.5, 0.0], [0.1, 0.35, 0.4, 0.8, inf])
    >>> curves_for(y, s, kinds=["confusion"])["confusion"]["matrix"].tolist()
    [[2, 0], [1, 1]]
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike

from fittrack.metrics import parallel
from fittrack.metrics.confusion import confusion
from fittrack.metrics.curves import RankingSums, curve_sums
from fittrack.metrics.ranking import UndefinedMetricWarning
from fittrack.metrics.task import argmax_rows
from fittrack.metrics.thinning import (
    average_precision_of,
    pr_measure,
    roc_auc_of,
    roc_error_bound,
    take,
    thin,
)
from fittrack.metrics.threshold_counts import Counts, threshold_counts

KINDS = ("roc", "pr", "confusion")
#: Default length above which a curve is thinned.
MAX_POINTS = 1000
#: scores (rows x classes) from which the classes' curves are spread over threads
THREADS_FROM = 1 << 18


def _ratio(counts: np.ndarray, what: str, out: np.ndarray) -> np.ndarray:
    """``out[1:] = counts / counts[-1]`` (NaN with a warning when there is no such row);
    ``out[0]`` is set by the caller."""
    if counts[-1] <= 0:
        warnings.warn(f"No {what} samples: the {'fpr' if what == 'negative' else 'tpr'} "
                      f"of this ROC curve is NaN.", UndefinedMetricWarning, stacklevel=4)
        out[:] = np.nan
    else:
        np.divide(counts, counts[-1], out=out[1:])
    return out


def roc_points(y_true: np.ndarray, scores: np.ndarray, sample_weight: np.ndarray | None = None,
               *, max_points: int | None = MAX_POINTS) -> dict[str, np.ndarray]:
    """``fpr``, ``tpr``, ``thresholds`` of a binary problem (``y_true`` 1 = positive).

    Equal to ``sklearn.metrics.roc_curve(y_true, scores, sample_weight=...)``
    when the curve has at most ``max_points`` points (None: never thinned).
    """
    return _roc(threshold_counts(*_binary_inputs(y_true, scores, sample_weight)), max_points)


def _roc(counts: Counts, max_points: int | None) -> dict[str, np.ndarray]:
    fps, tps, thresholds = counts
    if len(fps) > 2:  # drop_intermediate: only the corners (a second difference not zero)
        corner = _turns(fps)
        corner |= _turns(tps)
        keep = np.flatnonzero(corner)
        fps, tps, thresholds = fps[keep], tps[keep], thresholds[keep]
    n = len(fps) + 1
    fpr, tpr, kept_thresholds = np.empty(n), np.empty(n), np.empty(n)
    fpr[0] = tpr[0] = 0.0
    kept_thresholds[0] = np.inf
    kept_thresholds[1:] = thresholds
    curve = {"fpr": _ratio(fps, "negative", fpr), "tpr": _ratio(tps, "positive", tpr),
             "thresholds": kept_thresholds}
    if max_points is not None and n > max_points:  # measure: L1 length along the curve
        defined = fps[-1] > 0 and tps[-1] > 0      # then finite and non-decreasing
        rising = _rises(fps) and _rises(tps)       # no negative weight: the bound holds
        curve = take(curve, thin(curve["fpr"] + curve["tpr"], roc_auc_of, curve, max_points,
                                 checked=defined, bound=roc_error_bound if rising else None))
    return curve


def _rises(counts: np.ndarray) -> bool:
    """Whether cumulative counts never fall from 0 (they do only with negative weights;
    the corners fall wherever all the counts do)."""
    return bool(counts[0] >= 0 and (len(counts) < 2 or np.diff(counts).min() >= 0))


def _turns(counts: np.ndarray) -> np.ndarray:
    """Whether each point is kept as a corner: its second difference is not zero
    (``np.diff(counts, 2) != 0``; the end points are always kept)."""
    step = np.diff(counts)
    turns = np.ones(len(counts), dtype=bool)
    np.not_equal(step[1:], step[:-1], out=turns[1:-1])
    return turns


def pr_points(y_true: np.ndarray, scores: np.ndarray, sample_weight: np.ndarray | None = None,
              *, max_points: int | None = MAX_POINTS) -> dict[str, np.ndarray]:
    """``precision``, ``recall``, ``thresholds`` of a binary problem, by increasing threshold.

    ``precision`` and ``recall`` equal ``sklearn.metrics.precision_recall_curve``'s
    when the curve has at most ``max_points`` points; ``thresholds`` is
    scikit-learn's followed by ``+inf`` (the last point: nothing predicted positive).
    """
    return _pr(threshold_counts(*_binary_inputs(y_true, scores, sample_weight)), max_points)


def _pr(counts: Counts, max_points: int | None) -> dict[str, np.ndarray]:
    fps, tps, thresholds = counts
    n = len(tps) + 1     # by increasing threshold: the counts reversed, then the last point
    precision, recall, kept_thresholds = np.empty(n), np.empty(n), np.empty(n)
    ratio = np.add(tps, fps)         # by decreasing threshold, then reversed once
    if ratio.min() > 0:
        np.divide(tps, ratio, out=ratio)
    else:   # where nothing is predicted (weights), the precision stays 0 (= predicted)
        np.divide(tps, ratio, out=ratio, where=ratio != 0)
    precision[:-1] = ratio[::-1]
    precision[-1] = 1.0
    if tps[-1] == 0:
        warnings.warn("No positive samples: the recall of this PR curve is set to 1 for all "
                      "thresholds, as scikit-learn does.", UndefinedMetricWarning, stacklevel=2)
        recall[:-1] = 1.0
    else:
        np.divide(tps[::-1], tps[-1], out=recall[:-1])
    recall[-1] = 0.0
    kept_thresholds[:-1] = thresholds[::-1]
    kept_thresholds[-1] = np.inf
    curve = {"precision": precision, "recall": recall, "thresholds": kept_thresholds}
    if max_points is not None and n > max_points:
        curve = take(curve, thin(pr_measure(precision, recall), average_precision_of, curve,
                                 max_points, checked=True))
    return curve


def _binary_inputs(y_true: np.ndarray, scores: np.ndarray, weights: np.ndarray | None
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    positive = np.asarray(y_true).reshape(-1) == 1
    scores = _floats(scores).reshape(-1)
    weights = None if weights is None else np.asarray(weights, dtype=np.float64).reshape(-1)
    if len(positive) != len(scores) or (weights is not None and len(weights) != len(scores)):
        raise ValueError(f"Expected one label, score (and weight) per row; received "
                         f"{len(positive)} labels, {len(scores)} scores"
                         f"{'' if weights is None else f', {len(weights)} weights'}.")
    return positive, scores, weights


def _floats(scores: ArrayLike) -> np.ndarray:
    """Scores as float32 (model outputs, kept as they are) or float64 (anything else)."""
    array = np.asarray(scores)
    return array if array.dtype == np.float32 else array.astype(np.float64)


def curves_for(y_true: np.ndarray, scores: np.ndarray, sample_weight: np.ndarray | None = None,
               n_classes: int | None = None, kinds: Sequence[str] = KINDS, *,
               max_points: int | None = MAX_POINTS, threshold: float = 0.5,
               predicted: np.ndarray | None = None) -> dict[str, dict[str, np.ndarray]]:
    """The curves of one dataset and output: ``{kind: {name: array}}``.

    Args:
        y_true: integer class labels, shape ``(n,)`` (or ``(n, 1)``).
        scores: probabilities: ``(n,)`` or ``(n, 1)`` for a binary problem (the
            positive class), ``(n, 2)`` (column 1 is the positive class), or
            ``(n, C)`` for ``C > 2`` classes (one-vs-rest curves per class).
        sample_weight: ``(n,)`` weights, scikit-learn's semantics.
        n_classes: default: ``C`` from ``scores`` (2 for a single column).
        kinds: any of ``"roc"``, ``"pr"``, ``"confusion"``.
        max_points: thin longer curves to about this many points per class.
        threshold: binary decision rule of the confusion matrix, ``score > threshold``
            (multi-class: arg-max).
        predicted: multi-class: the predicted class of each row for the confusion
            matrix, when already known (default: the arg-max of ``scores``).

    Returns:
        ``{"roc": {fpr, tpr, thresholds, class}, "pr": {precision, recall,
        thresholds, class}, "confusion": {matrix, labels}}`` for the kinds asked.
    """
    return curves_and_sums(y_true, scores, sample_weight, n_classes, kinds, max_points=max_points,
                           threshold=threshold, predicted=predicted, with_sums=False)[0]


def curves_and_sums(y_true: np.ndarray, scores: np.ndarray,
                    sample_weight: np.ndarray | None = None, n_classes: int | None = None,
                    kinds: Sequence[str] = KINDS, *, max_points: int | None = MAX_POINTS,
                    threshold: float = 0.5, predicted: np.ndarray | None = None,
                    with_sums: bool = True
                    ) -> tuple[dict[str, dict[str, np.ndarray]], RankingSums | None]:
    """:func:`curves_for`'s curves, and the ranking sums of each class (binary: of
    the positive class) read off the same counts before any thinning: what ROC AUC
    and average precision need, without sorting the scores again (None when no
    ROC or PR curve is asked, or ``with_sums`` is False).

    >>> y, s = np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.35, 0.8])
    >>> sums = curves_and_sums(y, s, kinds=["roc"])[1]
    >>> sums.area / (sums.n_pos * sums.n_neg)
    array([0.75])
    """
    unknown = [kind for kind in kinds if kind not in KINDS]
    if unknown:
        raise ValueError(f"Unknown curve kind(s) {unknown}; expected some of {list(KINDS)}.")
    labels, s, y = _classes(y_true, scores, n_classes)
    columns = [(1, s[:, -1])] if len(labels) == 2 else list(enumerate(s.T))
    weights = None if sample_weight is None else \
        np.asarray(sample_weight, dtype=np.float64).reshape(-1)
    ranked = [kind for kind in ("roc", "pr") if kind in kinds]

    def curves_of(column: tuple[int, np.ndarray]) -> tuple[list, tuple[float, ...] | None]:
        label, scores_of_class = column    # one sort, two curves (and the sums)
        counts = threshold_counts(*_binary_inputs(y == label, scores_of_class, weights))
        return ([(_roc if kind == "roc" else _pr)(counts, max_points) for kind in ranked],
                curve_sums(*counts[:2]) if with_sums else None)

    per_class = parallel.parallel_map(curves_of, columns if ranked else [], elements=s.size,
                                      threads_from=THREADS_FROM)
    out = {kind: _concat([(label, curves[k]) for (label, _), (curves, _) in
                          zip(columns, per_class)]) for k, kind in enumerate(ranked)}
    sums = RankingSums(*(np.array(v, dtype=np.float64) for v in
                         zip(*(class_sums for _, class_sums in per_class)))) \
        if ranked and with_sums else None
    if "confusion" in kinds:
        if len(labels) == 2:
            predicted = (s[:, -1] > threshold).astype(np.int64)
        elif predicted is None:
            predicted = argmax_rows(s)
        out["confusion"] = confusion(y, predicted, labels, weights)
    return out, sums


def _classes(y_true: np.ndarray, scores: np.ndarray, n_classes: int | None
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(labels, scores as (n, k) float32 or float64, y_true as 1-D int64)``, checked."""
    y = np.asarray(y_true)
    y = y[:, 0] if y.ndim == 2 and y.shape[1] == 1 else y
    if y.ndim != 1:
        raise ValueError(f"y_true must hold integer class labels, shape (n,); received shape "
                         f"{y.shape} (one-hot labels: pass np.argmax(y, axis=1)).")
    s = _floats(scores)
    s = s.reshape(len(s), int(np.prod(s.shape[1:]))) if s.ndim else s.reshape(1, 1)
    n_classes = n_classes if n_classes is not None else max(s.shape[1], 2)
    if n_classes < 2 or len(s) != len(y) or \
            s.shape[1] not in ((1, 2) if n_classes == 2 else (n_classes,)):
        raise ValueError(f"Expected scores of shape ({len(y)},), ({len(y)}, 1) or ({len(y)}, 2) "
                         f"for 2 classes, ({len(y)}, C) for C > 2; received {s.shape} with "
                         f"n_classes={n_classes}.")
    labels = np.arange(n_classes)
    if not np.isin(y, labels).all():
        raise ValueError(f"y_true holds labels outside 0..{n_classes - 1}: "
                         f"{np.setdiff1d(y, labels)[:5].tolist()}.")
    return labels, s, y.astype(np.int64)


def _concat(parts: list[tuple[int, dict[str, np.ndarray]]]) -> dict[str, np.ndarray]:
    """One curve dict of all classes, with the ``class`` of every point."""
    out = {name: np.concatenate([curve[name] for _, curve in parts]) for name in parts[0][1]}
    out["class"] = np.concatenate([np.full(len(next(iter(curve.values()))), label, np.int64)
                                   for label, curve in parts])
    return out
