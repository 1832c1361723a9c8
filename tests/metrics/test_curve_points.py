"""ROC / PR points and confusion matrices against scikit-learn; the thinning bounds."""

from __future__ import annotations

import doctest
import threading

import numpy as np
import pytest
from sklearn.metrics import (
    average_precision_score,
    confusion_matrix,
    precision_recall_curve,
    roc_auc_score,
    roc_curve,
)

from fittrack.metrics import UndefinedMetricWarning, curve_points, parallel
from fittrack.metrics.curve_points import confusion, curves_for, pr_points, roc_points
from fittrack.metrics.curves import ranking_sums
from fittrack.metrics.thinning import average_precision_of, roc_auc_of


def _binary(n: int, seed: int, decimals: int | None = None, dtype=np.float32):
    """Imbalanced labels and probability-like scores (ties when ``decimals`` is set)."""
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.15).astype(np.int64)
    s = np.clip(rng.normal(0.35 + 0.25 * y, 0.2), 0, 1)
    s = np.round(s, decimals) if decimals is not None else s
    return y, s.astype(dtype), rng.random(n)


def _weights(w: np.ndarray, weighted: bool) -> np.ndarray | None:
    if not weighted:
        return None
    w = w.copy()
    w[::9] = 0.0  # zero weights: scikit-learn leaves those rows out of the curves
    return w


def _assert_pr_equal(curve, y, s, w):
    precision, recall, thresholds = precision_recall_curve(y, s, sample_weight=w)
    np.testing.assert_array_equal(curve["precision"], precision)
    np.testing.assert_array_equal(curve["recall"], recall)
    np.testing.assert_array_equal(curve["thresholds"][:-1], thresholds)
    assert curve["thresholds"][-1] == np.inf


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("n, decimals, dtype", [
    (7, None, np.float32), (300, 1, np.float32), (900, 2, np.float64), (900, None, np.float64),
])
def test_short_curves_equal_sklearn_exactly(n, decimals, dtype, weighted):
    y, s, w = _binary(n, seed=n, decimals=decimals, dtype=dtype)
    w = _weights(w, weighted)
    roc = roc_points(y, s, w)
    fpr, tpr, thresholds = roc_curve(y, s, sample_weight=w)
    assert len(fpr) <= 1000  # not thinned
    np.testing.assert_array_equal(roc["fpr"], fpr)
    np.testing.assert_array_equal(roc["tpr"], tpr)
    np.testing.assert_array_equal(roc["thresholds"], thresholds)
    pr = pr_points(y, s, w, max_points=None)
    _assert_pr_equal(pr, y, s, w)


@pytest.mark.parametrize("decimals", [None, 1])
def test_logit_scores_with_negative_values_and_signed_zeros_equal_sklearn(decimals):
    """float32 scores of both signs (the packed keys' two encodings), ties, -0.0 and +0.0."""
    y, s, _ = _binary(500, seed=5, decimals=decimals)
    s = (s - np.float32(0.4)) * np.float32(8.0)
    s[:40] = np.float32(-0.0)
    s[40:60] = np.float32(0.0)
    roc, pr = roc_points(y, s), pr_points(y, s, max_points=None)
    fpr, tpr, thresholds = roc_curve(y, s)
    np.testing.assert_array_equal(roc["fpr"], fpr)
    np.testing.assert_array_equal(roc["tpr"], tpr)
    np.testing.assert_array_equal(roc["thresholds"], thresholds)
    _assert_pr_equal(pr, y, s, None)


@pytest.mark.parametrize("weighted", [False, True])
def test_max_points_none_never_thins(weighted):
    y, s, w = _binary(20_000, seed=1)
    w = _weights(w, weighted)
    roc = roc_points(y, s, w, max_points=None)
    fpr, tpr, _ = roc_curve(y, s, sample_weight=w)
    assert len(fpr) > 1000
    np.testing.assert_array_equal(roc["fpr"], fpr)
    np.testing.assert_array_equal(roc["tpr"], tpr)
    _assert_pr_equal(pr_points(y, s, w, max_points=None), y, s, w)


def _is_subset_of(thinned, exact, names):
    """Every thinned point is a point of the exact curve (matched by its threshold)."""
    position = {t: i for i, t in enumerate(exact["thresholds"])}
    index = np.array([position[t] for t in thinned["thresholds"]])
    assert np.all(np.diff(index) > 0)  # in order, no repeats
    for name in names:
        np.testing.assert_array_equal(thinned[name], exact[name][index])
    assert index[0] == 0 and index[-1] == len(exact["thresholds"]) - 1  # end points kept


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("n, seed", [(5_000, 0), (50_000, 1), (200_000, 2)])
def test_long_curves_are_thinned_within_the_bounds(n, seed, weighted):
    y, s, w = _binary(n, seed)
    w = _weights(w, weighted)
    roc, pr = roc_points(y, s, w), pr_points(y, s, w)
    exact_roc, exact_pr = roc_points(y, s, w, max_points=None), pr_points(y, s, w, max_points=None)
    for thinned, exact, names in ((roc, exact_roc, ("fpr", "tpr")),
                                  (pr, exact_pr, ("precision", "recall"))):
        if len(exact["thresholds"]) > 1000:
            assert len(thinned["thresholds"]) <= 1100
        _is_subset_of(thinned, exact, names)
    assert len(exact_pr["thresholds"]) > 1000
    assert abs(roc_auc_of(roc) - roc_auc_score(y, s, sample_weight=w)) <= 1e-3
    assert abs(average_precision_of(pr) - average_precision_score(y, s, sample_weight=w)) <= 1e-3


def test_thinning_a_zigzag_precision_curve_keeps_the_average_precision():
    # positives and negatives alternate at the top: precision swings at every step
    n = 40_000
    rng = np.random.default_rng(3)
    s = np.linspace(1, 0, n)
    y = np.where(np.arange(n) < 4000, np.arange(n) % 2, rng.random(n) < 0.05).astype(int)
    pr = pr_points(y, s)
    assert len(pr["recall"]) <= 1100
    assert abs(average_precision_of(pr) - average_precision_score(y, s)) <= 1e-3
    roc = roc_points(y, s)
    assert abs(roc_auc_of(roc) - roc_auc_score(y, s)) <= 1e-3


def test_multiclass_one_vs_rest_per_class_and_confusion():
    rng = np.random.default_rng(4)
    n, c = 900, 4  # short curves: not thinned
    y = rng.integers(0, c, n)
    p = rng.dirichlet(np.ones(c), n).astype(np.float32)
    p[np.arange(n), y] += 0.3
    p /= p.sum(axis=1, keepdims=True)
    w = rng.random(n)
    for weights in (None, w):
        out = curves_for(y, p, weights)
        assert sorted(out) == ["confusion", "pr", "roc"]
        assert np.unique(out["roc"]["class"]).tolist() == list(range(c))
        for k in range(c):
            roc = {name: a[out["roc"]["class"] == k] for name, a in out["roc"].items()}
            fpr, _tpr, thresholds = roc_curve(y == k, p[:, k], sample_weight=weights)
            np.testing.assert_array_equal(roc["fpr"], fpr)
            np.testing.assert_array_equal(roc["thresholds"], thresholds)
            pr = {name: a[out["pr"]["class"] == k] for name, a in out["pr"].items()}
            _assert_pr_equal(pr, y == k, p[:, k], weights)
        expected = confusion_matrix(y, p.argmax(axis=1), sample_weight=weights)
        np.testing.assert_array_equal(out["confusion"]["matrix"], expected)
        assert out["confusion"]["labels"].tolist() == list(range(c))


@pytest.mark.parametrize("shape", ["flat", "column", "two columns"])
def test_binary_layouts_give_one_curve_of_the_positive_class(shape):
    y, s, _ = _binary(500, seed=5, decimals=2)
    scores = {"flat": s, "column": s[:, None], "two columns": np.stack([1 - s, s], axis=1)}[shape]
    out = curves_for(y, scores)
    assert set(out["roc"]["class"]) == {1}
    np.testing.assert_array_equal(out["roc"]["tpr"], roc_curve(y, s)[1])
    np.testing.assert_array_equal(out["confusion"]["matrix"],
                                  confusion_matrix(y, (s > 0.5).astype(int)))


def test_binary_decision_is_strictly_above_the_threshold():
    out = curves_for(np.array([0, 1, 1]), np.array([0.5, 0.5, 0.9]), kinds=["confusion"])
    assert out["confusion"]["matrix"].tolist() == [[1, 0], [1, 1]]
    assert curves_for(np.array([0, 1]), np.array([0.3, 0.4]), kinds=["confusion"],
                      threshold=0.35)["confusion"]["matrix"].tolist() == [[1, 0], [0, 1]]


def test_confusion_with_labels_in_any_order_and_other_classes_left_out():
    y_true, y_pred = [5, 7, 9, 5, 4], [7, 7, 9, 3, 5]
    for labels in ([9, 7, 5], [5, 7, 9]):
        np.testing.assert_array_equal(confusion(y_true, y_pred, labels)["matrix"],
                                      confusion_matrix(y_true, y_pred, labels=labels))


def test_no_positive_or_no_negative_rows_match_sklearn_with_a_warning():
    y, s = np.zeros(6, dtype=int), np.linspace(0, 1, 6)
    with pytest.warns(UndefinedMetricWarning, match="No positive samples"):
        roc = roc_points(y, s)
    assert np.isnan(roc["tpr"]).all()
    with pytest.warns(UndefinedMetricWarning, match="No positive samples"):
        pr = pr_points(y, s)
    with pytest.warns(UserWarning):
        _assert_pr_equal(pr, y, s, None)
    with pytest.warns(UndefinedMetricWarning, match="No negative samples"):
        assert np.isnan(roc_points(1 - y, s)["fpr"]).all()


def test_a_class_absent_from_the_data_still_gets_its_curve():
    y = np.array([0, 1, 0, 1, 0])
    p = np.random.default_rng(6).dirichlet(np.ones(3), 5)
    with pytest.warns(UndefinedMetricWarning):
        out = curves_for(y, p)
    assert set(out["roc"]["class"]) == {0, 1, 2}
    assert out["confusion"]["matrix"].shape == (3, 3)


@pytest.mark.parametrize("weighted", [False, True])
def test_the_classes_curves_do_not_depend_on_the_threads(monkeypatch, weighted):
    rng = np.random.default_rng(8)
    n, c = 3000, 5                                 # class 4 absent: a warning from a thread
    y = rng.integers(0, c - 1, n)
    p = np.round(rng.dirichlet(np.ones(c), n), 3).astype(np.float32)   # ties
    w = rng.random(n) if weighted else None
    results, names = [], set()
    counts = curve_points.threshold_counts

    def counted_on_a_thread(*args):
        names.add(threading.current_thread().name)
        return counts(*args)

    monkeypatch.setattr(curve_points, "threshold_counts", counted_on_a_thread)
    for count, threads_from in ((1, 1 << 40), (2, 0), (3, 0)):
        monkeypatch.setattr(parallel, "threads", lambda count=count: count)
        monkeypatch.setattr(curve_points, "THREADS_FROM", threads_from)
        with pytest.warns(UndefinedMetricWarning):
            results.append(curves_for(y, p, w, max_points=200))
    assert threading.current_thread().name in names and any(
        name.startswith("fittrack") for name in names)
    for other in results[1:]:
        for kind in ("roc", "pr", "confusion"):
            assert results[0][kind].keys() == other[kind].keys()
            for name in results[0][kind]:
                np.testing.assert_array_equal(results[0][kind][name], other[kind][name])
    fpr, tpr, _ = roc_curve(y == 2, p[:, 2], sample_weight=w)
    roc = results[1]["roc"]
    assert abs(roc_auc_of({k: a[roc["class"] == 2] for k, a in roc.items()})
               - np.trapezoid(tpr, fpr)) < 1e-3


@pytest.mark.parametrize("kwargs, match", [
    (dict(y_true=np.zeros((4, 3)), scores=np.ones(4)), "one-hot labels"),
    (dict(y_true=np.zeros(4), scores=np.ones((4, 3)), n_classes=2), r"received \(4, 3\)"),
    (dict(y_true=np.zeros(3), scores=np.ones(4)), "Expected scores"),
    (dict(y_true=np.array([0, 3]), scores=np.ones((2, 3))), "outside 0..2"),
    (dict(y_true=np.zeros(2), scores=np.ones(2), kinds=["det"]), "Unknown curve kind"),
    (dict(y_true=np.zeros(2), scores=np.ones(2), sample_weight=np.zeros(2)), "non-zero weight"),
    (dict(y_true=np.zeros(0), scores=np.ones(0)), "non-zero weight"),
    (dict(y_true=np.zeros(3), scores=np.ones(3), sample_weight=np.ones(2)), "2 weights"),
])
def test_bad_inputs(kwargs, match):
    with pytest.raises(ValueError, match=match):
        curves_for(**kwargs)


def test_docstring_examples():
    failures, tried = doctest.testmod(curve_points)
    assert failures == 0 and tried > 0


def test_thinning_a_measure_with_flat_stretches_ends_with_every_point():
    from fittrack.metrics.thinning import thin
    measure = np.concatenate([np.zeros(500), np.linspace(0.0, 1.0, 500)])
    curve = {"x": np.arange(1000.0)}
    kept = thin(measure, lambda c: float(len(c["x"])), curve, 100)  # moves unless all kept
    np.testing.assert_array_equal(kept, np.arange(1000))


def test_the_confusion_matrix_takes_the_predicted_classes_when_given():
    rng = np.random.default_rng(11)
    y, s = rng.integers(0, 3, 500), rng.dirichlet(np.ones(3), 500).astype(np.float32)
    predicted = (np.argmax(s, axis=1) + (rng.random(500) < 0.2)) % 3   # some rows moved
    given = curves_for(y, s, kinds=["confusion"], predicted=predicted)["confusion"]["matrix"]
    default = curves_for(y, s, kinds=["confusion"])["confusion"]["matrix"]
    np.testing.assert_array_equal(given, confusion_matrix(y, predicted, labels=[0, 1, 2]))
    np.testing.assert_array_equal(default, confusion_matrix(y, np.argmax(s, 1), labels=[0, 1, 2]))
    assert not np.array_equal(given, default)


@pytest.mark.parametrize("n_classes", [2, 5])
@pytest.mark.parametrize("dtype, decimals", [(np.float32, None), (np.float32, 2),
                                             (np.float64, 3), (np.float16, None)])
@pytest.mark.parametrize("weighted", [False, True])
def test_the_sums_beside_the_curves_give_scikit_learns_auc_and_ap(n_classes, dtype, decimals,
                                                                  weighted):
    rng = np.random.default_rng(n_classes)
    n = 3000
    raw = rng.normal(size=(n, n_classes)) * 2
    p = np.exp(raw) / np.exp(raw).sum(1, keepdims=True)
    p = (np.round(p, decimals) if decimals is not None else p).astype(dtype)
    y = np.argmax(raw + rng.normal(size=(n, n_classes)) * 2, axis=1)
    w = rng.uniform(0.5, 2.0, n) if weighted else None
    scores = p[:, 1] if n_classes == 2 else p
    curves, sums = curve_points.curves_and_sums(y, scores, w, n_classes, max_points=50)
    np.testing.assert_array_equal(curves["roc"]["fpr"], curves_for(y, scores, w, n_classes,
                                                                  max_points=50)["roc"]["fpr"])
    onehot = (y == 1)[:, None] if n_classes == 2 else np.eye(n_classes)[y]
    columns = p[:, 1:] if n_classes == 2 else p
    for c in range(onehot.shape[1]):
        auc = roc_auc_score(onehot[:, c], columns[:, c], sample_weight=w)
        ap = average_precision_score(onehot[:, c], columns[:, c], sample_weight=w)
        np.testing.assert_allclose(sums.area[c] / (sums.n_pos[c] * sums.n_neg[c]), auc,
                                   rtol=1e-12)
        np.testing.assert_allclose(sums.ap_sum[c] / sums.n_pos[c], ap, rtol=1e-12)
    if not weighted:     # the ROC areas are the rank-ordered sums' numbers, bit for bit
        ranked = ranking_sums(columns, y[:, None] == 1 if n_classes == 2 else y, None)
        np.testing.assert_array_equal(sums.area, ranked.area)
        np.testing.assert_array_equal(sums.n_pos, ranked.n_pos)
    assert curve_points.curves_and_sums(y, scores, w, n_classes, kinds=["confusion"])[1] is None
