"""Batch-level evaluation on the seeded monitor subsets."""

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from fittrack import MetricsCallback
from fittrack.metrics import make_metric
from tests.callbacks.probes import binary_classifier
from tests.keras_under_test import BACKEND, keras, uses_tensorflow


class BatchProbe(keras.callbacks.Callback):
    """After MetricsCallback: the batch logs, the model's predictions, its train mode."""

    def __init__(self, x):
        super().__init__()
        self.x, self.rows = x, []

    def on_train_batch_end(self, batch, logs=None):
        training = getattr(self.model, "training", None)
        if "val_auc" in (logs or {}):
            pred = self.model.predict_on_batch(self.x)
            self.rows.append((batch, dict(logs), pred, training))
        else:
            self.rows.append((batch, None, None, training))


def test_every_n_steps_on_the_whole_small_dataset(binary_data):
    x, y, xv, yv = binary_data              # 200 train rows, 100 validation rows
    model = binary_classifier()
    cb = MetricsCallback(["auc"], train_data=(x, y), validation_data=(xv, yv),
                         batch_frequency=3, monitor_size=1000)
    probe = BatchProbe(xv)
    model.fit(x, y, epochs=2, batch_size=50, verbose=0, callbacks=[cb, probe])  # 4 steps/epoch
    frame = cb.history.to_frame("batch")
    assert frame["step"].tolist() == [3, 6]
    assert frame["epoch"].tolist() == [0, 1]
    assert frame["batch"].tolist() == [2, 1]
    evaluated = [r for r in probe.rows if r[1] is not None]
    assert len(evaluated) == 2
    for (_batch, logs, pred, _), value in zip(evaluated, frame["val_auc"]):
        assert value == pytest.approx(roc_auc_score(yv, pred[:, 0]))
        assert logs["val_auc"] == value
    assert "loss" in frame.columns                  # Keras' batch logs are kept too


def test_monitor_subsets_are_seeded_and_sized(binary_data):
    x, y, _xv, _yv = binary_data
    runs = []
    for seed in (0, 0, 1):
        seen = []

        def rows_seen(y_true, y_pred):
            seen.append(np.array(y_true).reshape(-1))
            return float(len(y_true))

        model = binary_classifier(seed=11)
        cb = MetricsCallback([make_metric(rows_seen, greater_is_better=True)], train_data=(x, y),
                             batch_frequency=2, monitor_size=37, seed=seed)
        model.fit(x, y, epochs=1, batch_size=50, verbose=0, callbacks=[cb])  # 4 steps
        assert cb.history.batch_values("rows_seen") == [37.0, 37.0]
        subsets = [s for s in seen if len(s) == 37]
        assert len(subsets) == 2 and np.array_equal(subsets[0], subsets[1])
        runs.append(subsets[0])
    assert np.array_equal(runs[0], runs[1])
    assert not np.array_equal(runs[0], runs[2])


def test_batch_level_loss_with_an_activity_regularizer_is_each_subsets_own(binary_data):
    x, y, xv, yv = binary_data
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(
        8, activation="relu", activity_regularizer=keras.regularizers.l2(1e-2)),
        keras.layers.Dense(1, activation="sigmoid")])
    model.compile("adam", "binary_crossentropy")
    cb = MetricsCallback(["auc"], train_data=(x, y), validation_data=(xv, yv),
                         batch_frequency=4, monitor_size=1000)
    seen = {}

    class Weights(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if "val_loss" in (logs or {}):
                seen.update(logs=dict(logs), weights=self.model.get_weights())
    model.fit(x, y, epochs=1, batch_size=50, verbose=0, callbacks=[cb, Weights()])
    model.set_weights(seen["weights"])
    for key, (xs, ys) in {"loss": (x, y), "val_loss": (xv, yv)}.items():
        expected = model.evaluate(xs, ys, batch_size=len(xs), verbose=0)
        assert seen["logs"][key] == pytest.approx(expected, rel=1e-5), key


@pytest.mark.skipif(BACKEND != "torch", reason="torch train/eval modes")
def test_torch_module_is_back_in_train_mode_after_predicting(binary_data):
    x, y, xv, yv = binary_data
    model = binary_classifier()
    cb = MetricsCallback(["auc"], validation_data=(xv, yv), batch_frequency=1)
    probe = BatchProbe(xv)
    model.fit(x, y, epochs=1, batch_size=50, verbose=0, callbacks=[cb, probe])
    assert [r[3] for r in probe.rows] == [True] * 4


def test_predictions_come_from_one_compiled_step_not_predict(binary_data):
    x, y, xv, yv = binary_data
    traced = []

    class Counted(keras.layers.Layer):
        """Counts Python calls: under a compiled function, one per trace."""

        def call(self, inputs):
            traced.append(1)
            return inputs

    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((5,)), Counted(), keras.layers.Dense(16, "relu"),
                              keras.layers.Dense(1, activation="sigmoid")])
    model.compile("adam", "binary_crossentropy")

    def forbidden(*args, **kwargs):
        raise AssertionError("MetricsCallback called predict or predict_on_batch")

    model.predict = model.predict_on_batch = forbidden
    cb = MetricsCallback(["auc"], (x, y), (xv, yv), batch_frequency=2)
    at_epoch_end = []
    trace_count = keras.callbacks.LambdaCallback(
        on_epoch_end=lambda epoch, logs: at_epoch_end.append(len(traced)))
    model.fit(x, y, epochs=2, batch_size=50, verbose=0, callbacks=[cb, trace_count])  # 4 steps
    assert len(cb.history["val_auc"]) == 2 and len(cb.history.batch_values("val_auc")) == 4
    if uses_tensorflow() or BACKEND == "jax":   # compiled: the second epoch traces nothing new
        assert at_epoch_end[1] == at_epoch_end[0] > 0
