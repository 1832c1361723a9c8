"""Streaming sources: tf.data, PyDataset, generators, and dict inputs."""

import keras
import numpy as np
import pytest
import tensorflow as tf
from sklearn.metrics import roc_auc_score

from fittrack import MetricsCallback
from tests.callbacks.probes import Probe, dense_classifier


def trained_model(x, y):
    model = dense_classifier(5, 1, "sigmoid")
    model.compile("adam", "binary_crossentropy")
    return model


def test_shuffling_tf_data_keeps_labels_aligned(binary_data):
    x, y, xv, yv = binary_data
    w = np.linspace(0.5, 2.0, len(yv))
    ds = tf.data.Dataset.from_tensor_slices((xv, yv, w)).shuffle(100, reshuffle_each_iteration=True)
    cb = MetricsCallback(["auc", "accuracy"], validation_data=ds.batch(16))
    probe = Probe(xv)
    model = trained_model(x, y)
    model.fit(x, y, epochs=2, verbose=0, callbacks=[cb, probe])
    for logs, (pred,) in zip(probe.logs, probe.preds):
        assert logs["val_auc"] == pytest.approx(roc_auc_score(yv, pred[:, 0], sample_weight=w))


def test_repeating_tf_data_needs_steps(binary_data):
    x, y, xv, yv = binary_data
    ds = tf.data.Dataset.from_tensor_slices((xv, yv)).batch(10).repeat()
    with pytest.raises(ValueError, match="validation_steps=N"):
        MetricsCallback(["auc"], validation_data=ds)
    cb = MetricsCallback(["auc"], validation_data=ds, validation_steps=10)   # 100 rows
    probe = Probe(xv)
    trained_model(x, y).fit(x, y, epochs=1, verbose=0, callbacks=[cb, probe])
    assert probe.logs[0]["val_auc"] == pytest.approx(roc_auc_score(yv, probe.preds[0][0][:, 0]))


class Batches(keras.utils.PyDataset):
    def __init__(self, x, y, batch_size):
        super().__init__(workers=2, use_multiprocessing=False)
        self.x, self.y, self.batch_size = x, y, batch_size
        self.epoch_ends = 0

    def __len__(self):
        return int(np.ceil(len(self.x) / self.batch_size))

    def __getitem__(self, i):
        rows = slice(i * self.batch_size, (i + 1) * self.batch_size)
        return self.x[rows], self.y[rows]

    def on_epoch_end(self):
        self.epoch_ends += 1


def test_py_dataset_is_read_without_epoch_end_side_effects(binary_data):
    x, y, xv, yv = binary_data
    source = Batches(xv, yv, 32)
    cb = MetricsCallback(["auc"], validation_data=source, batch_frequency=2, monitor_size=50)
    probe = Probe(xv)
    trained_model(x, y).fit(x, y, epochs=2, batch_size=50, verbose=0, callbacks=[cb, probe])
    assert source.epoch_ends == 0
    for logs, (pred,) in zip(probe.logs, probe.preds):
        assert logs["val_auc"] == pytest.approx(roc_auc_score(yv, pred[:, 0]))
    assert len(cb.history.batch_values("val_auc")) == 4


def test_generator_needs_steps_and_reads_that_many_batches(binary_data):
    x, y, xv, yv = binary_data

    def forever():
        while True:
            for i in range(0, len(xv), 25):
                yield xv[i:i + 25], yv[i:i + 25]

    with pytest.raises(ValueError, match="generator.*validation_steps"):
        MetricsCallback(["auc"], validation_data=forever())
    gen = forever()
    cb = MetricsCallback(["auc"], validation_data=gen, validation_steps=4)
    probe = Probe(xv)
    trained_model(x, y).fit(x, y, epochs=1, verbose=0, callbacks=[cb, probe])
    # The check before training consumed one batch; the epoch end read the next 4 (rows 25..124
    # of a cycle of 100): the same 100 rows, rotated.
    assert probe.logs[0]["val_auc"] == pytest.approx(roc_auc_score(yv, probe.preds[0][0][:, 0]))


def test_dict_inputs_for_a_multi_input_model(binary_data):
    x, y, xv, yv = binary_data
    keras.utils.set_random_seed(0)
    a, b = keras.Input((3,), name="a"), keras.Input((2,), name="b")
    h = keras.layers.Concatenate()([keras.layers.Dense(4)(a), b])
    model = keras.Model({"a": a, "b": b}, keras.layers.Dense(1, activation="sigmoid")(h))
    model.compile("adam", "binary_crossentropy")
    split = lambda m: {"a": m[:, :3], "b": m[:, 3:]}  # noqa: E731
    cb = MetricsCallback(["auc"], validation_data=(split(xv), yv))
    probe = Probe(split(xv))
    model.fit(split(x), y, epochs=1, verbose=0, callbacks=[cb, probe])
    assert probe.logs[0]["val_auc"] == pytest.approx(roc_auc_score(yv, probe.preds[0][0][:, 0]))


def test_empty_tf_dataset_is_rejected():
    ds = tf.data.Dataset.from_tensor_slices((np.zeros((0, 5)), np.zeros(0))).batch(4)
    with pytest.raises(ValueError, match="empty tf.data.Dataset"):
        MetricsCallback(["auc"], validation_data=ds)
