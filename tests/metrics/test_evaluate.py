"""evaluate(): keys, prefixes, non-finite predictions, undefined metrics, errors,
and the messages bad labels produce."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn import metrics as skm

from fittrack.metrics import (
    MetricError,
    NonFinitePredictionWarning,
    UndefinedMetricWarning,
    evaluate,
    get_metric,
    resolve_metrics,
)

from ._data import random_cases, sk_pred, sk_true

CASES = random_cases(seed=11)


def test_keys_follow_the_names_given_with_the_prefix():
    case = CASES["binary"]
    specs = resolve_metrics(["acc", "auc", "f1", "mse"])
    logs = evaluate(specs, case.y, case.p)
    assert list(logs) == ["acc", "auc", "f1", "mse"]
    val = evaluate(specs, case.y, case.p, prefix="val_")
    assert list(val) == ["val_acc", "val_auc", "val_f1", "val_mse"]
    assert list(val.values()) == list(logs.values())
    assert all(isinstance(v, float) for v in val.values())
    assert logs["auc"] == pytest.approx(skm.roc_auc_score(case.y, case.p[:, 0]), rel=1e-12)


def test_evaluate_equals_each_metric_alone():
    """The shared context (one confusion matrix, one sort) changes no value."""
    case = CASES["multiclass"]
    w = np.linspace(0, 2, case.n)
    names = ["accuracy", "auc", "pr_auc", "precision", "recall", "f1", "mcc",
             "balanced_accuracy", "log_loss", "sparse_categorical_crossentropy"]
    logs = evaluate(resolve_metrics(names), case.y, case.p, w, prefix="out_")
    for name in names:
        assert logs[f"out_{name}"] == get_metric(name)(case.y, case.p, w)


def test_empty_metric_list_gives_no_keys():
    case = CASES["binary"]
    assert evaluate([], case.y, case.p) == {}


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_predictions_give_nan_and_one_warning(bad):
    case = CASES["multiclass"]
    p = case.p.copy()
    p[5, 2] = bad
    specs = resolve_metrics(["acc", "auc", "f1", "log_loss"])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        logs = evaluate(specs, case.y, p, prefix="val_", where="the validation data")
    assert list(logs) == ["val_acc", "val_auc", "val_f1", "val_log_loss"]
    assert all(np.isnan(v) for v in logs.values())
    relevant = [c for c in caught if issubclass(c.category, NonFinitePredictionWarning)]
    assert len(relevant) == 1 and len(caught) == 1
    message = str(relevant[0].message)
    assert "the validation data" in message and "val_auc" in message


def test_finite_predictions_raise_no_warning():
    case = CASES["binary"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        evaluate(resolve_metrics(["acc", "auc", "f1", "mcc"]), case.y, case.p)


@pytest.mark.parametrize("name", ["auc", "roc_auc"])
def test_auc_with_one_class_is_nan_with_a_warning(name):
    y = np.ones(20, dtype=int)
    p = np.linspace(0.1, 0.9, 20)[:, None]
    with pytest.warns(UndefinedMetricWarning, match="auc"):
        logs = evaluate(resolve_metrics([name, "acc"]), y, p)
    assert np.isnan(logs[name])
    assert logs["acc"] == pytest.approx(np.mean(p[:, 0] > 0.5))


def test_auc_with_only_zero_weight_negatives_is_nan_with_a_warning():
    y = np.array([0, 0, 1, 1, 1])
    p = np.array([[0.2], [0.6], [0.4], [0.7], [0.9]])
    with pytest.warns(UndefinedMetricWarning):
        assert np.isnan(get_metric("auc")(y, p, np.array([0, 0, 1, 1, 1.0])))


def test_multiclass_auc_leaves_out_an_absent_class_with_a_warning():
    case = CASES["multiclass"]
    keep = case.y != 3
    y, p = case.y[keep], case.p[keep]
    with pytest.warns(UndefinedMetricWarning, match=r"classes \[3\]"):
        got = get_metric("auc")(y, p)
    per_class = [skm.roc_auc_score(y == c, p[:, c]) for c in range(case.n_classes) if c != 3]
    assert got == pytest.approx(np.mean(per_class), rel=1e-12)


def test_pr_auc_without_positive_rows_is_nan_with_a_warning():
    with pytest.warns(UndefinedMetricWarning, match="pr_auc"):
        value = get_metric("pr_auc")(np.zeros(6), np.linspace(0, 1, 6)[:, None])
    assert np.isnan(value)


# ------------------------------------------------------------------ errors
def broken(y_true, y_pred):
    raise RuntimeError("boom inside the metric")


def test_on_error_raise_names_the_metric_and_the_data():
    case = CASES["binary"]
    specs = resolve_metrics(["acc", broken])
    with pytest.raises(MetricError) as err:
        evaluate(specs, case.y, case.p, where="the training data", on_error="raise")
    msg = str(err.value)
    assert "'broken'" in msg and "the training data" in msg and "boom inside" in msg
    assert isinstance(err.value, ValueError)
    assert isinstance(err.value.__cause__, RuntimeError)


def test_on_error_nan_records_nan_and_warns_and_keeps_the_others():
    case = CASES["binary"]
    specs = resolve_metrics(["acc", broken, "auc"])
    with pytest.warns(RuntimeWarning, match="'broken'.*NaN"):
        logs = evaluate(specs, case.y, case.p, prefix="val_", on_error="nan")
    assert np.isnan(logs["val_broken"])
    assert logs["val_acc"] == pytest.approx(
        skm.accuracy_score(sk_true(case), sk_pred(case)), rel=1e-12)
    assert logs["val_auc"] == pytest.approx(skm.roc_auc_score(case.y, case.p[:, 0]), rel=1e-12)


@pytest.mark.parametrize("name", ["mcc", "balanced_accuracy", "log_loss", "true_positives"])
def test_metric_not_defined_for_multilabel_explains(name):
    case = CASES["multilabel"]
    with pytest.raises(MetricError, match=rf"'{name}'.*multilabel"):
        evaluate(resolve_metrics([name]), case.y, case.p)


def test_binary_counts_on_multiclass_explain():
    case = CASES["multiclass"]
    with pytest.raises(ValueError, match="binary counts.*multiclass problem with 7 classes"):
        get_metric("true_positives")(case.y, case.p)


# -------------------------------------------------------------- bad labels
@pytest.mark.parametrize("name", ["auc", "f1", "precision", "log_loss", "mcc",
                                  "sparse_categorical_crossentropy",
                                  "sparse_top_k_categorical_accuracy"])
def test_out_of_range_sparse_label(name):
    y = np.array([0, 1, 2, 7, 1])
    p = np.full((5, 3), 1 / 3)
    with pytest.raises(ValueError) as err:
        evaluate(resolve_metrics([name]), y, p, on_error="raise")
    msg = str(err.value)
    assert f"'{name}'" in msg
    assert "0..2" in msg and "3 columns" in msg and "7" in msg


def test_non_integer_sparse_label():
    with pytest.raises(ValueError, match=r"integer class labels in 0\.\.2.*1\.5"):
        get_metric("f1")(np.array([0, 1.5, 2]), np.full((3, 3), 1 / 3))


@pytest.mark.parametrize("name", ["auc", "pr_auc", "f1", "recall", "mcc", "log_loss",
                                  "balanced_accuracy", "true_positives"])
@pytest.mark.parametrize("labels", [[0, 1, 2, 1], [-1, 1, -1, 1], [0, 0.5, 1, 1]])
def test_binary_labels_must_be_zero_or_one(name, labels):
    y = np.array(labels)
    p = np.array([[0.2], [0.7], [0.4], [0.9]])
    with pytest.raises(ValueError) as err:
        evaluate(resolve_metrics([name]), y, p)
    msg = str(err.value)
    assert "binary labels of 0 and 1" in msg
    bad = [v for v in y.tolist() if v not in (0, 1)]  # in the labels' own dtype
    assert repr(bad[0]) in msg


def test_multilabel_targets_must_be_zero_or_one():
    y = np.array([[1, 2, 0], [0, 1, 1]])
    with pytest.raises(ValueError, match=r"multilabel targets.*0 and 1.*\[2\]"):
        get_metric("f1")(y, np.full((2, 3), 0.5))


@pytest.mark.parametrize("labels", [["cat", "dog", "cat"], np.array(["a", "b", "a"], dtype=object)])
def test_string_labels_are_a_type_error_saying_how_to_encode(labels):
    with pytest.raises(TypeError, match=r"y_true must hold numbers.*LabelEncoder"):
        evaluate(resolve_metrics(["acc", "auc"]), labels, np.array([[0.2], [0.7], [0.4]]))


def test_mismatched_rows_say_both_shapes():
    with pytest.raises(ValueError, match=r"\(4,\).*\(3, 1\)"):
        evaluate(resolve_metrics(["acc"]), np.zeros(4), np.zeros((3, 1)))


def test_label_shape_not_matching_the_output():
    with pytest.raises(ValueError, match=r"labels of shape \(4, 2\).*\(4, 3\)"):
        get_metric("auc")(np.zeros((4, 2)), np.full((4, 3), 1 / 3))


def test_bad_sample_weight_shape():
    with pytest.raises(ValueError, match=r"sample_weight must have shape \(3,\).*\(2,\)"):
        evaluate(resolve_metrics(["acc"]), np.zeros(3), np.zeros((3, 1)), np.ones(2))


def test_empty_data_says_so():
    with pytest.raises(ValueError, match=r"at least one row.*\(0,\).*\(0, 1\)"):
        evaluate(resolve_metrics(["auc", "mse"]), np.zeros(0), np.zeros((0, 1)))


def test_non_finite_predictions_keep_the_keys_of_vector_metrics():
    """An epoch with NaN outputs gives the same columns as the other epochs."""
    import functools

    case = CASES["multiclass"]
    specs = resolve_metrics([functools.partial(skm.f1_score, average=None), "f1"])
    finite = evaluate(specs, case.y, case.p, prefix="val_")
    p = case.p.copy()
    p[0, 0] = np.nan
    with pytest.warns(NonFinitePredictionWarning):
        logs = evaluate(specs, case.y, p, prefix="val_")
    assert list(logs) == list(finite)
    assert len(logs) == case.n_classes + 1
    assert all(np.isnan(v) for v in logs.values())


def test_two_threads_with_non_finite_predictions_keep_every_warning_and_the_filters():
    """The callback evaluates two datasets at once (its overlap): one thread's quiet stand-in
    computation must neither swallow the other's warning nor leave the filters changed."""
    import sys
    import threading

    case = CASES["multiclass"]
    p = case.p.copy()
    p[0, 0] = np.nan
    specs = resolve_metrics(["acc", "auc", "f1", "log_loss"])
    rounds, results = 100, []

    def work(where):
        for _ in range(rounds):
            results.append(evaluate(specs, case.y, p, where=where))

    interval = sys.getswitchinterval()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        filters = list(warnings.filters)
        sys.setswitchinterval(1e-6)          # threads switch as often as they can
        try:
            threads = [threading.Thread(target=work, args=(f"set {i}",)) for i in range(2)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
        finally:
            sys.setswitchinterval(interval)
        assert warnings.filters == filters
    assert len(results) == 2 * rounds
    assert all(np.isnan(v) for logs in results for v in logs.values())
    relevant = [c for c in caught if issubclass(c.category, NonFinitePredictionWarning)]
    for i in range(2):
        assert sum(f"set {i}" in str(c.message) for c in relevant) == rounds


def test_nan_outputs_on_one_thread_swallow_no_warning_of_the_other():
    """Built-in metrics give NaN on non-finite outputs without silencing warnings (a
    process-wide change): the other thread's undefined-AUC warnings all arrive."""
    import sys
    import threading

    rng = np.random.default_rng(0)
    p = rng.random((5000, 1))
    y = (rng.random(5000) > 0.5).astype(int)
    p_nan = p.copy()
    p_nan[0, 0] = np.nan
    specs, auc = resolve_metrics(["acc", "auc", "f1", "log_loss"]), resolve_metrics(["auc"])
    stop, rounds, nan_logs = threading.Event(), 100, []

    def nan_outputs():
        while not stop.is_set():
            nan_logs.append(evaluate(specs, y, p_nan, where="the training data"))

    interval = sys.getswitchinterval()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sys.setswitchinterval(1e-6)
        other = threading.Thread(target=nan_outputs)
        other.start()
        try:
            one_class = [evaluate(auc, np.zeros(1000, int), p[:1000], where="the validation data")
                         for _ in range(rounds)]
        finally:
            stop.set()
            other.join()
            sys.setswitchinterval(interval)
    assert nan_logs and all(np.isnan(v) for logs in nan_logs for v in logs.values())
    assert all(np.isnan(logs["auc"]) for logs in one_class)
    undefined = [c for c in caught if issubclass(c.category, UndefinedMetricWarning)]
    assert len(undefined) == rounds
