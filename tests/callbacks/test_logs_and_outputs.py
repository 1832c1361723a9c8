"""What the callback writes into logs and the store: collisions, every Keras key, outputs."""

import numpy as np
import pytest
from sklearn.metrics import accuracy_score, f1_score, mean_absolute_error, roc_auc_score

from fittrack import MetricsCallback
from tests.callbacks.probes import Probe, binary_classifier, dense_classifier
from tests.keras_under_test import keras


class LogsBefore(keras.callbacks.Callback):
    """Placed before MetricsCallback: sees Keras' own values."""

    def __init__(self):
        super().__init__()
        self.logs = []

    def on_epoch_end(self, epoch, logs=None):
        self.logs.append(dict(logs))


def test_exact_value_replaces_keras_value_which_is_kept(multiclass_data):
    x, y, xv, yv = multiclass_data
    model = dense_classifier(6, 4, "softmax")
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    before, after = LogsBefore(), Probe(x, xv)
    cb = MetricsCallback(["accuracy", "f1"], (x, y), (xv, yv))
    hist = model.fit(x, y, validation_data=(xv, yv), epochs=3, batch_size=32, verbose=0,
                     callbacks=[before, cb, after])
    for epoch in range(3):
        pred, pred_v = after.preds[epoch]
        exact = accuracy_score(y, pred.argmax(1))
        assert after.logs[epoch]["accuracy"] == pytest.approx(exact)
        assert after.logs[epoch]["val_f1"] == pytest.approx(
            f1_score(yv, pred_v.argmax(1), average="macro"))
        # Keras' running value is kept under <key>_keras, never dropped.
        assert cb.history["accuracy_keras"][epoch] == pytest.approx(before.logs[epoch]["accuracy"])
        assert cb.history["val_accuracy_keras"][epoch] == pytest.approx(
            before.logs[epoch]["val_accuracy"])
    assert hist.history["accuracy"] == cb.history["accuracy"]
    for key in ("loss", "val_loss", "accuracy", "val_accuracy", "f1", "val_f1"):
        assert key in cb.history


def test_multi_output_dict_metrics_keys_and_values():
    rng = np.random.default_rng(4)
    x = rng.normal(size=(120, 4)).astype("float32")
    y_cls = (x[:, 0] > 0).astype("int64")
    y_reg = (x[:, 1] * 2).astype("float32")
    keras.utils.set_random_seed(0)
    inp = keras.Input((4,))
    h = keras.layers.Dense(8, activation="relu")(inp)
    out_cls = keras.layers.Dense(1, activation="sigmoid", name="cls")(h)
    out_reg = keras.layers.Dense(1, name="reg")(h)
    model = keras.Model(inp, {"cls": out_cls, "reg": out_reg})
    model.compile("adam", {"cls": "binary_crossentropy", "reg": "mse"})
    ys = {"cls": y_cls, "reg": y_reg}
    cb = MetricsCallback({"cls": ["auc"], "reg": ["mae"]}, train_data=(x, ys),
                         validation_data=(x, ys))
    probe = Probe(x)
    model.fit(x, ys, epochs=2, verbose=0, callbacks=[cb, probe])
    for logs, (pred,) in zip(probe.logs, probe.preds):
        assert logs["cls_auc"] == pytest.approx(roc_auc_score(y_cls, pred["cls"][:, 0]))
        assert logs["val_reg_mae"] == pytest.approx(mean_absolute_error(y_reg, pred["reg"][:, 0]),
                                                    rel=1e-6)
    assert cb.history.greater_is_better("val_reg_mae") is False
    assert cb.history.greater_is_better("cls_auc") is True


def test_list_metrics_on_a_multi_output_model_fail_before_training():
    inp = keras.Input((3,))
    model = keras.Model(inp, [keras.layers.Dense(1, name="a")(inp),
                              keras.layers.Dense(1, name="b")(inp)])
    model.compile("adam", ["mse", "mse"])
    x = np.zeros((8, 3), "float32")
    cb = MetricsCallback(["mae"], train_data=(x, [np.zeros(8), np.zeros(8)]))
    with pytest.raises(ValueError, match="Pass a dict instead"):
        model.fit(x, [np.zeros(8), np.zeros(8)], epochs=1, verbose=0, callbacks=[cb])


def test_epoch_frequency_and_a_second_fit(binary_data):
    x, y, xv, yv = binary_data
    model = binary_classifier()
    cb = MetricsCallback(["auc"], validation_data=(xv, yv), epoch_frequency=2)
    model.fit(x, y, epochs=5, verbose=0, callbacks=[cb])
    assert cb.history.epoch == [0, 1, 2, 3, 4]
    assert len(cb.history["loss"]) == 5
    assert len(cb.history["val_auc"]) == 2          # epochs 1 and 3
    assert np.isnan(cb.history.to_frame()["val_auc"].loc[[0, 2, 4]]).all()
    first = cb.history
    model.fit(x, y, epochs=2, verbose=0, callbacks=[cb])
    assert cb.history is not first and cb.history.epoch == [0, 1]
    assert len(first.epoch) == 5                    # the earlier run's store is left intact


def test_sample_weights_are_used(binary_data):
    x, y, xv, yv = binary_data
    w = np.where(yv == 1, 3.0, 0.5)
    model = binary_classifier()
    cb = MetricsCallback(["accuracy", "auc"], validation_data=(xv, yv, w))
    probe = Probe(xv)
    model.fit(x, y, epochs=1, verbose=0, callbacks=[cb, probe])
    pred = probe.preds[0][0][:, 0]
    assert probe.logs[0]["val_auc"] == pytest.approx(roc_auc_score(yv, pred, sample_weight=w))
    assert probe.logs[0]["val_accuracy"] == pytest.approx(
        accuracy_score(yv, pred > 0.5, sample_weight=w))
