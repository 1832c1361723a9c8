"""Adapters for functions (fittrack.metrics.adapters): scikit-learn functions
passed as they are, user functions in NumPy and keras.ops."""

from __future__ import annotations

import functools

import keras
import numpy as np
import pytest
from sklearn import metrics as skm

from fittrack.metrics import get_metric

from ._data import (
    all_cases,
    random_cases,
    sk_pred,
    sk_score,
    sk_true,
    weights,
)

CASES = random_cases()
KERAS_TOL = dict(rtol=1e-5, atol=1e-6)


# ---------------------------------------------------- scikit-learn functions
SKLEARN = [
    # function, case, what sklearn gets
    (skm.roc_auc_score, "binary", "scores"),
    (skm.roc_auc_score, "binary2", "scores"),
    (functools.partial(skm.roc_auc_score, multi_class="ovr"), "multiclass", "scores"),
    (skm.roc_auc_score, "multilabel", "scores"),
    (skm.average_precision_score, "binary", "scores"),
    (skm.brier_score_loss, "binary", "scores"),
    (skm.log_loss, "cancer", "scores"),
    (functools.partial(skm.log_loss, labels=np.arange(10)), "digits", "scores"),
    (functools.partial(skm.top_k_accuracy_score, k=3), "multiclass", "scores"),
    (skm.f1_score, "binary", "labels"),
    (skm.f1_score, "cancer2", "labels"),
    (functools.partial(skm.f1_score, average="macro"), "multiclass", "labels"),
    (functools.partial(skm.f1_score, average="macro"), "onehot", "labels"),
    (functools.partial(skm.precision_score, average="micro"), "multilabel", "labels"),
    (skm.accuracy_score, "digits", "labels"),
    (skm.cohen_kappa_score, "multiclass", "labels"),
    (skm.mean_squared_error, "regression", "values"),
    (skm.mean_squared_error, "regression1", "values"),
    (skm.mean_absolute_error, "diabetes", "values"),
    (skm.r2_score, "regression", "values"),
]


def _sk_args(case, kind):
    if kind == "scores":
        return sk_true(case), sk_score(case)
    if kind == "labels":
        return sk_true(case), sk_pred(case)
    return case.y, case.p.reshape(case.y.shape)


@pytest.mark.parametrize("fn,case_name,kind", SKLEARN,
                         ids=[f"{getattr(f, 'func', f).__name__}-{c}" for f, c, _ in SKLEARN])
@pytest.mark.parametrize("weighted", [False, True])
def test_sklearn_function_passed_as_is(fn, case_name, kind, weighted):
    case = all_cases()[case_name]
    w = weights("positive", case.n) if weighted else None
    spec = get_metric(fn)
    assert spec.name == getattr(fn, "func", fn).__name__
    assert spec.input == kind
    kwargs = {} if w is None else {"sample_weight": w}
    expected = fn(*_sk_args(case, kind), **kwargs)
    assert spec(case.y, case.p, w) == pytest.approx(expected, rel=1e-12, abs=1e-12)


def test_sklearn_direction_follows_its_naming():
    assert get_metric(skm.roc_auc_score).greater_is_better
    assert get_metric(skm.f1_score).greater_is_better
    assert not get_metric(skm.log_loss).greater_is_better
    assert not get_metric(skm.mean_squared_error).greater_is_better
    assert not get_metric(skm.brier_score_loss).greater_is_better


def test_sklearn_multiclass_roc_auc_defaults_to_ovr():
    case = CASES["multiclass"]
    expected = skm.roc_auc_score(case.y, case.p, multi_class="ovr")
    assert get_metric(skm.roc_auc_score)(case.y, case.p) == pytest.approx(expected, rel=1e-12)


# ---------------------------------------------------------- user functions
def abs_error_per_row(y_true, y_pred):
    return np.mean(np.abs(y_true - y_pred), axis=-1)


def worst_error(y_true, y_pred):
    return np.max(np.abs(y_true - y_pred))


def per_output_mae(y_true, y_pred):
    return np.mean(np.abs(y_true - y_pred), axis=0)


def test_numpy_function_per_row_is_weighted_average():
    case = CASES["regression"]
    w = weights("zeros", case.n)
    per_row = np.mean(np.abs(case.y - case.p), axis=-1)
    spec = get_metric(abs_error_per_row)
    assert spec.name == "abs_error_per_row" and spec.greater_is_better is None
    assert spec(case.y, case.p) == pytest.approx(per_row.mean(), rel=1e-12)
    assert spec(case.y, case.p, w) == pytest.approx(np.average(per_row, weights=w), rel=1e-12)


def test_numpy_function_scalar_is_kept():
    case = CASES["regression"]
    w = weights("positive", case.n)
    expected = np.max(np.abs(case.y - case.p))
    assert get_metric(worst_error)(case.y, case.p) == expected
    assert get_metric(worst_error)(case.y, case.p, w) == expected


def test_user_function_gets_keras_shapes():
    seen = {}

    def spy(y_true, y_pred):
        seen["shapes"] = (np.shape(y_true), np.shape(y_pred))
        return np.mean(y_pred)

    get_metric(spy)(np.array([0, 1, 1]), np.array([[0.2], [0.3], [0.9]]))
    assert seen["shapes"] == ((3, 1), (3, 1))
    get_metric(spy)(np.array([0, 2, 1]), np.full((3, 4), 0.25))
    assert seen["shapes"] == ((3,), (3, 4))


def rmse(y_true, y_pred):
    ops = keras.ops
    return ops.sqrt(ops.mean(ops.square(y_pred - y_true)))


def abs_error_ops(y_true, y_pred):
    return keras.ops.mean(keras.ops.abs(y_pred - y_true), axis=-1)


@pytest.mark.parametrize("case_name", ["regression", "regression1", "diabetes"])
def test_keras_ops_function_equals_numpy(case_name):
    case = all_cases()[case_name]
    y, p = case.y, case.p.reshape(case.y.shape)
    w = weights("zeros", case.n)
    expected = np.sqrt(np.mean(np.square(p - y)))
    assert get_metric(rmse)(case.y, case.p) == pytest.approx(expected, rel=1e-5)
    row = np.abs(p - y).reshape(case.n, -1).mean(axis=1)
    np.testing.assert_allclose(get_metric(abs_error_ops)(case.y, case.p, w),
                               np.average(row, weights=w), rtol=1e-5)
    np.testing.assert_allclose(get_metric("rmse")(case.y, case.p), expected, rtol=1e-12)
