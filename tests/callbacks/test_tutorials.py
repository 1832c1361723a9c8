"""The classic Keras tutorial examples, through the callback.

Each value the callback logs is compared, at every epoch end, with the same
metric computed in NumPy from the model's own predictions at that moment
(taken by a probe callback with ``model.predict``).
"""

import keras
import numpy as np
import pytest
from keras import ops

from fittrack import MetricsCallback
from tests.callbacks.probes import Probe

X_REG = np.array([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0], dtype="float32")


def regression_121():
    keras.utils.set_random_seed(7)
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(2), keras.layers.Dense(1)])
    model.compile(loss="mse", optimizer="adam")
    return model


def numpy_regression(y, p):
    p = p.reshape(-1)
    err = p - y
    return {
        "mse": np.mean(err**2),
        "mae": np.mean(np.abs(err)),
        "mape": 100 * np.mean(np.abs(err) / np.abs(y)),
        # Keras 2 cosine_proximity on (n, 1) rows: -mean(sign(y) * sign(p))
        "cosine": -np.mean(np.sign(y) * np.sign(p)),
    }


@pytest.mark.parametrize("names", [
    ["mse", "mae", "mape", "cosine"],
    ["mean_squared_error", "mean_absolute_error", "mean_absolute_percentage_error",
     "cosine_proximity"],
])
def test_regression_121_metrics_match_numpy_each_epoch(names):
    model = regression_121()
    cb = MetricsCallback(names, train_data=(X_REG, X_REG))
    probe = Probe(X_REG)
    hist = model.fit(X_REG, X_REG, epochs=4, batch_size=len(X_REG), verbose=0,
                     callbacks=[cb, probe])
    short = ["mse", "mae", "mape", "cosine"]
    for epoch, (logs, (pred,)) in enumerate(zip(probe.logs, probe.preds)):
        expected = numpy_regression(X_REG, pred)
        for name, ref in zip(names, short):
            assert logs[name] == pytest.approx(expected[ref], rel=1e-5, abs=1e-7)
            assert cb.history[name][epoch] == logs[name]
    # Keras' History and the store hold the same values under the names as given.
    for name in names:
        assert hist.history[name] == cb.history.history[name]
    assert hist.history["loss"] == cb.history["loss"]


def test_cosine_has_keras2_sign_on_a_good_fit():
    model = regression_121()
    model.layers[0].set_weights([np.array([[1.0, 1.0]]), np.zeros(2)])
    model.layers[1].set_weights([np.array([[0.5], [0.5]]), np.zeros(1)])
    cb = MetricsCallback(["cosine", "cosine_similarity"], train_data=(X_REG, X_REG))
    model.compile(loss="mse", optimizer=keras.optimizers.SGD(0.0))
    model.fit(X_REG, X_REG, epochs=1, verbose=0, callbacks=[cb])
    assert cb.history["cosine"][0] == pytest.approx(-1.0)
    assert cb.history["cosine_similarity"][0] == pytest.approx(1.0)


def test_ten_point_binary_acc_matches_numpy():
    x = np.array([[0.1], [0.2], [0.3], [0.4], [0.5], [0.6], [0.7], [0.8], [0.9], [1.0]],
                 dtype="float32")
    y = np.array([0, 0, 0, 0, 0, 1, 1, 1, 1, 1])
    keras.utils.set_random_seed(3)
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1, activation="sigmoid")])
    model.compile(loss="binary_crossentropy", optimizer=keras.optimizers.Adam(0.1),
                  metrics=["acc"])
    cb = MetricsCallback(["acc"], train_data=(x, y))
    probe = Probe(x)
    hist = model.fit(x, y, epochs=5, batch_size=len(x), verbose=0, callbacks=[cb, probe])
    for logs, (pred,) in zip(probe.logs, probe.preds):
        assert logs["acc"] == pytest.approx(np.mean((pred[:, 0] > 0.5) == y))
    assert hist.history["acc"] == cb.history["acc"]
    assert len(cb.history["acc_keras"]) == 5


def rmse(y_true, y_pred):
    """The tutorial's custom metric, written with keras.ops (per sample, axis=-1)."""
    return ops.sqrt(ops.mean(ops.square(y_pred - y_true), axis=-1))


def test_custom_keras_ops_rmse_matches_numpy():
    model = regression_121()
    cb = MetricsCallback([rmse], train_data=(X_REG, X_REG), validation_data=(X_REG, X_REG))
    probe = Probe(X_REG)
    model.fit(X_REG, X_REG, epochs=3, batch_size=5, verbose=0, callbacks=[cb, probe])
    for logs, (pred,) in zip(probe.logs, probe.preds):
        per_sample = np.sqrt(np.mean((pred - X_REG[:, None]) ** 2, axis=-1))
        assert logs["rmse"] == pytest.approx(per_sample.mean(), rel=1e-5)
        assert logs["val_rmse"] == pytest.approx(per_sample.mean(), rel=1e-5)
