"""The adapter for Keras objects (fittrack.metrics.keras_adapter): metric
objects and classes, Keras-only names, keras.losses, make_metric on them."""

from __future__ import annotations

import functools

import keras
import numpy as np
import pytest

from fittrack.metrics import evaluate, get_metric, keras_adapter, make_metric

from ._data import (
    all_cases,
    keras_fn_value,
    keras_metric_value,
    random_cases,
    weights,
)
from .test_reference import _keras_y

CASES = random_cases()
KERAS_TOL = dict(rtol=1e-5, atol=1e-6)


# -------------------------------------------------- keras.metrics objects
KERAS_OBJECTS = [
    (lambda: keras.metrics.AUC(num_thresholds=1000), "auc", "binary"),
    (lambda: keras.metrics.AUC(curve="PR", name="pr"), "pr", "cancer"),
    (lambda: keras.metrics.MeanSquaredError(), "mean_squared_error", "regression"),
    (lambda: keras.metrics.Precision(thresholds=0.3), "precision", "binary"),
    (lambda: keras.metrics.SparseCategoricalAccuracy(name="sca"), "sca", "multiclass"),
    (lambda: keras.metrics.F1Score(average="macro", threshold=0.5), "f1_score", "multilabel"),
]


@pytest.mark.parametrize("factory,name,case_name", KERAS_OBJECTS,
                         ids=[k[1] for k in KERAS_OBJECTS])
@pytest.mark.parametrize("weighted", [False, True])
def test_keras_metric_object_equals_calling_it(factory, name, case_name, weighted):
    case = all_cases()[case_name]
    w = weights("positive", case.n) if weighted else None
    metric = factory()
    spec = get_metric(metric)
    # the key is the object's .name (Keras numbers repeated default names: auc_1, ...)
    assert spec.name == metric.name and spec.name.startswith(name) and spec.stateful
    y = _keras_y(case)
    expected = keras_metric_value(factory(), y, case.p, w)
    got = spec(case.y, case.p.astype(np.float32), w)
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(spec(case.y, case.p.astype(np.float32), w), got, rtol=1e-12)


def test_keras_metric_class_is_instantiated():
    case = CASES["binary"]
    spec = get_metric(keras.metrics.Recall)
    assert spec.name.startswith("recall")
    expected = keras_metric_value(keras.metrics.Recall(), _keras_y(case), case.p)
    np.testing.assert_allclose(spec(case.y, case.p), expected, rtol=1e-6)


def test_keras_metric_object_is_chunk_invariant(monkeypatch):
    case = CASES["binary"]
    w = weights("positive", case.n)
    whole = get_metric(keras.metrics.AUC(num_thresholds=50))(case.y, case.p, w)
    mse = get_metric(keras.metrics.MeanSquaredError())(case.y, case.p, w)
    monkeypatch.setattr(keras_adapter, "CHUNK_ROWS", case.n // 3)  # three updates
    np.testing.assert_allclose(
        get_metric(keras.metrics.AUC(num_thresholds=50))(case.y, case.p, w), whole, rtol=1e-6)
    np.testing.assert_allclose(
        get_metric(keras.metrics.MeanSquaredError())(case.y, case.p, w), mse, rtol=1e-6)


# ------------------------------------------------------- Keras-only names
KERAS_NAMES = [
    ("binary_io_u", lambda: keras.metrics.BinaryIoU(), "binary", False),
    ("f_beta_score", lambda: keras.metrics.FBetaScore(), "binary", True),
    ("f_beta_score", lambda: keras.metrics.FBetaScore(), "multilabel", True),
    ("BinaryIoU", lambda: keras.metrics.BinaryIoU(), "binary", False),
]


@pytest.mark.parametrize("name,factory,case_name,weighted", KERAS_NAMES,
                         ids=[f"{k[0]}-{k[2]}" for k in KERAS_NAMES])
def test_keras_only_names_resolve_through_keras(name, factory, case_name, weighted):
    case = all_cases()[case_name]
    # BinaryIoU keeps integer counts: Keras itself truncates fractional weights.
    w = weights("positive", case.n) if weighted else None
    spec = get_metric(name)
    assert spec.name == name
    logs = evaluate([spec], case.y, case.p, w)
    expected = np.ravel(keras.ops.convert_to_numpy(_direct(factory(), _keras_y(case), case.p, w)))
    if expected.size == 1:
        assert list(logs) == [name]
    else:
        assert list(logs) == [f"{name}_{i}" for i in range(expected.size)]
    np.testing.assert_allclose(list(logs.values()), expected, rtol=1e-6, atol=1e-7)


def _direct(metric, y, p, w):
    metric.update_state(y, np.asarray(p, dtype=np.float32), sample_weight=w)
    return metric.result()


@pytest.mark.parametrize("name,fn,case_name", [
    ("binary_focal_crossentropy", keras.losses.binary_focal_crossentropy, "binary"),
    ("categorical_focal_crossentropy", keras.losses.categorical_focal_crossentropy, "onehot"),
])
def test_keras_only_loss_names_equal_keras(name, fn, case_name):
    case = all_cases()[case_name]
    w = weights("zeros", case.n)
    spec = get_metric(name)
    assert spec.name == name and not spec.greater_is_better
    expected = keras_fn_value(fn, _keras_y(case), case.p, w)
    np.testing.assert_allclose(spec(case.y, case.p, w), expected, **KERAS_TOL)


def test_keras_name_needing_arguments_says_so():
    with pytest.raises(ValueError) as err:
        get_metric("mean_io_u")
    msg = str(err.value)
    assert "'mean_io_u'" in msg and "num_classes" in msg and "keras.metrics." in msg


# ---------------------------------------------------------- keras.losses
def test_keras_loss_object_is_its_per_row_loss_with_its_arguments():
    case = CASES["regression"]
    w = weights("zeros", case.n)
    spec = get_metric(keras.losses.Huber(delta=2.0))
    assert spec.name == "huber_loss" and not spec.greater_is_better
    expected = keras_fn_value(functools.partial(keras.losses.huber, delta=2.0), case.y,
                              case.p, w)
    np.testing.assert_allclose(spec(case.y, case.p, w), expected, **KERAS_TOL)
    assert spec(case.y, case.p) != pytest.approx(get_metric("huber")(case.y, case.p))
    named = get_metric(keras.losses.BinaryCrossentropy(name="bce_loss"))
    binary = CASES["binary"]
    assert named.name == "bce_loss"
    np.testing.assert_allclose(named(binary.y, binary.p, w),
                               get_metric("binary_crossentropy")(binary.y, binary.p, w),
                               **KERAS_TOL)


@pytest.mark.parametrize("name", ["dice", "tversky", "Huber", "binary_focal_crossentropy"])
def test_keras_loss_names_are_lower_is_better(name):
    spec = get_metric(name)
    assert spec.name == name and not spec.greater_is_better
    case = CASES["binary"]
    perfect = np.where(case.y == 1, 0.99, 0.01)[:, None]
    assert spec(case.y, perfect) < spec(case.y, case.p)


def test_make_metric_renames_a_keras_metric_without_accumulating_state():
    case = CASES["regression"]
    spec = make_metric(keras.metrics.MeanSquaredError(), name="keras_mse",
                       greater_is_better=False)
    assert spec.name == "keras_mse" and spec.stateful and not spec.greater_is_better
    first = spec(case.y, case.p)
    zeros = spec(case.y, np.zeros_like(case.p))  # a second call starts afresh
    np.testing.assert_allclose(first, np.mean(np.square(case.y - case.p)), rtol=1e-5)
    np.testing.assert_allclose(zeros, np.mean(np.square(case.y)), rtol=1e-5)
    loss = make_metric(keras.losses.Huber(delta=0.5), name="huber_half")
    assert loss.name == "huber_half" and not loss.greater_is_better
    expected = keras_fn_value(functools.partial(keras.losses.huber, delta=0.5), case.y, case.p)
    np.testing.assert_allclose(loss(case.y, case.p), expected, **KERAS_TOL)
