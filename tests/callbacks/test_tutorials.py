"""The classic Keras tutorial examples, through the callback.

Each value the callback logs is compared, at every epoch end, with the same
metric computed in NumPy from the model's own predictions at that moment
(taken by a probe callback with ``model.predict``). Under tf_keras the
tutorials' Keras 2 code runs as written: ``K.*`` metric functions, ``'acc'``,
``'cosine_proximity'``, ``history.history`` keys, EarlyStopping on ``val_auc``.
"""

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from fittrack import MetricsCallback
from fittrack.metrics import make_metric
from fittrack.notices import FittrackWarning
from tests.callbacks.probes import Probe
from tests.keras_under_test import TF_KERAS, compares, keras, keras3_only, weights_path

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
    from keras import ops

    return ops.sqrt(ops.mean(ops.square(y_pred - y_true), axis=-1))


@keras3_only("keras.ops user functions (tf_keras code uses K.*: see the Keras 2 tutorial test)")
def test_custom_keras_ops_rmse_matches_numpy():
    model = regression_121()
    cb = MetricsCallback([make_metric(rmse, greater_is_better=False)], train_data=(X_REG, X_REG),
                         validation_data=(X_REG, X_REG))
    probe = Probe(X_REG)
    model.fit(X_REG, X_REG, epochs=3, batch_size=5, verbose=0, callbacks=[cb, probe])
    for logs, (pred,) in zip(probe.logs, probe.preds):
        per_sample = np.sqrt(np.mean((pred - X_REG[:, None]) ** 2, axis=-1))
        assert logs["rmse"] == pytest.approx(per_sample.mean(), rel=1e-5)
        assert logs["val_rmse"] == pytest.approx(per_sample.mean(), rel=1e-5)


# ---------------------------------------------------------------- Keras 2, as written
keras2_only = pytest.mark.skipif(
    not TF_KERAS, reason="Keras 2 code (K.* backend functions): tf_keras only; Keras 3 users "
    "write keras.ops (tests/metrics: a K.* call gets an error pointing to keras.ops)")


@keras2_only
def test_keras2_regression_tutorial_as_written():
    from tf_keras import backend as K  # `from keras import backend as K` in Keras 2

    def rmse(y_true, y_pred):
        return K.sqrt(K.mean(K.square(y_pred - y_true), axis=-1))

    keras.utils.set_random_seed(7)
    model = keras.Sequential()
    model.add(keras.layers.Dense(2, input_dim=1))
    model.add(keras.layers.Dense(1))
    model.compile(loss="mse", optimizer="adam")
    with pytest.warns(FittrackWarning, match=r"direction of \['rmse'\] is unknown"):
        cb = MetricsCallback(["mse", "mae", "mape", "cosine_proximity", rmse],
                             train_data=(X_REG, X_REG))
    probe = Probe(X_REG)
    history = model.fit(X_REG, X_REG, epochs=4, batch_size=len(X_REG), verbose=0,
                        callbacks=[cb, probe])
    for logs, (pred,) in zip(probe.logs, probe.preds):
        expected = numpy_regression(X_REG, pred)
        for name in ("mse", "mae", "mape"):
            assert logs[name] == pytest.approx(expected[name], rel=1e-5, abs=1e-7)
        assert logs["cosine_proximity"] == pytest.approx(expected["cosine"], abs=1e-7)
        assert logs["rmse"] == pytest.approx(np.abs(pred[:, 0] - X_REG).mean(), rel=1e-5)
    for key in ("loss", "mse", "mae", "mape", "cosine_proximity", "rmse"):
        assert history.history[key] == cb.history[key]


@keras2_only
def test_keras2_classifier_tutorial_with_acc_and_early_stopping_on_val_auc(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(400, 8)).astype("float32")
    y = (x[:, 0] + x[:, 1] * x[:, 2] + rng.normal(scale=0.7, size=400) > 0).astype("int64")
    x, xv, y, yv = x[:300], x[300:], y[:300], y[300:]
    keras.utils.set_random_seed(0)
    model = keras.Sequential()
    model.add(keras.layers.Dense(12, input_dim=8, activation="relu"))
    model.add(keras.layers.Dense(1, activation="sigmoid"))
    model.compile(loss="binary_crossentropy", optimizer=keras.optimizers.Adam(0.05),
                  metrics=["acc"])
    cb = MetricsCallback(["acc", "auc"], train_data=(x, y), validation_data=(xv, yv))
    # tf_keras guesses the direction from the name: "greater" for val_auc in EarlyStopping,
    # "lower" in ModelCheckpoint; the callback sets both to greater.
    stop = keras.callbacks.EarlyStopping(monitor="val_auc", patience=2)
    path = weights_path(tmp_path)
    best = keras.callbacks.ModelCheckpoint(path, monitor="val_auc", save_best_only=True,
                                           save_weights_only=True)
    probe = Probe(xv)
    history = model.fit(x, y, validation_data=(xv, yv), epochs=30, batch_size=16, verbose=0,
                        callbacks=[cb, stop, best, probe])
    assert compares(stop) == compares(best) == "max"
    for logs, (pred,) in zip(probe.logs, probe.preds):
        assert logs["val_acc"] == pytest.approx(np.mean((pred[:, 0] > 0.5) == yv), abs=1e-12)
        assert logs["val_auc"] == pytest.approx(roc_auc_score(yv, pred[:, 0]), abs=1e-12)
    values = history.history["val_auc"]
    assert values == cb.history["val_auc"]
    assert history.history["acc"] == cb.history["acc"] != cb.history["acc_keras"]
    best_epoch = int(np.argmax(values))
    assert len(values) == min(30, best_epoch + 3)          # patience 2 after the best epoch
    model.load_weights(path)
    assert roc_auc_score(yv, model.predict(xv, verbose=0)[:, 0]) == pytest.approx(
        max(values), abs=1e-12)
