"""EarlyStopping and ModelCheckpoint driven by the values the callback computes."""

import numpy as np
import pytest
from sklearn.metrics import f1_score, roc_auc_score

from fittrack import MetricsCallback
from tests.callbacks.probes import Probe, binary_classifier, dense_classifier
from tests.keras_under_test import compares, keras, weights_path


def expected_stop(values, patience):
    """The epoch Keras' EarlyStopping (mode max, min_delta 0) stops at, or None."""
    best, wait = -np.inf, 0
    for epoch, value in enumerate(values):
        wait += 1
        if value > best:
            best, wait = value, 0
        if wait >= patience and epoch > 0:
            return epoch
    return None


def test_early_stopping_on_val_auc_with_auto_mode(binary_data):
    x, y, xv, yv = binary_data
    model = dense_classifier(5, 1, "sigmoid", seed=2)
    model.compile(keras.optimizers.Adam(0.05), "binary_crossentropy")
    cb = MetricsCallback(["auc"], validation_data=(xv, yv))
    stop = keras.callbacks.EarlyStopping(monitor="val_auc", patience=2)
    probe = Probe(xv)
    model.fit(x, y, epochs=25, batch_size=16, verbose=0, callbacks=[cb, stop, probe])
    assert compares(stop) == "max"
    vals = cb.history["val_auc"]
    for logs, (pred,) in zip(probe.logs, probe.preds):
        assert logs["val_auc"] == pytest.approx(roc_auc_score(yv, pred[:, 0]), abs=1e-9)
    stop_epoch = expected_stop(vals, 2)
    assert len(vals) == (25 if stop_epoch is None else stop_epoch + 1)


def test_early_stopping_before_the_callback_gets_a_warning(binary_data):
    x, y, xv, yv = binary_data
    model = binary_classifier()
    cb = MetricsCallback(["auc"], validation_data=(xv, yv))
    stop = keras.callbacks.EarlyStopping(monitor="val_auc", patience=2)
    with pytest.warns(UserWarning, match="Put MetricsCallback first"):
        model.fit(x, y, epochs=1, verbose=0, callbacks=[stop, cb])


def test_lower_is_better_metric_sets_mode_min(binary_data):
    x, y, xv, yv = binary_data
    model = binary_classifier()
    cb = MetricsCallback(["log_loss"], validation_data=(xv, yv))
    stop = keras.callbacks.EarlyStopping(monitor="val_log_loss", patience=50)
    model.fit(x, y, epochs=2, verbose=0, callbacks=[cb, stop])
    assert compares(stop) == "min"


def test_model_checkpoint_keeps_the_best_val_f1(binary_data, tmp_path):
    x, y, xv, yv = binary_data
    model = dense_classifier(5, 1, "sigmoid", seed=5)
    model.compile(keras.optimizers.Adam(0.02), "binary_crossentropy")
    cb = MetricsCallback(["f1"], validation_data=(xv, yv))
    path = weights_path(tmp_path)
    ckpt = keras.callbacks.ModelCheckpoint(path, monitor="val_f1", save_best_only=True,
                                           save_weights_only=True)
    model.fit(x, y, epochs=6, batch_size=32, verbose=0, callbacks=[cb, ckpt])
    model.load_weights(path)
    pred = model.predict(xv, verbose=0)[:, 0]
    best = max(cb.history["val_f1"])
    assert f1_score(yv, pred > 0.5) == pytest.approx(best, abs=1e-12)
