"""Bad arguments fail in __init__, bad data in on_train_begin: before any batch runs."""

import numpy as np
import pytest

from fittrack import MetricsCallback
from fittrack.metrics import MetricError, make_metric
from tests.callbacks.probes import binary_classifier, dense_classifier
from tests.keras_under_test import keras


class BatchCounter(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.batches = 0

    def on_train_batch_begin(self, batch, logs=None):
        self.batches += 1


X = np.random.default_rng(0).normal(size=(40, 5)).astype("float32")
Y_BIN = (X[:, 0] > 0).astype("int64")


@pytest.mark.parametrize("kwargs, match", [
    (dict(metrics=["aucc"], validation_data=(X, Y_BIN)), "Unknown metric 'aucc'.*'auc'"),
    (dict(metrics=["auc"]), "needs data to evaluate"),
    (dict(metrics=["auc"], validation_data=X), "must be \\(x, y\\)"),
    (dict(metrics=["auc"], validation_data=(X, Y_BIN[:30])), "x has \\[40\\] rows, y has \\[30\\]"),
    (dict(metrics=["auc"], validation_data=(X, Y_BIN, np.ones(39))), "sample_weight has \\[39\\]"),
    (dict(metrics=["auc"], validation_data=(X[:0], Y_BIN[:0])), "has no rows"),
    (dict(metrics=["auc"], validation_data=(X, Y_BIN.astype(str))), "must be numeric"),
    (dict(metrics=["auc"], validation_data=(X, Y_BIN), batch_frequency=0), "batch_frequency"),
    (dict(metrics=["auc"], validation_data=(X, Y_BIN), epoch_frequency=1.5), "epoch_frequency"),
    (dict(metrics=["auc"], validation_data=(X, Y_BIN), csv_path="/no/such/dir/run.csv"), "run.csv"),
    (dict(metrics=[lambda a, b: 0.0], validation_data=(X, Y_BIN)), "no usable name"),
    (dict(metrics=["auc", "auc"], validation_data=(X, Y_BIN)), "same key 'auc'"),
    (dict(metrics=["auc"], validation_data=(X, Y_BIN), validation_steps=3),
     "validation_steps=3 is for a streamed validation_data.*evaluated whole"),
])
def test_bad_arguments_fail_in_init(kwargs, match):
    with pytest.raises((ValueError, TypeError, OSError), match=match):
        MetricsCallback(**kwargs)


def fit_with(cb, n_out=1, activation="sigmoid", y=Y_BIN):
    model = dense_classifier(5, n_out, activation)
    model.compile("adam", "mse")
    counter = BatchCounter()
    try:
        model.fit(X, np.zeros((40, n_out)), epochs=1, verbose=0, callbacks=[cb, counter])
    finally:
        assert counter.batches == 0


def test_labels_out_of_range_fail_before_the_first_batch():
    y = np.arange(40) % 5            # class 4 for a 4-class output
    cb = MetricsCallback(["accuracy"], validation_data=(X, y))
    with pytest.raises(ValueError, match="integer class labels in 0..3.*e.g. \\[4"):
        fit_with(cb, n_out=4, activation="softmax")


def test_labels_of_the_wrong_shape_fail_before_the_first_batch():
    cb = MetricsCallback(["mse"], validation_data=(X, np.zeros((40, 3))))
    with pytest.raises(ValueError, match="targets of shape \\(40, 3\\) do not fit"):
        fit_with(cb, n_out=2, activation="linear")


def test_a_metric_that_raises_is_named_before_the_first_batch():
    def explodes(y_true, y_pred):
        raise ZeroDivisionError("boom")

    cb = MetricsCallback([make_metric(explodes, greater_is_better=True)],
                         validation_data=(X, Y_BIN))
    with pytest.raises(MetricError, match="'explodes' failed on validation_data.*boom"):
        fit_with(cb)


def test_a_multiclass_only_metric_on_multilabel_targets_is_named():
    y = np.random.default_rng(1).integers(0, 2, size=(40, 3))
    cb = MetricsCallback(["mcc"], validation_data=(X, y))
    with pytest.raises(MetricError, match="'mcc'.*multilabel"):
        fit_with(cb, n_out=3, activation="sigmoid")


def test_non_binary_labels_for_a_binary_metric_are_named():
    cb = MetricsCallback(["auc"], validation_data=(X, np.linspace(0, 1, 40)))
    with pytest.raises(MetricError, match="'auc'.*0 and 1"):
        fit_with(cb)


def test_nan_predictions_are_recorded_with_a_warning_and_training_goes_on():
    """A NaN input row gives a NaN output on every machine: a linear model (no relu,
    whose NaN handling depends on the CPU's kernels) that outputs logits."""
    from fittrack.metrics import NonFinitePredictionWarning

    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(1)])
    model.compile("adam", keras.losses.BinaryCrossentropy(from_logits=True))
    x_bad = X.copy()
    x_bad[7] = np.nan                              # one validation row: a NaN output
    cb = MetricsCallback(["auc", "accuracy"], train_data=(X, Y_BIN), validation_data=(x_bad, Y_BIN))
    with pytest.warns(NonFinitePredictionWarning, match="validation_data.*val_auc, val_accuracy"):
        model.fit(X, Y_BIN, epochs=3, verbose=0, callbacks=[cb])
    assert cb.history.epoch == [0, 1, 2]
    assert np.isnan(cb.history["val_auc"]).all() and np.isnan(cb.history["val_accuracy"]).all()
    assert np.isfinite(cb.history["auc"]).all()


def test_auc_with_one_class_present_is_nan_with_a_warning():
    from fittrack.metrics import UndefinedMetricWarning

    model = binary_classifier()
    cb = MetricsCallback(["auc", "accuracy"], validation_data=(X, np.ones(40, dtype="int64")))
    with pytest.warns(UndefinedMetricWarning, match="auc is undefined"):
        model.fit(X, Y_BIN, epochs=1, verbose=0, callbacks=[cb])
    assert np.isnan(cb.history["val_auc"][0])
    assert 0.0 <= cb.history["val_accuracy"][0] <= 1.0
