"""Sequence and multi-label models: masks, per-timestep weights, padded batches,
and what ``accuracy`` means for several labels.

References: Keras' ``evaluate`` on the whole set in one batch, and NumPy or
scikit-learn over the unmasked timesteps of the model's own predictions (the
mask of ``Embedding(mask_zero=True)`` is ``x != 0``).
"""

import numpy as np
import pytest
from sklearn import metrics as skm

from fittrack import MetricsCallback
from tests.callbacks.probes import EvalProbe
from tests.keras_under_test import IGNORE_CLASS_TRAINS, keras

V, T, K = 30, 12, 5
F32 = dict(rel=2e-5, abs=1e-6)


def padded(n, seed=0, onehot=False):
    """Token sequences of lengths 3..T padded with 0, and a tag per token (0 on padding)."""
    rng = np.random.default_rng(seed)
    lengths = rng.integers(3, T + 1, n)
    x = np.zeros((n, T), "int32")
    for i, length in enumerate(lengths):
        x[i, :length] = rng.integers(1, V, length)
    y = np.where(x > 0, x % K, 0).astype("int32")
    return x, (np.eye(K, dtype="float32")[y] if onehot else y)


def tagger(loss="sparse_categorical_crossentropy", units=K, activation="softmax", seed=0):
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input((None,), dtype="int32"),
                              keras.layers.Embedding(V, 8, mask_zero=True),
                              keras.layers.LSTM(8, return_sequences=True),
                              keras.layers.Dense(units, activation=activation)])
    model.compile(keras.optimizers.Adam(0.02), loss)
    return model


@pytest.mark.parametrize("onehot", [False, True])
def test_masked_tagging_model_matches_evaluate_and_numpy(onehot):
    x, y = padded(160, onehot=onehot)
    xv, yv = padded(80, seed=1, onehot=onehot)
    loss = "categorical_crossentropy" if onehot else "sparse_categorical_crossentropy"
    model = tagger(loss)
    cb = MetricsCallback(["accuracy", "auc"], (x, y), (xv, yv))
    probe = EvalProbe(train=(x, y), val=(xv, yv))
    model.fit(x, y, epochs=2, batch_size=32, verbose=0, callbacks=[cb, probe])
    mask = xv != 0
    labels = yv.argmax(-1) if onehot else yv
    for logs, preds, evals in zip(probe.logs, probe.preds, probe.evals):
        p = preds["val"]
        hits = p.argmax(-1) == labels
        assert logs["val_accuracy"] == pytest.approx(hits[mask].mean(), abs=1e-12)
        assert logs["val_accuracy"] != pytest.approx(hits.mean(), abs=1e-3)  # padding left out
        assert logs["val_auc"] == pytest.approx(
            skm.roc_auc_score(labels[mask], p[mask], multi_class="ovr",
                              labels=np.arange(K)), abs=1e-12)
        assert logs["val_loss"] == pytest.approx(evals["val"]["loss"], **F32)
        assert logs["loss"] == pytest.approx(evals["train"]["loss"], **F32)


def test_masked_sequence_regression():
    x, _ = padded(160)
    y = (x / V).astype("float32")[..., None]
    model = tagger("mse", units=1, activation=None)
    cb = MetricsCallback(["mse", "mae"], validation_data=(x, y))
    probe = EvalProbe(val=(x, y))
    model.fit(x, y, epochs=2, batch_size=32, verbose=0, callbacks=[cb, probe])
    mask = x != 0
    for logs, preds, evals in zip(probe.logs, probe.preds, probe.evals):
        err = (preds["val"] - y)[..., 0][mask]
        assert logs["val_mse"] == pytest.approx(np.mean(err ** 2), **F32)
        assert logs["val_mae"] == pytest.approx(np.mean(np.abs(err)), **F32)
        assert logs["val_loss"] == pytest.approx(evals["val"]["loss"], **F32)


def test_per_timestep_sample_weights():
    x, y = padded(160)
    rng = np.random.default_rng(3)
    w = rng.uniform(0.0, 2.0, (160, T))
    w[rng.random((160, T)) < 0.2] = 0.0
    model = tagger()
    cb = MetricsCallback(["accuracy", "f1"], validation_data=(x, y, w))
    probe = EvalProbe(val=(x, y, w))
    model.fit(x, y, epochs=2, batch_size=32, verbose=0, callbacks=[cb, probe])
    keep = (x != 0) & (w != 0)
    for logs, preds, evals in zip(probe.logs, probe.preds, probe.evals):
        pred = preds["val"].argmax(-1)
        assert logs["val_accuracy"] == pytest.approx(
            np.average(pred[keep] == y[keep], weights=w[keep]), abs=1e-12)
        assert logs["val_f1"] == pytest.approx(
            skm.f1_score(y[keep], pred[keep], average="macro", sample_weight=w[keep]), abs=1e-12)
        assert logs["val_loss"] == pytest.approx(evals["val"]["loss"], **F32)
    with pytest.raises(ValueError, match=r"shape \(160, 3\)"):
        bad = MetricsCallback(["accuracy"], validation_data=(x, y, w[:, :3]))
        model.fit(x, y, epochs=1, verbose=0, callbacks=[bad])


@pytest.mark.skipif(not IGNORE_CLASS_TRAINS,
                    reason="Keras 3.7's own fit with ignore_class gives NaN weights")
def test_masked_tagging_model_with_an_ignored_class():
    # the padding mask and the loss's own mask (ignore_class) together, as Keras combines them
    x, y = padded(160)
    model = tagger(keras.losses.SparseCategoricalCrossentropy(ignore_class=2))
    cb = MetricsCallback(["accuracy"], (x, y), (x[:80], y[:80]))
    probe = EvalProbe(train=(x, y), val=(x[:80], y[:80]))
    model.fit(x, y, epochs=2, batch_size=32, verbose=0, callbacks=[cb, probe])
    keep = (x[:80] != 0) & (y[:80] != 2)
    for logs, preds, evals in zip(probe.logs, probe.preds, probe.evals):
        assert logs["val_loss"] == pytest.approx(evals["val"]["loss"], **F32)
        assert logs["loss"] == pytest.approx(evals["train"]["loss"], **F32)
        p = preds["val"].astype(np.float64)
        picked = np.take_along_axis(p / p.sum(-1, keepdims=True), y[:80, :, None], -1)[..., 0]
        assert logs["val_loss"] == pytest.approx(
            -np.log(np.clip(picked, 1e-7, 1 - 1e-7))[keep].mean(), rel=1e-4)


def _multilabel(n, seed, one_label=False):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 6)).astype("float32")
    if one_label:
        y = np.eye(4, dtype="float32")[rng.integers(0, 4, n)]
    else:
        y = ((x[:, :4] + rng.normal(size=(n, 4))) > 0.3).astype("float32")
    return x, y


def test_multilabel_model_metrics_and_a_one_label_validation_set():
    x, y = _multilabel(300, 0)
    xv, yv = _multilabel(120, 1, one_label=True)     # each row one label: still multi-label
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(16, activation="relu"),
                              keras.layers.Dense(4, activation="sigmoid")])
    model.compile("adam", "binary_crossentropy")
    names = ["accuracy", "subset_accuracy", "f1", "auc"]
    cb = MetricsCallback(names, (x, y), (xv, yv))
    probe = EvalProbe(train=(x, y), val=(xv, yv))
    with pytest.warns(UserWarning, match="per-label binary accuracy"):
        model.fit(x, y, epochs=2, verbose=0, callbacks=[cb, probe])
    for logs, preds, evals in zip(probe.logs, probe.preds, probe.evals):
        for prefix, (yt, name) in (("", (y, "train")), ("val_", (yv, "val"))):
            p = preds[name]
            pred = (p > 0.5).astype(int)
            assert logs[prefix + "accuracy"] == pytest.approx(np.mean(pred == yt), abs=1e-12)
            assert logs[prefix + "subset_accuracy"] == pytest.approx(
                skm.accuracy_score(yt, pred), abs=1e-12)
            assert logs[prefix + "f1"] == pytest.approx(
                skm.f1_score(yt, pred, average="macro", zero_division=0), abs=1e-12)
            assert logs[prefix + "auc"] == pytest.approx(
                skm.roc_auc_score(yt, p, average="macro"), abs=1e-12)
            assert logs[prefix + "loss"] == pytest.approx(evals[name]["loss"], **F32)


def test_padded_batch_pipeline_over_two_epochs():
    tf = pytest.importorskip("tensorflow")
    rng = np.random.default_rng(5)
    # Five lengths (few shapes to compile), sorted: the padded batches are 7, 12, 33 and 33
    # wide, the first three padded within.
    lengths = np.sort(rng.choice([4, 7, 12, 20, 33], 120, p=[.15, .15, .25, .25, .2]))
    seqs = [rng.integers(1, V, n) for n in lengths]

    def pairs():
        for s in seqs:
            yield s.astype("int32"), (s % K).astype("int32")

    spec = (tf.TensorSpec((None,), tf.int32), tf.TensorSpec((None,), tf.int32))
    ds = tf.data.Dataset.from_generator(pairs, output_signature=spec).padded_batch(32)
    model = tagger()
    cb = MetricsCallback(["accuracy", "auc"], validation_data=ds)
    preds = []

    class Rows(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            rows = []   # each length's sequences in one batch, unpadded
            for n in np.unique(lengths):
                batch = np.stack([s for s in seqs if len(s) == n]).astype("int32")
                rows += zip(self.model.predict(batch, verbose=0), batch % K)
            preds.append((dict(logs), rows))

    model.fit(ds, epochs=2, verbose=0, callbacks=[cb, Rows()])
    for logs, rows in preds:
        p = np.concatenate([r[0] for r in rows])
        t = np.concatenate([r[1] for r in rows])
        assert logs["val_accuracy"] == pytest.approx(np.mean(p.argmax(1) == t), abs=1e-6)
        assert logs["val_auc"] == pytest.approx(
            skm.roc_auc_score(t, p, multi_class="ovr", labels=np.arange(K)), abs=1e-5)


def test_multi_output_model_with_one_masked_output():
    x, y = padded(160)
    keras.utils.set_random_seed(0)
    inp = keras.Input((T,), dtype="int32")
    embedded = keras.layers.Embedding(V, 8, mask_zero=True)(inp)
    h = keras.layers.LSTM(8, return_sequences=True)(embedded)
    tags = keras.layers.Dense(K, activation="softmax", name="tags")(h)
    cls = keras.layers.Dense(1, activation="sigmoid", name="cls")(
        keras.layers.GlobalAveragePooling1D()(h))
    model = keras.Model(inp, {"tags": tags, "cls": cls})
    yc = (x[:, 0] % 2).astype("float32")
    model.compile("adam", {"tags": "sparse_categorical_crossentropy", "cls": "binary_crossentropy"},
                  loss_weights={"tags": 1.0, "cls": 0.3})
    ys = {"tags": y, "cls": yc}
    cb = MetricsCallback({"tags": ["accuracy"], "cls": ["auc"]}, validation_data=(x, ys))
    probe = EvalProbe(val=(x, ys))
    model.fit(x, ys, epochs=2, batch_size=32, verbose=0, callbacks=[cb, probe])
    mask = x != 0
    for logs, preds, evals in zip(probe.logs, probe.preds, probe.evals):
        p = preds["val"]
        assert logs["val_tags_accuracy"] == pytest.approx(
            np.mean(p["tags"].argmax(-1)[mask] == y[mask]), abs=1e-12)
        assert logs["val_cls_auc"] == pytest.approx(skm.roc_auc_score(yc, p["cls"][:, 0]),
                                                    abs=1e-12)
        for key in ("loss", "tags_loss", "cls_loss"):
            assert logs["val_" + key] == pytest.approx(evals["val"][key], **F32), key
