"""Thinning a long curve to about ``max_points`` points while keeping its area.

A ROC or PR curve of a million rows has up to a million points; drawn or
saved every epoch, a thousand do. :func:`thin` keeps the two end points and
a subset of the exact points (each kept point is a real point of the curve),
chosen so that the trapezoid AUC of a ROC curve and the step-wise average
precision of a PR curve move by at most ``TOLERANCE``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

#: Largest change of the ROC AUC / average precision that thinning may cause.
TOLERANCE = 1e-3
#: the PR measure's unit: the precision's variation is summed in integer steps of it
_UNIT = 2.0 ** -30

Curve = dict[str, np.ndarray]
Bound = Callable[[Curve, np.ndarray], float]


def roc_auc_of(curve: Curve) -> float:
    """Trapezoid area under a ROC curve's points (NaN for an undefined curve)."""
    return float(np.trapezoid(curve["tpr"], curve["fpr"]))


def average_precision_of(curve: Curve) -> float:
    """Step-wise average precision of a PR curve's points (scikit-learn's formula)."""
    return float(-np.sum(np.diff(curve["recall"]) * curve["precision"][:-1]))


def roc_error_bound(curve: Curve, kept: np.ndarray) -> float:
    """An upper bound of the trapezoid AUC's change when only ``kept`` is kept, for a
    curve that never falls (no negative sample weight).

    Between two kept points the exact curve rises monotonically inside their
    box, so the chord's area is within half the box of the exact area:
    ``sum(dfpr * dtpr) / 2`` over the gaps where points were left out (NaN for
    an undefined curve)."""
    fpr, tpr = curve["fpr"][kept], curve["tpr"][kept]
    gaps = np.diff(kept) > 1
    return float(np.sum((np.diff(fpr) * np.diff(tpr))[gaps])) / 2


def pr_measure(precision: np.ndarray, recall: np.ndarray) -> np.ndarray:
    """A PR curve's length so far, by increasing threshold (finite, non-decreasing):
    the precision's variation summed in integer steps of ``2**-30`` (a float
    cumulative sum is several times slower), less the recall."""
    steps = np.empty(len(precision), np.int64)
    steps[0] = 0
    change = np.subtract(precision[1:], precision[:-1])
    np.abs(change, out=change)
    change *= 1 / _UNIT            # a sum of at most len(precision) / _UNIT: no overflow
    steps[1:] = change             # truncated: each step loses less than one unit
    np.cumsum(steps, out=steps)
    measure = np.multiply(steps, _UNIT)
    measure -= recall
    return measure


def thin(measure: np.ndarray, score: Callable[[Curve], float], curve: Curve, max_points: int,
         tolerance: float = TOLERANCE, checked: bool = False, bound: Bound | None = None
         ) -> np.ndarray:
    """Indices of the points to keep: about ``max_points``, ``score`` within ``tolerance``.

    ``measure`` grows along the curve (its length so far); the points are put
    in ``max_points // 2`` bins of equal measure and the first and last point
    of each bin are kept. The change of ``score`` is then checked: if it moved
    more than ``tolerance``, the bins are halved until it does not (at worst
    every point is kept). ``bound(curve, kept)``: an upper bound of the change
    from the kept points alone; when it is within the tolerance (less 1% for
    rounding) the exact score (a pass over every point) is not computed.
    ``checked``: the caller knows ``measure`` is finite and non-decreasing (not
    checked again).

    Example:
        >>> x = np.linspace(0, 1, 10_001)
        >>> c = {"fpr": x, "tpr": np.sqrt(x)}
        >>> kept = thin(x + np.sqrt(x), roc_auc_of, c, 1000)
        >>> error = abs(roc_auc_of(take(c, kept)) - 2 / 3)
        >>> len(kept) <= 1002, int(kept[0]), int(kept[-1]), error < 1e-3
        (True, 0, 10000, True)
    """
    n = len(measure)
    if not checked:
        measure = np.where(np.isfinite(measure), measure, 0.0)
    if measure[-1] <= measure[0] or not (checked or np.all(np.diff(measure) >= 0)):
        measure = np.arange(n, dtype=np.float64)  # undefined (NaN) curve: evenly spaced
        bound = None
    exact: float | None = None
    bins = max(max_points // 2, 1)
    while True:  # the first point of each bin (a binary search per bin) and the one before it
        if bins > n:            # finer bins than points (flat stretches of the measure): all
            return np.arange(n)
        edges = measure[0] + (measure[-1] - measure[0]) * (np.arange(1, bins) / bins)
        kept = _sorted_unique(np.searchsorted(measure, edges, side="left"), n)
        if len(kept) >= n or _within(bound, curve, kept, tolerance):
            return kept
        exact = score(curve) if exact is None else exact
        if not abs(score(take(curve, kept)) - exact) > tolerance:  # NaN scores: keep these
            return kept
        bins *= 2


def _within(bound: Bound | None, curve: Curve, kept: np.ndarray, tolerance: float) -> bool:
    """Whether ``bound`` proves the change within the tolerance (less 1% for rounding)."""
    return bound is not None and bound(curve, kept) <= 0.99 * tolerance


def _sorted_unique(first: np.ndarray, n: int) -> np.ndarray:
    """The sorted distinct indices among ``0``, ``n - 1``, ``first - 1`` and ``first``
    (clipped to ``0..n-1``); ``np.unique`` of them, several times faster on a thousand."""
    kept = np.empty(2 * len(first) + 2, np.int64)
    kept[0], kept[1] = 0, n - 1
    np.subtract(first, 1, out=kept[2::2])
    kept[3::2] = first
    np.clip(kept, 0, n - 1, out=kept)
    kept.sort()
    new = np.empty(len(kept), bool)
    new[0] = True
    np.not_equal(kept[1:], kept[:-1], out=new[1:])
    return kept[new]


def take(curve: Curve, kept: np.ndarray) -> Curve:
    return {name: values[kept] for name, values in curve.items()}  # the points kept
