"""Large inputs are computed one chunk of rows at a time; the values do not change.

Here the chunks are made tiny (a few rows; ranking in sorted chunks, one class
at a time), so the 300-row cases of ``_data`` take every large-input path:
each registered metric must give the value it gives on the same data in one
chunk (the vectorized path the reference tests compare with scikit-learn and
Keras), with and without weights, for float64 and float32 outputs, and for
logits.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from fittrack.metrics import (
    Problem,
    chunks,
    curves,
    evaluate,
    get_metric,
    parallel,
    sorted_ranks,
)
from fittrack.metrics.registry import CANONICAL

from ._data import all_cases, weights
from .test_reference import REFERENCES

TOL = dict(rtol=1e-10, atol=1e-12)


@pytest.fixture
def tiny_chunks(monkeypatch):
    """A function that runs its argument with chunks of a few rows (and the classes'
    ranking sums on three threads)."""
    def run(fn):
        with monkeypatch.context() as m:
            m.setattr(chunks, "SMALL", 16)
            m.setattr(chunks, "CHUNK_MIN", 5)
            m.setattr(chunks, "CHUNK_MAX", 40)
            m.setattr(chunks, "PIECES", 7)
            m.setattr(curves, "VECTORIZED", 0)
            m.setattr(sorted_ranks, "GROUP", 50)
            m.setattr(parallel, "THREADS_FROM", 0)      # groups of classes on three threads
            m.setattr(parallel, "threads", lambda: 3)
            return fn()
    return run


def _quiet(fn):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn()


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("weight_kind", [None, "zeros"])
@pytest.mark.parametrize("name", sorted(CANONICAL))
def test_chunked_values_equal_one_chunk(name, weight_kind, dtype, tiny_chunks):
    spec = get_metric(name)
    for case_name in REFERENCES[name][1]:
        case = all_cases()[case_name]
        p, w = case.p.astype(dtype), weights(weight_kind, case.n)
        expected = _quiet(lambda: spec(case.y, p, w))
        got = _quiet(lambda: tiny_chunks(lambda: spec(case.y, p, w)))
        np.testing.assert_allclose(got, expected, **TOL, err_msg=f"{name} on {case_name}")


def _logits(case) -> tuple[np.ndarray, str]:
    p = np.clip(case.p, 1e-6, 1 - 1e-6)
    if case.task in ("binary", "multilabel", "ties_binary"):
        return np.log(p) - np.log1p(-p), "multilabel" if case.task == "multilabel" else "binary"
    return np.log(p), "binary" if case.task == "binary2" else "multiclass"


LOGIT_METRICS = ["accuracy", "auc", "pr_auc", "f1", "precision", "recall", "mcc", "log_loss",
                 "binary_crossentropy", "sparse_categorical_crossentropy", "subset_accuracy"]


@pytest.mark.parametrize("case_name", ["binary", "binary2", "multiclass", "multilabel",
                                       "ties_binary", "digits"])
def test_chunked_values_equal_one_chunk_on_logits(case_name, tiny_chunks):
    case = all_cases()[case_name]
    logits, task = _logits(case)
    logits = logits.astype(np.float32)
    for name in LOGIT_METRICS:
        specs = [get_metric(name)]
        run = lambda: evaluate(  # noqa: E731
            specs, case.y, logits, problem=Problem(task, logits=True), on_error="nan")
        expected, got = _quiet(run), _quiet(lambda: tiny_chunks(run))
        np.testing.assert_allclose(got[name], expected[name], **TOL, err_msg=name)


@pytest.mark.parametrize("seed", range(20))
def test_sorted_ranks_equal_the_weighted_curves(seed, tiny_chunks):
    """Random sizes, many ties, long tied groups, -0.0 and negative scores (in every chunk,
    or from some row on), with and without weights (zeros among them): sorted in chunks
    as the curves sum them."""
    rng = np.random.default_rng(seed)
    n, n_classes = int(rng.integers(1, 300)), int(rng.integers(1, 5))
    scores = np.round(rng.random((n, n_classes)), int(rng.integers(0, 3))).astype(np.float32)
    scores[rng.random((n, n_classes)) < rng.random()] = 0.25  # one long tied group
    if seed % 3 == 0:
        scores -= np.float32(0.5)
    if seed % 4 == 0:
        scores[rng.random((n, n_classes)) < 0.3] = -0.0
    if seed % 5 == 1:  # negatives only in later rows: chunks packed for all classes, then per class
        scores[n // 2:] -= np.float32(0.5)
    labels = rng.integers(0, max(n_classes, 2), n)
    positive = labels[:, None] if n_classes == 1 else labels[:, None] == np.arange(n_classes)
    exact = curves.ranking_sums(scores.astype(np.float64), positive, np.ones(n))
    w = rng.choice([0.0, 0.5, 1.0, 2.5], n)
    weighted = curves.ranking_sums(scores.astype(np.float64), positive, w)
    for given in (positive, labels if n_classes > 1 else positive):
        for expected, row_weights in ((exact, None), (weighted, w)):
            got = tiny_chunks(lambda: curves.ranking_sums(scores, given, row_weights))
            for field in ("n_pos", "n_neg", "area", "ap_sum"):
                np.testing.assert_allclose(getattr(got, field), getattr(expected, field),
                                           rtol=1e-12, atol=1e-12, err_msg=field)
