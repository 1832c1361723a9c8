"""The training set's metrics computed beside the validation set's inference: same logs."""

import threading

import numpy as np
import pytest

from fittrack import MetricsCallback
from fittrack.callbacks import evaluation, evaluator, overlap
from fittrack.metrics import make_metric
from tests.callbacks.probes import binary_classifier
from tests.keras_under_test import keras


def _fit(monkeypatch, data, n_threads, metrics):
    """A fit that does not change the model (learning rate 0), with the metrics' threads."""
    x, y, xv, yv = data
    monkeypatch.setattr(overlap, "threads", lambda: n_threads)
    monkeypatch.setattr(overlap, "OVERLAP_FROM", 0)     # these small sets too
    seen = []
    real = evaluation.metric_values

    def recording(*args, **kwargs):
        seen.append((args[3], threading.current_thread().name))   # (role, thread)
        return real(*args, **kwargs)

    monkeypatch.setattr(evaluator, "metric_values", recording)
    model = binary_classifier()
    model.compile(keras.optimizers.SGD(0.0), "binary_crossentropy")
    cb = MetricsCallback(metrics, (x, y), (xv, yv), curves=True)
    model.fit(x, y, epochs=2, verbose=0, callbacks=[cb])
    return cb.history, seen


def _values(history):
    return {k: v for k, v in history.history.items() if k != "eval_seconds"}


def test_built_in_metrics_run_on_the_second_thread_with_the_same_logs(binary_data, monkeypatch):
    metrics = ["accuracy", "auc", "f1", "log_loss"]
    alone, alone_seen = _fit(monkeypatch, binary_data, 1, metrics)
    beside, beside_seen = _fit(monkeypatch, binary_data, 2, metrics)
    assert {thread for _, thread in alone_seen} == {threading.current_thread().name}
    # the training set's beside the validation set's inference; the last set's (nothing
    # left to predict) on the calling thread
    assert len(beside_seen) == 4
    for role, thread in beside_seen:
        assert thread.startswith("fittrack-metrics") if role == "train_data" else \
            thread == threading.current_thread().name, (role, thread)
    assert list(_values(beside)) == list(_values(alone))           # same keys, same order
    for key, values in _values(alone).items():
        np.testing.assert_array_equal(_values(beside)[key], values, err_msg=key)
    for dataset in ("train", "val"):
        for kind, field in (("roc", "fpr"), ("pr", "precision"), ("confusion", "matrix")):
            np.testing.assert_array_equal(beside.curve(kind, dataset, 1)[field],
                                          alone.curve(kind, dataset, 1)[field])


def test_a_user_function_keeps_the_evaluation_on_the_calling_thread(binary_data, monkeypatch):
    def worst_error(y_true, y_pred):
        return float(np.max(np.abs(np.ravel(y_true) - np.ravel(y_pred))))

    metric = make_metric(worst_error, greater_is_better=False)
    _, seen = _fit(monkeypatch, binary_data, 2, ["auc", metric])
    assert len(seen) == 4
    assert {thread for _, thread in seen} == {threading.current_thread().name}


def test_small_predictions_stay_on_the_calling_thread(binary_data, monkeypatch):
    monkeypatch.setattr(overlap, "OVERLAP_FROM", 201)   # 200 training rows, 100 validation
    monkeypatch.setattr(overlap, "threads", lambda: 2)
    seen = []
    real = evaluation.metric_values

    def recording(*args, **kwargs):
        seen.append(threading.current_thread().name)
        return real(*args, **kwargs)

    monkeypatch.setattr(evaluator, "metric_values", recording)
    x, y, xv, yv = binary_data
    model = binary_classifier()
    model.fit(x, y, epochs=1, verbose=0, callbacks=[MetricsCallback(["auc"], (x, y), (xv, yv))])
    assert seen == [threading.current_thread().name] * 2


def test_the_last_sets_metrics_do_not_wait_for_the_earlier_sets(binary_data, monkeypatch):
    """The validation set's metrics start as soon as it is predicted, while the training
    set's are still running (they used to queue behind them on the second thread)."""
    monkeypatch.setattr(overlap, "threads", lambda: 2)
    monkeypatch.setattr(overlap, "OVERLAP_FROM", 0)
    validation_started, waited = threading.Event(), []
    real = evaluation.metric_values

    def recording(*args, **kwargs):
        if args[3] == "train_data":       # still running when the validation set's start
            waited.append(validation_started.wait(timeout=30))
        else:
            validation_started.set()
        return real(*args, **kwargs)

    monkeypatch.setattr(evaluator, "metric_values", recording)
    x, y, xv, yv = binary_data
    model = binary_classifier()
    cb = MetricsCallback(["auc"], (x, y), (xv, yv))
    model.fit(x, y, epochs=1, verbose=0, callbacks=[cb])
    assert waited == [True]
    assert np.isfinite(cb.history.history["val_auc"][0])


def test_errors_are_raised_in_the_datasets_order(binary_data, monkeypatch):
    """Both sets' metrics fail: the training set's error is the one raised, as without
    the second thread, although the validation set's ran first."""
    monkeypatch.setattr(overlap, "threads", lambda: 2)
    monkeypatch.setattr(overlap, "OVERLAP_FROM", 0)
    validation_done = threading.Event()

    def failing(*args, **kwargs):
        if args[3] == "train_data":
            validation_done.wait(timeout=30)
        else:
            validation_done.set()
        raise RuntimeError(f"failed on {args[3]}")

    monkeypatch.setattr(evaluator, "metric_values", failing)
    x, y, xv, yv = binary_data
    model = binary_classifier()
    with pytest.raises(RuntimeError, match="failed on train_data"):
        model.fit(x, y, epochs=1, verbose=0,
                  callbacks=[MetricsCallback(["auc"], (x, y), (xv, yv))])
    assert validation_done.is_set()
