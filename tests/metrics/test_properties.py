"""Property tests: fittrack's classification metrics against scikit-learn on
random shapes, class counts 2-6, weights (with zeros), tied scores and
degenerate labels (one class only).

Where scikit-learn defines the value, fittrack must equal it. Where the value
is undefined (ROC AUC with one class, average precision with no positive row,
after zero weights are taken into account), fittrack records NaN with an
:class:`UndefinedMetricWarning`, and a macro average leaves such classes out
(the reference is then the mean of scikit-learn's per-class scores over the
defined classes).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn import metrics as skm
from sklearn.preprocessing import label_binarize

from fittrack.metrics import UndefinedMetricWarning, get_metric

SETTINGS = settings(max_examples=50, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])
TOL = dict(rel=1e-9, abs=1e-12)


@dataclass
class Problem:
    layout: str           # "sigmoid" (n, 1) | "softmax2" (n, 2) | "softmax" (n, C)
    labels: np.ndarray    # int (n,)
    probs: np.ndarray     # what the model outputs
    w: np.ndarray | None

    @property
    def n_classes(self) -> int:
        return max(2, self.probs.shape[1])

    @property
    def binary(self) -> bool:
        return self.layout != "softmax"

    @property
    def score(self) -> np.ndarray:
        """The scores scikit-learn gets: positive class (binary) or the matrix."""
        return self.probs[:, -1] if self.binary else self.probs

    @property
    def pred(self) -> np.ndarray:
        if self.binary:
            return (self.score > 0.5).astype(np.int64)
        return np.argmax(self.probs, axis=1)


@st.composite
def problems(draw, layouts=("sigmoid", "softmax2", "softmax")):
    layout = draw(st.sampled_from(layouts))
    n_classes = 2 if layout != "softmax" else draw(st.integers(3, 6))
    n = draw(st.integers(1, 40))
    degenerate = draw(st.booleans())
    if degenerate:  # every row one class
        labels = np.full(n, draw(st.integers(0, n_classes - 1)))
    else:
        labels = np.array(draw(st.lists(st.integers(0, n_classes - 1), min_size=n, max_size=n)))
    # scores on a coarse grid: ties within and across classes are common
    grid = st.integers(0, 10)
    if layout == "sigmoid":
        probs = np.array(draw(st.lists(grid, min_size=n, max_size=n)), float)[:, None] / 10
    else:
        raw = np.array(draw(st.lists(st.lists(grid, min_size=n_classes, max_size=n_classes),
                                     min_size=n, max_size=n)), float) + 1.0
        probs = raw / raw.sum(axis=1, keepdims=True)
    w = None
    if draw(st.booleans()):
        w = np.array(draw(st.lists(st.sampled_from([0.0, 0.0, 0.5, 1.0, 2.5, 0.3]),
                                   min_size=n, max_size=n)))
        if w.sum() == 0:
            w[draw(st.integers(0, n - 1))] = 1.0
    return Problem(layout, labels, probs, w)


def _weight_of(mask: np.ndarray, w: np.ndarray | None) -> float:
    return float(mask.sum() if w is None else w[mask].sum())


def _ours(name: str, pb: Problem) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UndefinedMetricWarning)
        return get_metric(name)(pb.labels, pb.probs, pb.w)


def _quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kwargs)


def _per_class_reference(binary_score, defined, pb: Problem) -> float:
    """Mean of scikit-learn's one-vs-rest scores over the classes where defined."""
    values = [binary_score(pb.labels == c, pb.probs[:, c])
              for c in range(pb.n_classes) if defined(pb.labels == c)]
    return float(np.mean(values)) if values else float("nan")


# ------------------------------------------------- ROC AUC and PR AUC (AP)
def _check_ranking_metric(name, pb: Problem, defined, binary_ref, direct_ref):
    """Binary: ``binary_ref`` on the positive-class score, NaN plus a warning when
    undefined. Multi-class: the macro mean of ``binary_ref`` over the defined
    classes, and ``direct_ref`` (scikit-learn's own multi-class call) when all are."""
    got = _ours(name, pb)
    if pb.binary:
        if defined(pb.labels == 1):
            assert got == pytest.approx(binary_ref(pb.labels == 1, pb.score), **TOL)
        else:
            with pytest.warns(UndefinedMetricWarning):
                assert np.isnan(get_metric(name)(pb.labels, pb.probs, pb.w))
        return
    expected = _per_class_reference(binary_ref, defined, pb)
    if np.isnan(expected):
        assert np.isnan(got)
        return
    assert got == pytest.approx(expected, **TOL)
    if all(defined(pb.labels == c) for c in range(pb.n_classes)):
        assert got == pytest.approx(direct_ref(), **TOL)


@SETTINGS
@given(problems())
def test_auc_matches_sklearn(pb: Problem):
    _check_ranking_metric(
        "auc", pb,
        defined=lambda pos: _weight_of(pos, pb.w) > 0 and _weight_of(~pos, pb.w) > 0,
        binary_ref=lambda pos, s: _quiet(skm.roc_auc_score, pos, s, sample_weight=pb.w),
        direct_ref=lambda: _quiet(skm.roc_auc_score, pb.labels, pb.probs, multi_class="ovr",
                                  average="macro", sample_weight=pb.w,
                                  labels=np.arange(pb.n_classes)))


@SETTINGS
@given(problems())
def test_pr_auc_matches_sklearn(pb: Problem):
    _check_ranking_metric(
        "pr_auc", pb,
        defined=lambda pos: _weight_of(pos, pb.w) > 0,
        binary_ref=lambda pos, s: _quiet(skm.average_precision_score, pos, s,
                                         sample_weight=pb.w),
        direct_ref=lambda: _quiet(skm.average_precision_score,
                                  label_binarize(pb.labels, classes=np.arange(pb.n_classes)),
                                  pb.probs, average="macro", sample_weight=pb.w))


# ------------------------------------------------ label-based metrics
@SETTINGS
@given(problems())
def test_precision_recall_f1_match_sklearn(pb: Problem):
    average = "binary" if pb.binary else "macro"
    for name, fn in (("precision", skm.precision_score), ("recall", skm.recall_score),
                     ("f1", skm.f1_score)):
        expected = _quiet(fn, pb.labels, pb.pred, average=average, zero_division=0,
                          sample_weight=pb.w)
        assert _ours(name, pb) == pytest.approx(expected, **TOL), name


@SETTINGS
@given(problems())
def test_mcc_and_balanced_accuracy_match_sklearn(pb: Problem):
    mcc = _quiet(skm.matthews_corrcoef, pb.labels, pb.pred, sample_weight=pb.w)
    assert _ours("mcc", pb) == pytest.approx(mcc, **TOL)
    bal = _quiet(skm.balanced_accuracy_score, pb.labels, pb.pred, sample_weight=pb.w)
    assert _ours("balanced_accuracy", pb) == pytest.approx(bal, **TOL)
    acc = skm.accuracy_score(pb.labels, pb.pred, sample_weight=pb.w)
    assert _ours("accuracy", pb) == pytest.approx(acc, **TOL)


@SETTINGS
@given(problems())
def test_log_loss_matches_sklearn(pb: Problem):
    expected = _quiet(skm.log_loss, pb.labels, pb.score, labels=np.arange(pb.n_classes),
                      sample_weight=pb.w)
    assert _ours("log_loss", pb) == pytest.approx(expected, **TOL)


# ------------------------------------------------------------- multilabel
@st.composite
def multilabel_problems(draw):
    n_labels = draw(st.integers(2, 6))
    n = draw(st.integers(2, 40))
    cell = st.integers(0, 1)
    y = np.array(draw(st.lists(st.lists(cell, min_size=n_labels, max_size=n_labels),
                               min_size=n, max_size=n)))
    # a row with other than exactly one label keeps the targets multi-hot
    # (all rows one-hot would be a multi-class problem)
    row = draw(st.integers(0, n - 1))
    y[row] = 1 if draw(st.booleans()) else 0
    p = np.array(draw(st.lists(st.lists(st.integers(0, 10), min_size=n_labels,
                                        max_size=n_labels), min_size=n, max_size=n))) / 10
    w = None
    if draw(st.booleans()):
        w = np.array(draw(st.lists(st.sampled_from([0.0, 0.5, 1.0, 2.0]), min_size=n,
                                   max_size=n)))
        if w.sum() == 0:
            w[row] = 1.0
    return y, p, w


@SETTINGS
@given(multilabel_problems())
def test_multilabel_metrics_match_sklearn(data):
    y, p, w = data
    pred = (p > 0.5).astype(int)
    for name, fn in (("precision", skm.precision_score), ("recall", skm.recall_score),
                     ("f1", skm.f1_score)):
        expected = _quiet(fn, y, pred, average="macro", zero_division=0, sample_weight=w)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UndefinedMetricWarning)
            assert get_metric(name)(y, p, w) == pytest.approx(expected, **TOL), name
    for name, fn, defined in (
            ("auc", skm.roc_auc_score,
             lambda c: _weight_of(y[:, c] == 1, w) > 0 and _weight_of(y[:, c] == 0, w) > 0),
            ("pr_auc", skm.average_precision_score, lambda c: _weight_of(y[:, c] == 1, w) > 0)):
        values = [_quiet(fn, y[:, c], p[:, c], sample_weight=w)
                  for c in range(y.shape[1]) if defined(c)]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UndefinedMetricWarning)
            got = get_metric(name)(y, p, w)
        if values:
            assert got == pytest.approx(np.mean(values), **TOL), name
        else:
            assert np.isnan(got), name
    binary_acc = np.average((pred == y).mean(axis=1), weights=w)
    assert get_metric("binary_accuracy")(y, p, w) == pytest.approx(binary_acc, **TOL)


# --------------------------------------------------------- invariances
@SETTINGS
@given(problems(layouts=("sigmoid", "softmax")), st.integers(1, 4))
def test_integer_weights_equal_repeated_rows(pb: Problem, k: int):
    """Weight k on every row is the same data k times over (scikit-learn's semantics)."""
    reps = np.full(len(pb.labels), k)
    for name in ("auc", "pr_auc", "f1", "mcc", "balanced_accuracy", "log_loss", "accuracy"):
        repeated = Problem(pb.layout, np.repeat(pb.labels, reps), np.repeat(pb.probs, reps, 0),
                           None)
        weighted = Problem(pb.layout, pb.labels, pb.probs, reps.astype(float))
        a, b = _ours(name, weighted), _ours(name, repeated)
        assert (np.isnan(a) and np.isnan(b)) or a == pytest.approx(b, **TOL), name
