"""Logits outputs and the exact loss, on the models people train.

Every logged value is compared, at each epoch end, with scikit-learn or NumPy on
the model's own predictions and with Keras' ``evaluate`` on the whole set in one
batch, both taken by a probe placed after the callback.
"""

import numpy as np
import pytest
from scipy.special import expit, softmax
from sklearn import metrics as skm

from fittrack import MetricsCallback, load_history
from fittrack.metrics import make_metric
from tests.callbacks.probes import EvalProbe, dense_classifier
from tests.keras_under_test import IGNORE_CLASS_TRAINS, TF_KERAS, compares, keras

F32 = dict(rel=2e-5, abs=1e-6)   # float32 model outputs, float32 Keras losses


def _binary(n=300, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 5)).astype("float32")
    y = (x[:, 0] + 0.5 * x[:, 1] + rng.normal(scale=0.8, size=n) > 0).astype("int64")
    return x[:200], y[:200], x[200:], y[200:]


def _logits_model(n_in, n_out, loss, seed=0, **dense):
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input((n_in,)), keras.layers.Dense(16, activation="relu"),
                              keras.layers.Dense(n_out, **dense)])
    model.compile(keras.optimizers.Adam(0.01), loss)
    return model


def test_binary_logits_model_is_scored_on_probabilities():
    x, y, xv, yv = _binary()
    model = _logits_model(5, 1, keras.losses.BinaryCrossentropy(from_logits=True))
    sk_log_loss = make_metric(skm.log_loss, name="sk_log_loss")   # passed as it is
    cb = MetricsCallback(["auc", "f1", "accuracy", "log_loss", sk_log_loss], (x, y), (xv, yv))
    probe = EvalProbe(train=(x, y), val=(xv, yv))
    model.fit(x, y, epochs=3, batch_size=32, verbose=0, callbacks=[cb, probe])
    for logs, preds, evals in zip(probe.logs, probe.preds, probe.evals):
        z = preds["val"][:, 0]
        p32 = expit(z.astype(np.float64)).astype(np.float32)
        assert logs["val_auc"] == pytest.approx(skm.roc_auc_score(yv, z), abs=1e-12)
        assert logs["val_f1"] == pytest.approx(skm.f1_score(yv, z > 0), abs=1e-12)
        assert logs["val_accuracy"] == pytest.approx(np.mean((z > 0) == yv), abs=1e-12)
        assert logs["val_log_loss"] == pytest.approx(skm.log_loss(yv, p32), **F32)
        assert logs["val_sk_log_loss"] == pytest.approx(skm.log_loss(yv, p32), **F32)
        assert logs["val_loss"] == pytest.approx(evals["val"]["loss"], **F32)
        assert logs["loss"] == pytest.approx(evals["train"]["loss"], **F32)
    assert cb.history["loss_keras"] != cb.history["loss"]     # Keras' running mean, kept


@pytest.mark.parametrize("n_classes", [2, 10])
def test_softmax_logits_model_is_scored_on_probabilities(n_classes):
    rng = np.random.default_rng(n_classes)
    x = rng.normal(size=(400, 8)).astype("float32")
    y = np.argmax(x[:, :n_classes % 8 or 2] + rng.normal(size=(400, n_classes % 8 or 2)), 1) \
        if n_classes <= 8 else rng.integers(0, n_classes, 400)
    model = _logits_model(8, n_classes,
                          keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    cb = MetricsCallback(["auc", "accuracy", "log_loss", "f1"], validation_data=(x, y))
    probe = EvalProbe(val=(x, y))
    model.fit(x, y, epochs=2, batch_size=64, verbose=0, callbacks=[cb, probe])
    for logs, preds, evals in zip(probe.logs, probe.preds, probe.evals):
        z = preds["val"]
        probs = softmax(z.astype(np.float64), axis=1)
        if n_classes == 2:
            auc = skm.roc_auc_score(y, probs[:, 1])
            f1 = skm.f1_score(y, z.argmax(1))
        else:
            auc = skm.roc_auc_score(y, probs, multi_class="ovr")
            f1 = skm.f1_score(y, z.argmax(1), average="macro")
        assert logs["val_auc"] == pytest.approx(auc, abs=1e-12)
        assert logs["val_f1"] == pytest.approx(f1, abs=1e-12)
        assert logs["val_accuracy"] == pytest.approx(np.mean(z.argmax(1) == y), abs=1e-12)
        assert logs["val_log_loss"] == pytest.approx(
            skm.log_loss(y, probs.astype(np.float32), labels=np.arange(n_classes)), **F32)
        assert logs["val_loss"] == pytest.approx(evals["val"]["loss"], **F32)


def test_outputs_outside_0_1_without_from_logits_fail_before_training():
    x, y, xv, yv = _binary()
    model = _logits_model(5, 1, "mse")           # a linear output; nothing says logits
    model.layers[-1].set_weights([np.full((16, 1), 5.0, "float32"), np.zeros(1, "float32")])
    cb = MetricsCallback(["auc"], validation_data=(xv, yv))
    with pytest.raises(ValueError, match=r"outside \[0, 1\].*from_logits=True"):
        model.fit(x, y, epochs=1, verbose=0, callbacks=[cb])
    told = MetricsCallback(["auc", "f1"], validation_data=(xv, yv), from_logits=True)
    probe = EvalProbe(val=(xv, yv))
    model.fit(x, y, epochs=1, verbose=0, callbacks=[told, probe])
    z = probe.preds[0]["val"][:, 0]
    assert probe.logs[0]["val_f1"] == pytest.approx(skm.f1_score(yv, z > 0), abs=1e-12)


def test_exact_loss_with_regularization_weights_and_loss_weights():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(256, 6)).astype("float32")
    ya = (x[:, 0] > 0).astype("float32")
    yb = (x[:, 1] * 2 + rng.normal(size=256)).astype("float32")
    w = rng.uniform(0.2, 2.0, 256)
    keras.utils.set_random_seed(1)
    inp = keras.Input((6,))
    h = keras.layers.Dense(8, activation="relu",
                           kernel_regularizer=keras.regularizers.L2(0.01))(inp)
    model = keras.Model(inp, {"b": keras.layers.Dense(1, name="b")(h),
                              "a": keras.layers.Dense(1, activation="sigmoid", name="a")(h)})
    model.compile("adam", {"a": "binary_crossentropy", "b": "mse"},
                  loss_weights={"a": 1.0, "b": 0.5})
    ys = {"a": ya, "b": yb}
    cb = MetricsCallback({"a": ["auc"]}, train_data=(x, ys, w), validation_data=(x, ys))
    probe = EvalProbe(train=(x, ys, w), val=(x, ys))
    model.fit(x, ys, epochs=2, batch_size=32, verbose=0, callbacks=[cb, probe])
    for logs, evals in zip(probe.logs, probe.evals):
        for prefix, name in (("", "train"), ("val_", "val")):
            for key in ("loss", "a_loss", "b_loss"):
                assert logs[prefix + key] == pytest.approx(evals[name][key], **F32), key
    assert "a_loss_keras" in cb.history and "loss_keras" in cb.history


def test_a_user_metric_without_direction_configures_no_monitor():
    x, y, xv, yv = _binary()

    def median_ae(y_true, y_pred):
        return np.median(np.abs(np.asarray(y_true, float) - np.asarray(y_pred, float)))

    model = _logits_model(5, 1, "binary_crossentropy", activation="sigmoid")
    with pytest.warns(UserWarning, match=r"median_ae.*make_metric"):
        cb = MetricsCallback([median_ae], validation_data=(xv, yv))
    stop = keras.callbacks.EarlyStopping(monitor="val_median_ae", patience=1)
    if TF_KERAS:   # tf_keras guesses from the name ("lower"), and nothing changes that guess
        model.fit(x, y, epochs=2, verbose=0, callbacks=[cb, stop])
        assert compares(stop) == "min"
        return
    with pytest.raises(ValueError, match="val_median_ae"):   # Keras' own: pass mode=
        model.fit(x, y, epochs=2, verbose=0, callbacks=[cb, stop])
    assert stop.mode == "auto"


def test_declared_direction_drives_monitors_and_survives_the_file(tmp_path):
    x, y, xv, yv = _binary()

    def median_ae(y_true, y_pred):
        return np.median(np.abs(np.asarray(y_true, float) - np.asarray(y_pred, float)))

    model = _logits_model(5, 1, "binary_crossentropy", activation="sigmoid")
    spec = make_metric(median_ae, greater_is_better=False)
    cb = MetricsCallback([spec], validation_data=(xv, yv), csv_path=tmp_path / "run.csv")
    stop = keras.callbacks.EarlyStopping(monitor="val_median_ae", patience=5)
    model.fit(x, y, epochs=3, verbose=0, callbacks=[cb, stop])
    assert compares(stop) == "min"
    loaded = load_history(tmp_path / "run.csv")
    assert loaded.greater_is_better("val_median_ae") is False
    values = loaded["val_median_ae"]
    assert loaded.best("val_median_ae") == (int(np.argmin(values)), min(values))


@pytest.mark.skipif(not IGNORE_CLASS_TRAINS,
                    reason="Keras 3.7's own fit with ignore_class gives NaN weights")
@pytest.mark.parametrize("from_logits", [False, True])
@pytest.mark.parametrize("weighted", [False, True])
def test_exact_loss_leaves_out_the_ignored_class(from_logits, weighted):
    # SparseCategoricalCrossentropy(ignore_class=k): Keras leaves the rows of class k out
    # of the loss (a mask on the loss values) and divides by the rows it keeps
    rng = np.random.default_rng(5)
    x = rng.normal(size=(300, 6)).astype("float32")
    y = rng.integers(0, 4, 300)
    w = rng.uniform(0.2, 2.0, 300) if weighted else None
    model = dense_classifier(6, 4, None if from_logits else "softmax", seed=2)
    model.compile("adam", keras.losses.SparseCategoricalCrossentropy(
        from_logits=from_logits, ignore_class=3))
    data = (x, y) if w is None else (x, y, w)
    cb = MetricsCallback(["accuracy"], train_data=data, validation_data=(x[:200], y[:200]))
    probe = EvalProbe(train=data, val=(x[:200], y[:200]))
    model.fit(x, y, epochs=2, batch_size=64, verbose=0, callbacks=[cb, probe])
    for logs, evals in zip(probe.logs, probe.evals):
        assert logs["loss"] == pytest.approx(evals["train"]["loss"], **F32)
        assert logs["val_loss"] == pytest.approx(evals["val"]["loss"], **F32)
    # and against NumPy: the mean over the rows not of class 3 (weighted as Keras weighs)
    p = probe.preds[-1]["val"].astype(np.float64)
    p = softmax(p, axis=1) if from_logits else p / p.sum(axis=1, keepdims=True)
    kept = y[:200] != 3
    picked = -np.log(np.clip(p[np.arange(200), y[:200]], 1e-7, 1 - 1e-7))
    assert probe.logs[-1]["val_loss"] == pytest.approx(picked[kept].mean(), rel=1e-4)


@pytest.mark.skipif(not IGNORE_CLASS_TRAINS,
                    reason="Keras 3.7's own fit with ignore_class gives NaN weights")
def test_labels_the_loss_ignores_outside_the_classes_fail_before_training_naming_it():
    rng = np.random.default_rng(6)
    x = rng.normal(size=(120, 6)).astype("float32")
    y = rng.integers(0, 4, 120)
    y[::7] = -1
    model = dense_classifier(6, 4, "softmax")
    model.compile("adam", keras.losses.SparseCategoricalCrossentropy(ignore_class=-1))
    cb = MetricsCallback(["accuracy"], validation_data=(x, y))
    with pytest.raises(ValueError, match=r"ignore_class=-1.*without the rows labelled -1"):
        model.fit(x, y, epochs=1, verbose=0, callbacks=[cb])
    kept = y != -1   # the advice works: the same loss as Keras' on every row
    cb = MetricsCallback(["accuracy"], validation_data=(x[kept], y[kept]))
    probe = EvalProbe(val=(x, y))
    model.fit(x, y, epochs=1, verbose=0, callbacks=[cb, probe])
    assert probe.logs[0]["val_loss"] == pytest.approx(probe.evals[0]["val"]["loss"], **F32)


def test_class_weight_weighs_the_training_steps_not_the_exact_loss():
    x, y, xv, yv = _binary()
    model = dense_classifier(5, 1, "sigmoid")
    model.compile("adam", "binary_crossentropy")
    cb = MetricsCallback(["auc"], train_data=(x, y), validation_data=(xv, yv))
    probe = EvalProbe(train=(x, y))
    model.fit(x, y, epochs=2, batch_size=32, verbose=0, callbacks=[cb, probe],
              class_weight={0: 1.0, 1: 5.0})
    for logs, evals, keras_loss in zip(probe.logs, probe.evals, cb.history["loss_keras"]):
        assert logs["loss"] == pytest.approx(evals["train"]["loss"], **F32)   # unweighted
        assert keras_loss != pytest.approx(logs["loss"], rel=0.05)            # Keras' weighted
