"""More real-model forms: saturated probabilities, metric objects shared with
``compile``, list targets for dict outputs, bfloat16, unequal padding, and
misuse that must be named (validation_split, per-output sample weights)."""

import numpy as np
import pytest
from sklearn import metrics as skm

from fittrack import MetricsCallback
from tests.callbacks.probes import EvalProbe, Probe, binary_classifier
from tests.keras_under_test import TF_KERAS, dtype_policy, keras, set_dtype_policy

F32 = dict(rel=2e-5, abs=1e-6)


def test_log_loss_on_saturated_probabilities_clips_in_float32():
    from sklearn.datasets import load_breast_cancer

    x, y = load_breast_cancer(return_X_y=True)
    x = x.astype("float32")                         # unscaled, as many tutorials do
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((30,)), keras.layers.Dense(1, activation="sigmoid")])
    model.compile(keras.optimizers.Adam(0.05), "binary_crossentropy")
    cb = MetricsCallback(["log_loss", "binary_crossentropy"], validation_data=(x, y))
    probe = EvalProbe(val=(x, y))
    model.fit(x, y, epochs=2, batch_size=64, verbose=0, callbacks=[cb, probe])
    for logs, preds, evals in zip(probe.logs, probe.preds, probe.evals):
        p = preds["val"][:, 0]
        assert p.dtype == np.float32 and ((p == 0) | (p == 1)).any()   # saturated
        assert logs["val_log_loss"] == pytest.approx(skm.log_loss(y, p), **F32)
        assert logs["val_loss"] == pytest.approx(evals["val"]["loss"], **F32)


def test_metric_objects_shared_with_compile_leave_keras_values_alone(binary_data):
    x, y, xv, yv = binary_data

    def run(with_callback):
        metrics = [keras.metrics.AUC(name="auc"), keras.metrics.Precision(name="precision")]
        model = binary_classifier(seed=3, metrics=metrics)
        callbacks = [MetricsCallback(metrics, validation_data=(xv, yv), batch_frequency=2)] \
            if with_callback else []
        history = model.fit(x, y, epochs=2, batch_size=50, verbose=0, callbacks=callbacks)
        return history, callbacks

    plain, _ = run(False)
    shared, (cb,) = run(True)
    # Keras' training values are what they are without the callback
    np.testing.assert_allclose(shared.history["auc"], plain.history["auc"], rtol=1e-6)
    np.testing.assert_allclose(shared.history["precision"], plain.history["precision"],
                               rtol=1e-6)
    assert cb.history["val_auc"] != shared.history["auc"]


def test_list_targets_pair_with_dict_outputs_in_sorted_order():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(200, 4)).astype("float32")
    y_z = (x[:, 0] > 0).astype("float32")
    y_a = rng.integers(0, 3, 200)
    keras.utils.set_random_seed(0)
    inp = keras.Input((4,))
    h = keras.layers.Dense(8, activation="relu")(inp)
    model = keras.Model(inp, {"z_first": keras.layers.Dense(1, activation="sigmoid")(h),
                              "a_second": keras.layers.Dense(3, activation="softmax")(h)})
    model.compile("adam", {"z_first": "binary_crossentropy",
                           "a_second": "sparse_categorical_crossentropy"})
    targets = [y_a, y_z]                               # Keras: sorted output names
    cb = MetricsCallback({"z_first": ["auc"], "a_second": ["accuracy"]},
                         validation_data=(x, targets))
    # tf_keras' own fit does not take a list for dict outputs; its evaluate does
    fit_targets = {"a_second": y_a, "z_first": y_z} if TF_KERAS else targets
    probe = EvalProbe(val=(x, targets))
    model.fit(x, fit_targets, epochs=2, verbose=0, callbacks=[cb, probe])
    for logs, preds, evals in zip(probe.logs, probe.preds, probe.evals):
        p = preds["val"]
        assert logs["val_z_first_auc"] == pytest.approx(
            skm.roc_auc_score(y_z, p["z_first"][:, 0]), abs=1e-12)
        assert logs["val_a_second_accuracy"] == pytest.approx(
            np.mean(p["a_second"].argmax(1) == y_a), abs=1e-12)
        assert logs["val_loss"] == pytest.approx(evals["val"]["loss"], **F32)


@pytest.mark.parametrize("policy", ["mixed_bfloat16", "mixed_float16"])
def test_mixed_precision_outputs_are_scored_in_float32(binary_data, policy):
    x, y, xv, yv = binary_data
    before = dtype_policy()
    set_dtype_policy(policy)
    try:
        model = binary_classifier()
        cb = MetricsCallback(["auc", "accuracy", "log_loss"], validation_data=(xv, yv))
        probe = Probe(xv)
        model.fit(x, y, epochs=1, verbose=0, callbacks=[cb, probe])
    finally:
        set_dtype_policy(before)
    p = np.asarray(probe.preds[0][0], dtype=np.float32)[:, 0]
    logs = probe.logs[0]
    assert logs["val_auc"] == pytest.approx(skm.roc_auc_score(yv, p), abs=1e-12)
    assert logs["val_accuracy"] == pytest.approx(np.mean((p > 0.5) == yv), abs=1e-12)
    assert logs["val_log_loss"] == pytest.approx(skm.log_loss(yv, p), rel=1e-4)


def test_unequal_padding_with_batch_level_monitoring():
    rng = np.random.default_rng(1)
    x = rng.integers(1, 20, (300, 19)).astype("int32")
    xv = rng.integers(1, 20, (100, 11)).astype("int32")
    y, yv = (x[:, 0] > 10).astype("int64"), (xv[:, 0] > 10).astype("int64")
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((None,), dtype="int32"), keras.layers.Embedding(20, 4),
                              keras.layers.GlobalAveragePooling1D(),
                              keras.layers.Dense(1, activation="sigmoid")])
    model.compile("adam", "binary_crossentropy")
    cb = MetricsCallback(["auc"], train_data=(x, y), validation_data=(xv, yv),
                         batch_frequency=5, monitor_size=64)
    probe = Probe(xv)
    model.fit(x, y, epochs=1, batch_size=50, verbose=0, callbacks=[cb, probe])   # 6 steps
    assert len(cb.history.batch_values("val_auc")) == 1
    assert cb.history.batch_values("val_auc")[0] == pytest.approx(
        probe.logs[0]["val_auc"], abs=1)               # computed, finite
    assert probe.logs[0]["val_auc"] == pytest.approx(
        skm.roc_auc_score(yv, probe.preds[0][0][:, 0]), abs=1e-12)


def test_validation_split_with_the_callbacks_own_sets_is_named(binary_data):
    x, y, xv, yv = binary_data
    model = binary_classifier()
    cb = MetricsCallback(["auc"], train_data=(x, y), validation_data=(xv, yv))
    with pytest.warns(UserWarning) as caught:
        model.fit(x, y, validation_split=0.2, epochs=1, verbose=0, callbacks=[cb])
    text = " ".join(str(w.message) for w in caught)
    assert "validation_split=0.2" in text and "validation_data" in text
    assert "train_data has 200 rows but fit trains on 160" in text


def test_per_output_sample_weights_and_a_one_key_dict_output():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(150, 4)).astype("float32")
    ya, yb = (x[:, 0] > 0).astype("float32"), (x[:, 1] > 0).astype("float32")
    wa = rng.uniform(0.1, 2.0, 150)
    keras.utils.set_random_seed(0)
    inp = keras.Input((4,))
    model = keras.Model(inp, {"a": keras.layers.Dense(1, activation="sigmoid")(inp),
                              "b": keras.layers.Dense(1, activation="sigmoid")(inp)})
    model.compile("adam", {"a": "binary_crossentropy", "b": "binary_crossentropy"})
    cb = MetricsCallback({"a": ["auc"], "b": ["auc"]},
                         validation_data=(x, {"a": ya, "b": yb}, {"a": wa}))
    probe = Probe(x)
    model.fit(x, {"a": ya, "b": yb}, epochs=1, verbose=0, callbacks=[cb, probe])
    p = probe.preds[0][0]
    assert probe.logs[0]["val_a_auc"] == pytest.approx(
        skm.roc_auc_score(ya, p["a"][:, 0], sample_weight=wa), abs=1e-12)
    assert probe.logs[0]["val_b_auc"] == pytest.approx(skm.roc_auc_score(yb, p["b"][:, 0]),
                                                       abs=1e-12)
    single = keras.Model(inp, {"prob": keras.layers.Dense(1, activation="sigmoid")(inp)})
    single.compile("adam", "binary_crossentropy")
    one = MetricsCallback({"prob": ["auc"]}, validation_data=(x, ya))   # an array target
    probe = Probe(x)
    single.fit(x, ya, epochs=1, verbose=0, callbacks=[one, probe])
    assert probe.logs[0]["val_prob_auc"] == pytest.approx(
        skm.roc_auc_score(ya, probe.preds[0][0]["prob"][:, 0]), abs=1e-12)


@pytest.mark.parametrize("dict_targets", [False, True])
def test_list_outputs_are_named_as_the_model_names_them(dict_targets):
    # Keras names each output's loss by the output layer's name (zcls_loss), also when the
    # outputs are a list; targets may be a list in order or a dict keyed by those names
    rng = np.random.default_rng(4)
    x = rng.normal(size=(200, 6)).astype("float32")
    y_c = (x[:, 0] > 0).astype("float32")
    y_r = (x[:, 1] * 2 + rng.normal(size=200)).astype("float32")
    keras.utils.set_random_seed(1)
    inp = keras.Input((6,))
    h = keras.layers.Dense(8, activation="relu")(inp)
    model = keras.Model(inp, [keras.layers.Dense(1, activation="sigmoid", name="zcls")(h),
                              keras.layers.Dense(1, name="areg")(h)])
    model.compile("adam", {"zcls": "binary_crossentropy", "areg": "mse"})
    ys = {"zcls": y_c, "areg": y_r} if dict_targets else [y_c, y_r]
    cb = MetricsCallback({"zcls": ["auc"], "areg": ["mae"]}, train_data=(x, ys),
                         validation_data=(x[:100], [y_c[:100], y_r[:100]]))
    probe = EvalProbe(train=(x, [y_c, y_r]), val=(x[:100], [y_c[:100], y_r[:100]]))
    model.fit(x, [y_c, y_r], epochs=2, verbose=0, callbacks=[cb, probe])
    for logs, evals in zip(probe.logs, probe.evals):
        assert not any(k.startswith(("output_", "val_output_")) for k in logs)
        for prefix, name in (("", "train"), ("val_", "val")):
            for key in ("loss", "zcls_loss", "areg_loss"):
                assert logs[prefix + key] == pytest.approx(evals[name][key], **F32), key
    assert "zcls_loss_keras" in cb.history   # Keras' running average, kept apart
