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


def roc_auc_of(curve: dict[str, np.ndarray]) -> float:
    """Trapezoid area under a ROC curve's points (NaN for an undefined curve)."""
    return float(np.trapezoid(curve["tpr"], curve["fpr"]))


def average_precision_of(curve: dict[str, np.ndarray]) -> float:
    """Step-wise average precision of a PR curve's points (scikit-learn's formula)."""
    return float(-np.sum(np.diff(curve["recall"]) * curve["precision"][:-1]))


def thin(measure: np.ndarray, score: Callable[[dict[str, np.ndarray]], float],
         curve: dict[str, np.ndarray], max_points: int, tolerance: float = TOLERANCE,
         checked: bool = False) -> np.ndarray:
    """Indices of the points to keep: about ``max_points``, ``score`` within ``tolerance``.

    ``measure`` grows along the curve (its length so far); the points are put
    in ``max_points // 2`` bins of equal measure and the first and last point
    of each bin are kept. For ROC (measure ``fpr + tpr``) that bounds the AUC
    change by ``1 / max_points``; for PR (recall plus the precision's
    variation) the change is checked: if ``score`` moved more than
    ``tolerance``, the bins are halved until it does not (at worst every
    point is kept). ``checked``: the caller knows ``measure`` is finite and
    non-decreasing (not checked again).

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
    exact = score(curve)
    bins = max(max_points // 2, 1)
    while True:  # the first point of each bin (a binary search per bin) and the one before it
        if bins > n:            # finer bins than points (flat stretches of the measure): all
            return np.arange(n)
        edges = measure[0] + (measure[-1] - measure[0]) * (np.arange(1, bins) / bins)
        first = np.searchsorted(measure, edges, side="left")
        kept = np.unique(np.concatenate([[0, n - 1], first - 1, first]).clip(0, n - 1))
        error = abs(score(take(curve, kept)) - exact)
        if len(kept) >= n or not error > tolerance:  # NaN scores: keep what we have
            return kept
        bins *= 2


def take(curve: dict[str, np.ndarray], kept: np.ndarray) -> dict[str, np.ndarray]:
    return {name: values[kept] for name, values in curve.items()}  # the points kept
