"""Name resolution (fittrack.metrics.resolve): built-in and Keras 2 names, the
'accuracy' variant, bad inputs, vector results and each metric's direction."""

from __future__ import annotations

import functools
import warnings

import keras
import numpy as np
import pytest
from keras.src.trainers import compile_utils
from sklearn import metrics as skm
from sklearn.exceptions import UndefinedMetricWarning as UndefinedMetricWarning_sk

from fittrack.metrics import evaluate, get_metric, make_metric, resolve_metrics
from fittrack.metrics.evaluate import expand
from fittrack.metrics.registry import CANONICAL, NAMES, available

from ._data import (
    all_cases,
    keras_metric_value,
    random_cases,
    sk_pred,
    sk_true,
    weights,
)
from .test_adapters import abs_error_per_row, per_output_mae, rmse, worst_error
from .test_reference import REFERENCES

CASES = random_cases()
KERAS_TOL = dict(rtol=1e-5, atol=1e-6)


# ------------------------------------------------------------ built-in names
@pytest.mark.parametrize("alias", sorted(NAMES))
def test_every_alias_resolves_and_logs_under_the_string_given(alias):
    canonical = NAMES[alias]
    spec = get_metric(alias)
    assert spec.name == alias
    assert spec.greater_is_better == CANONICAL[canonical].greater_is_better
    assert spec.input == CANONICAL[canonical].input
    case = all_cases()[REFERENCES[canonical][1][0]]
    w = weights("positive", case.n)
    value = spec(case.y, case.p, w)
    assert value == CANONICAL[canonical](case.y, case.p, w)
    assert list(evaluate([spec], case.y, case.p, w, prefix="val_")) == [f"val_{alias}"]


@pytest.mark.parametrize("given", ["AUC", "Mean_Squared_Error", "ACC"])
def test_names_are_case_insensitive_but_logged_as_given(given):
    spec = get_metric(given)
    assert spec.name == given
    assert spec.compute is CANONICAL[NAMES[given.lower()]].compute


def test_available_lists_every_name_sorted():
    names = available()
    assert names == sorted(NAMES)
    for keras2 in ("acc", "cosine", "cosine_proximity", "mse", "mae", "mape", "msle"):
        assert keras2 in names


def test_keras2_tutorial_names_log_as_given_and_match_keras():
    reg, binary = CASES["regression"], CASES["binary"]
    names = ["cosine", "cosine_proximity", "mean_squared_error", "mse", "mae", "mape"]
    logs = evaluate(resolve_metrics(names), reg.y, reg.p)
    assert list(logs) == names
    cos = keras_metric_value(keras.metrics.CosineSimilarity(), reg.y, reg.p)
    np.testing.assert_allclose(logs["cosine"], -cos, **KERAS_TOL)
    np.testing.assert_allclose(logs["cosine_proximity"], -cos, **KERAS_TOL)
    mse = keras_metric_value(keras.metrics.MeanSquaredError(), reg.y, reg.p)
    np.testing.assert_allclose(logs["mse"], mse, **KERAS_TOL)
    assert logs["mse"] == logs["mean_squared_error"]
    np.testing.assert_allclose(
        logs["mae"], keras_metric_value(keras.metrics.MeanAbsoluteError(), reg.y, reg.p),
        **KERAS_TOL)
    np.testing.assert_allclose(
        logs["mape"],
        keras_metric_value(keras.metrics.MeanAbsolutePercentageError(), reg.y, reg.p),
        **KERAS_TOL)
    acc = evaluate(resolve_metrics(["acc"]), binary.y, binary.p)
    assert list(acc) == ["acc"]
    assert acc["acc"] == skm.accuracy_score(sk_true(binary), sk_pred(binary))


def test_cosine_proximity_keeps_the_keras2_sign():
    y = np.array([[1.0, 2.0], [0.5, -1.0]])
    assert get_metric("cosine")(y, 3 * y) == pytest.approx(-1.0)
    assert get_metric("cosine_proximity")(y, -y) == pytest.approx(1.0)
    assert get_metric("cosine_similarity")(y, 3 * y) == pytest.approx(1.0)
    assert not get_metric("cosine").greater_is_better


def test_names_match_what_keras_compile_logs():
    """A compiled model logs 'acc', 'mse', 'mean_squared_error', ... as given; so do we."""
    rng = np.random.default_rng(3)
    x = rng.normal(size=(64, 3)).astype("float32")
    y = (x[:, :1] > 0).astype("float32")
    names = ["acc", "accuracy", "mse", "mean_squared_error", "mae", "binary_crossentropy"]
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1, activation="sigmoid")])
    model.compile(loss="binary_crossentropy", metrics=names)
    keras_logs = model.evaluate(x, y, batch_size=64, return_dict=True, verbose=0)
    ours = evaluate(resolve_metrics(names), y, model.predict(x, batch_size=64, verbose=0))
    assert set(keras_logs) - {"loss"} == set(ours)
    for key, value in ours.items():
        np.testing.assert_allclose(value, keras_logs[key], rtol=1e-5, atol=1e-6, err_msg=key)


# ------------------------------------------------ 'accuracy' picks a variant
ACC_SHAPES = {
    "labels(n,) sigmoid(n,1)": (np.array([0, 1, 1, 0, 1, 0]), [[.2], [.7], [.4], [.6], [.9], [.1]]),
    "labels(n,1) sigmoid(n,1)": (np.array([[0], [1], [1], [0]]), [[.2], [.7], [.4], [.6]]),
    "labels(n,) softmax(n,3)": (np.array([0, 2, 1, 1]), np.eye(3)[[0, 1, 1, 2]] * .8 + .05),
    "labels(n,1) softmax(n,3)": (np.array([[0], [2], [1], [1]]),
                                 np.eye(3)[[0, 2, 1, 2]] * .8 + .05),
    "onehot(n,3) softmax(n,3)": (np.eye(3)[[0, 2, 1, 1]], np.eye(3)[[0, 1, 1, 2]] * .8 + .05),
    "onehot(n,2) softmax(n,2)": (np.eye(2)[[0, 1, 1, 0]],
                                 np.array([[.6, .4], [.3, .7], [.8, .2], [.9, .1]])),
    "labels(n,) softmax(n,2)": (np.array([0, 1, 1, 0]),
                                np.array([[.6, .4], [.3, .7], [.8, .2], [.4, .6]])),
}


@pytest.mark.parametrize("shapes", sorted(ACC_SHAPES))
def test_accuracy_picks_the_variant_keras_compile_picks(shapes):
    name = "accuracy"
    y, p = ACC_SHAPES[shapes]
    p = np.asarray(p, dtype=np.float64)
    keras_metric = compile_utils.get_metric(name, y, p)
    w = np.linspace(0.5, 2.0, len(y))
    for sw in (None, w):
        expected = keras_metric_value(keras_metric, y, p, sw)
        np.testing.assert_allclose(get_metric(name)(y, p, sw), expected, **KERAS_TOL)
    is_binary, is_sparse = compile_utils.is_binary_or_sparse_categorical(y, p)
    variant = ("binary_accuracy" if is_binary else "sparse_categorical_accuracy"
               if is_sparse else "categorical_accuracy")
    assert get_metric(name)(y, p) == get_metric(variant)(y, p)
    assert get_metric("acc")(y, p, w) == get_metric(name)(y, p, w)
    assert type(compile_utils.get_metric("acc", y, p)) is type(keras_metric)


# -------------------------------------------------------------- bad inputs
def test_unknown_name_lists_close_matches_and_how_to_list_all():
    with pytest.raises(ValueError) as err:
        get_metric("aucc")
    msg = str(err.value)
    assert "'aucc'" in msg and "'auc'" in msg and "fittrack.metrics.available()" in msg
    with pytest.raises(ValueError) as err:
        get_metric("precison")
    assert "'precision'" in str(err.value)
    with pytest.raises(ValueError, match=r"'zzzzqq'.*fittrack\.metrics\.available\(\)"):
        resolve_metrics(["auc", "zzzzqq"])


def test_lambda_is_refused_with_a_fix():
    with pytest.raises(ValueError, match=r"lambda.*make_metric"):
        get_metric(lambda y_true, y_pred: 0.0)
    spec = make_metric(lambda y_true, y_pred: np.max(np.abs(y_true - y_pred)),
                       name="worst", greater_is_better=False)
    assert spec.name == "worst" and not spec.greater_is_better
    assert spec(np.array([1.0, 2.0]), np.array([[1.5], [2.0]])) == 0.5


def test_not_a_metric_is_a_type_error():
    with pytest.raises(TypeError, match="received 42 of type int"):
        get_metric(42)


@pytest.mark.parametrize("metrics,key", [
    (["mse", "mse"], "mse"),
    (["auc", "f1", "AUC", "auc"], "auc"),
    (["auc", keras.metrics.AUC()], "auc"),
    ([skm.f1_score, functools.partial(skm.f1_score, average="macro")], "f1_score"),
])
def test_duplicate_keys_are_refused(metrics, key):
    with pytest.raises(ValueError, match=f"same key '{key}'.*make_metric"):
        resolve_metrics(metrics)


def test_short_and_long_names_are_distinct_keys():
    specs = resolve_metrics(["mse", "mean_squared_error", "acc", "accuracy"])
    assert [s.name for s in specs] == ["mse", "mean_squared_error", "acc", "accuracy"]


# ------------------------------------------------------------ vector results
def test_per_class_sklearn_result_expands_to_one_key_per_class():
    case = CASES["multiclass"]
    f1_per_class = functools.partial(skm.f1_score, average=None)
    logs = evaluate(resolve_metrics([f1_per_class, "f1"]), case.y, case.p, prefix="val_")
    expected = skm.f1_score(case.y, sk_pred(case), average=None)
    assert list(logs) == [f"val_f1_score_{i}" for i in range(case.n_classes)] + ["val_f1"]
    np.testing.assert_allclose([logs[f"val_f1_score_{i}"] for i in range(case.n_classes)],
                               expected, rtol=1e-12)
    assert logs["val_f1"] == pytest.approx(np.mean(expected), rel=1e-12)


def test_user_vector_result_expands():
    case = CASES["regression"]
    logs = evaluate(resolve_metrics([per_output_mae]), case.y, case.p)
    assert list(logs) == ["per_output_mae_0", "per_output_mae_1", "per_output_mae_2"]
    np.testing.assert_allclose(list(logs.values()), np.abs(case.y - case.p).mean(axis=0),
                               rtol=1e-12)


def test_expand_scalar_vector_and_single_element():
    assert expand("k", 2.0) == {"k": 2.0}
    assert expand("k", np.array([1.0, 2.0])) == {"k_0": 1.0, "k_1": 2.0}
    assert list(expand("k", np.float32(1.5)).values()) == [1.5]


def test_sklearn_metric_warnings_are_not_swallowed():
    """A metric's own warnings reach the caller (they are the user's diagnostics)."""
    y = np.array([0, 0, 0, 0])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        value = get_metric(skm.precision_score)(y, np.array([[0.4], [0.1], [0.2], [0.3]]))
    assert value == 0.0
    assert any(issubclass(c.category, UndefinedMetricWarning_sk)
               for c in caught)


# ------------------------------------------------------------- directions
def rmse_np(y_true, y_pred):
    return np.sqrt(np.mean(np.square(y_true - y_pred)))


NEEDS_CORRELATIONS = pytest.mark.skipif(
    not hasattr(keras.metrics, "PearsonCorrelation"),
    reason="Keras' correlation metrics are newer than this Keras (not in 3.6)")


def dice_coefficient(y_true, y_pred):
    return np.mean(y_true * y_pred)


@pytest.mark.parametrize("metric,greater", [
    (rmse, None),                       # user functions: unknown unless declared
    (rmse_np, None),
    (abs_error_per_row, None),
    (dice_coefficient, None),
    (worst_error, None),
    (make_metric(worst_error, greater_is_better=False), False),
    (make_metric(dice_coefficient, greater_is_better=True), True),
    ("FalseNegatives", False),          # Keras class names, through keras
    ("FalsePositives", False),
    ("TruePositives", True),
    ("LogCoshError", False),
    pytest.param("concordance_correlation", True, marks=NEEDS_CORRELATIONS),
    pytest.param("pearson_correlation", True, marks=NEEDS_CORRELATIONS),
])
def test_direction_of_user_and_keras_metrics(metric, greater):
    assert get_metric(metric).greater_is_better is greater


@pytest.mark.parametrize("factory,greater", [
    (keras.metrics.LogCoshError, False),
    (keras.metrics.RootMeanSquaredError, False),
    (keras.metrics.KLDivergence, False),
    (keras.metrics.FalseNegatives, False),
    (keras.metrics.Hinge, False),
    (keras.metrics.AUC, True),
    (keras.metrics.R2Score, True),
    (keras.metrics.CosineSimilarity, True),
])
def test_direction_of_keras_metric_objects(factory, greater):
    assert get_metric(factory()).greater_is_better is greater
