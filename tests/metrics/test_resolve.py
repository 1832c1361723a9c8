"""Name resolution and adapters: built-in names, Keras 2 names, scikit-learn
functions, user functions (NumPy and keras.ops), Keras metric objects and names."""

from __future__ import annotations

import functools
import warnings

import keras
import numpy as np
import pytest
from keras.src.trainers import compile_utils
from sklearn import metrics as skm
from sklearn.exceptions import UndefinedMetricWarning as UndefinedMetricWarning_sk

from fittrack.metrics import (evaluate, get_metric, keras_adapter, make_metric,
                              resolve_metrics)
from fittrack.metrics.evaluate import expand
from fittrack.metrics.registry import CANONICAL, NAMES, available

from ._data import (all_cases, keras_fn_value, keras_metric_value, random_cases,
                    sk_pred, sk_score, sk_true, weights)
from .test_reference import REFERENCES, _keras_y

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
    "labels(n,1) softmax(n,3)": (np.array([[0], [2], [1], [1]]), np.eye(3)[[0, 2, 1, 2]] * .8 + .05),
    "onehot(n,3) softmax(n,3)": (np.eye(3)[[0, 2, 1, 1]], np.eye(3)[[0, 1, 1, 2]] * .8 + .05),
    "onehot(n,2) softmax(n,2)": (np.eye(2)[[0, 1, 1, 0]], np.array([[.6, .4], [.3, .7], [.8, .2], [.9, .1]])),
    "labels(n,) softmax(n,2)": (np.array([0, 1, 1, 0]), np.array([[.6, .4], [.3, .7], [.8, .2], [.4, .6]])),
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
