"""Streaming sources: tf.data, PyDataset, generators, and dict inputs."""

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from fittrack import MetricsCallback
from tests.callbacks.probes import Probe, binary_classifier
from tests.keras_under_test import TF_KERAS, PyDataset, keras


def tensorflow():
    """TensorFlow, or a skip where it is not installed (a JAX-only environment)."""
    return pytest.importorskip("tensorflow")


def trained_model(x, y):
    model = binary_classifier()
    return model


def test_shuffling_tf_data_keeps_labels_aligned(binary_data):
    tf = tensorflow()
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
    tf = tensorflow()
    x, y, xv, yv = binary_data
    ds = tf.data.Dataset.from_tensor_slices((xv, yv)).batch(10).repeat()
    with pytest.raises(ValueError, match="validation_steps=N"):
        MetricsCallback(["auc"], validation_data=ds)
    cb = MetricsCallback(["auc"], validation_data=ds, validation_steps=10)   # 100 rows
    probe = Probe(xv)
    trained_model(x, y).fit(x, y, epochs=1, verbose=0, callbacks=[cb, probe])
    assert probe.logs[0]["val_auc"] == pytest.approx(roc_auc_score(yv, probe.preds[0][0][:, 0]))


class Batches(PyDataset):
    def __init__(self, x, y, batch_size):
        super().__init__(**({} if TF_KERAS else dict(workers=2, use_multiprocessing=False)))
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
    tf = tensorflow()
    ds = tf.data.Dataset.from_tensor_slices((np.zeros((0, 5)), np.zeros(0))).batch(4)
    with pytest.raises(ValueError, match="empty tf.data.Dataset"):
        MetricsCallback(["auc"], validation_data=ds)


class ReshufflingBatches:
    """A generator of 10 batches per pass that reshuffles its rows at each pass, and
    counts the batches it gives out."""

    def __init__(self, x, y, batch=10, seed=0):
        self.x, self.y, self.batch = x, y, batch
        self.rng = np.random.default_rng(seed)
        self.pulled, self.passes = 0, []

    def __iter__(self):
        while True:
            order = self.rng.permutation(len(self.x))
            self.passes.append(order)
            for i in range(0, len(order), self.batch):
                rows = order[i:i + self.batch]
                self.pulled += 1
                yield self.x[rows], self.y[rows]


def test_a_generator_is_read_exactly_steps_batches_per_evaluation(binary_data):
    x, y, xv, yv = binary_data                     # 100 validation rows: 10 batches a pass
    source = ReshufflingBatches(xv, yv)
    cb = MetricsCallback(["auc", "accuracy"], validation_data=iter(source),
                         validation_steps=10)
    probe = Probe(xv)
    trained_model(x, y).fit(x, y, epochs=3, verbose=0, callbacks=[cb, probe])
    assert source.pulled == 30                     # the check's batch is the first evaluated
    for logs, (pred,) in zip(probe.logs, probe.preds):
        p = pred[:, 0]
        assert logs["val_auc"] == pytest.approx(roc_auc_score(yv, p), abs=1e-12)
        assert logs["val_accuracy"] == pytest.approx(np.mean((p > 0.5) == yv), abs=1e-12)
    assert len(source.passes) == 3                 # each evaluation read one whole pass


@pytest.mark.parametrize("n_batches", [10, 15])
def test_a_generator_that_ends_gives_nan_never_a_partial_set(binary_data, n_batches):
    # a finite generator read steps batches per evaluation: the first evaluation is whole;
    # then it ends (15 batches: 5 of 10 left), and the values are NaN with a warning, never
    # a partial set's, never Keras' running values under fittrack's keys, and no crash
    x, y, xv, yv = binary_data                     # 100 validation rows
    batches = ((xv[i * 10 % 100:][:10], yv[i * 10 % 100:][:10]) for i in range(n_batches))
    cb = MetricsCallback(["auc"], train_data=(x, y), validation_data=batches,
                         validation_steps=10)
    probe = Probe(xv)
    with pytest.warns(UserWarning, match=r"validation_data gave \d of its 10 batches"):
        trained_model(x, y).fit(x, y, epochs=2, verbose=0, callbacks=[cb, probe])
    first, second = probe.logs
    assert first["val_auc"] == pytest.approx(roc_auc_score(yv, probe.preds[0][0][:, 0]),
                                             abs=1e-12)
    assert np.isnan(second["val_auc"]) and np.isnan(second["val_loss"])
    assert np.isfinite(second["auc"]) and np.isfinite(second["loss"])   # the other set
    assert np.isnan(cb.history["val_auc"][1])


@pytest.mark.parametrize("make", [
    lambda xv, yv: tensorflow().data.Dataset.from_tensor_slices((xv, yv))
    .filter(lambda a, b: False).batch(8),
    lambda xv, yv: (b for b in []),
])
def test_an_empty_stream_fails_before_training_with_a_clear_message(binary_data, make):
    x, y, xv, yv = binary_data
    with pytest.raises(ValueError, match="nothing to evaluate"):
        cb = MetricsCallback(["auc"], validation_data=make(xv, yv), validation_steps=3)
        trained_model(x, y).fit(x, y, epochs=1, verbose=0, callbacks=[cb])


@pytest.mark.parametrize("kind", ["scipy", "tf"])
def test_sparse_inputs_are_accepted(binary_data, kind):
    from scipy import sparse

    x, y, xv, yv = binary_data
    xv_sparse = np.where(np.abs(xv) > 0.7, xv, 0).astype("float32")
    given = sparse.csr_matrix(xv_sparse) if kind == "scipy" else \
        tensorflow().sparse.from_dense(xv_sparse)
    cb = MetricsCallback(["auc"], validation_data=(given, yv))
    probe = Probe(xv_sparse)
    trained_model(x, y).fit(x, y, epochs=1, verbose=0, callbacks=[cb, probe])
    assert probe.logs[0]["val_auc"] == pytest.approx(
        roc_auc_score(yv, probe.preds[0][0][:, 0]), abs=1e-12)


def test_an_unbatched_tf_dataset_is_refused_saying_batch_it(binary_data):
    tf = tensorflow()
    _, _, xv, yv = binary_data
    with pytest.raises(ValueError, match=r"single rows.*\.batch\(32\)"):
        MetricsCallback(["auc"], validation_data=tf.data.Dataset.from_tensor_slices((xv, yv)))


def test_ragged_inputs_are_refused_saying_pad_them(binary_data):
    # as_numpy_iterator turns a ragged batch into an object array, which used to fail
    # inside the model's call in on_train_begin with "setting an array element with a sequence"
    tf = tensorflow()
    rows = [np.arange(n, dtype="float32") for n in (1, 3, 2, 4)]
    ragged = tf.data.Dataset.from_tensor_slices(
        (tf.ragged.constant(rows), np.array([0.0, 1.0, 0.0, 1.0], "float32"))).batch(2)
    with pytest.raises(ValueError, match=r"validation_data: .*RaggedTensor.*padded_batch"):
        MetricsCallback(["auc"], validation_data=ragged)

    def generator():
        while True:
            yield tf.ragged.constant(rows), np.array([0.0, 1.0, 0.0, 1.0], "float32")

    callback = MetricsCallback(["auc"], validation_data=generator(), validation_steps=1)
    model = binary_classifier()
    _, _, xv, yv = binary_data
    with pytest.raises(ValueError, match=r"RaggedTensor.*padded_batch"):
        model.fit(xv, yv, epochs=1, verbose=0, callbacks=[callback])
