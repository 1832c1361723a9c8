"""Thinning: the ROC bound holds, the exact check is skipped only when it does, the PR
measure is the curve's length; the thinned scores stay within the tolerance."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import average_precision_score, roc_auc_score

from fittrack.metrics.curve_points import pr_points, roc_points
from fittrack.metrics.thinning import (
    TOLERANCE,
    average_precision_of,
    pr_measure,
    roc_auc_of,
    roc_error_bound,
    take,
    thin,
)


def _scores(n: int, seed: int, separation: float) -> tuple[np.ndarray, np.ndarray]:
    """Labels and float32 scores; ``separation`` 0 is a random classifier (a diagonal ROC)."""
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.3).astype(np.int64)
    return y, (rng.normal(size=n) + separation * y).astype(np.float32)


@pytest.mark.parametrize("seed", range(6))
def test_the_roc_bound_is_never_below_the_area_change(seed):
    rng = np.random.default_rng(seed)
    y, s = _scores(3000, seed, separation=seed / 2)
    curve = roc_points(y, s, max_points=None)
    n = len(curve["fpr"])
    exact = roc_auc_of(curve)
    for size in (2, 10, 100, n // 3):
        kept = np.unique(np.concatenate([[0, n - 1], rng.choice(n, size, replace=False)]))
        change = abs(roc_auc_of(take(curve, kept)) - exact)
        assert change <= roc_error_bound(curve, kept) + 1e-15
    assert roc_error_bound(curve, np.arange(n)) == 0.0   # nothing left out


@pytest.mark.parametrize("separation, max_points, skipped", [
    (3.0, 1000, True), (0.0, 1000, True),     # a 1000-point ROC curve moves by < 1 / 1000
    (0.0, 200, False), (1.0, 100, False)])    # coarser: the bound exceeds the tolerance
def test_the_exact_check_is_skipped_only_when_the_bound_proves_the_tolerance(
        separation, max_points, skipped):
    y, s = _scores(60_000, 1, separation)
    curve = roc_points(y, s, max_points=None)
    scored = []

    def score(c):
        scored.append(len(c["fpr"]))
        return roc_auc_of(c)

    kept = thin(curve["fpr"] + curve["tpr"], score, curve, max_points, bound=roc_error_bound)
    assert (not scored) is skipped            # the full pass over every point is not made
    assert len(kept) < len(curve["fpr"]) / 5
    assert abs(roc_auc_of(take(curve, kept)) - roc_auc_score(y, s)) <= TOLERANCE


def test_an_undefined_curve_is_never_skipped_by_its_bound():
    curve = {"fpr": np.full(5000, np.nan), "tpr": np.linspace(0, 1, 5000)}
    assert np.isnan(roc_error_bound(curve, np.array([0, 4999])))
    kept = thin(curve["fpr"] + curve["tpr"], roc_auc_of, curve, 100, bound=roc_error_bound)
    assert kept[0] == 0 and kept[-1] == 4999


@pytest.mark.parametrize("seed", range(3))
def test_the_pr_measure_is_the_precisions_variation_less_the_recall(seed):
    y, s = _scores(20_000, seed, separation=1.0)
    curve = pr_points(y, s, max_points=None)
    precision, recall = curve["precision"], curve["recall"]
    measure = pr_measure(precision, recall)
    assert np.all(np.isfinite(measure)) and np.all(np.diff(measure) >= 0)
    exact = np.concatenate([[0.0], np.cumsum(np.abs(np.diff(precision)))]) - recall
    units = np.arange(len(measure)) * 2.0 ** -30      # at most one unit lost per step
    assert np.all(measure <= exact + 1e-12) and np.all(exact - measure <= units + 1e-12)


@pytest.mark.parametrize("separation", [0.0, 0.5, 2.0, 6.0])
def test_thinned_curves_of_many_shapes_keep_their_scores(separation):
    y, s = _scores(100_000, 7, separation)
    roc, pr = roc_points(y, s), pr_points(y, s)
    assert len(roc["fpr"]) <= 1100 and len(pr["recall"]) <= 1100
    assert abs(roc_auc_of(roc) - roc_auc_score(y, s)) <= TOLERANCE
    assert abs(average_precision_of(pr) - average_precision_score(y, s)) <= TOLERANCE


@pytest.mark.parametrize("seed", range(4))
def test_curves_with_negative_weights_are_checked_in_full(seed):
    # Counts fall where a weight is negative: the bound (for rising curves) does not hold,
    # so the exact area is compared, and the thinned area stays within the tolerance.
    rng = np.random.default_rng(seed)
    y = (rng.random(500) < 0.4).astype(np.int64)
    s, w = rng.random(500), rng.exponential(size=500)
    w[rng.random(500) < 0.3] *= -1.0               # the totals stay positive
    exact = roc_auc_of(roc_points(y, s, w, max_points=None))
    for max_points in (3, 10, 100):
        assert abs(roc_auc_of(roc_points(y, s, w, max_points=max_points)) - exact) <= TOLERANCE
