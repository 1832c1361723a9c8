"""Inputs handed to the compiled step cheaply (:mod:`staging`): TensorFlow's through
reusable aligned buffers give the same outputs as TensorFlow's own conversion, never
alias what the caller keeps, and leave the caller's arrays as they were; the monitor
subsets converted once give the values of a conversion at every evaluation."""

import numpy as np
import pytest

from fittrack import MetricsCallback
from fittrack.callbacks import staging as staging_module
from fittrack.callbacks import step as step_module
from fittrack.callbacks.staging import (
    ALIGN,
    MIN_BYTES,
    InputStaging,
    fits,
    resident,
    trace_any_batch_size,
)
from fittrack.callbacks.step import InferenceStep
from tests.callbacks.probes import binary_classifier
from tests.keras_under_test import BACKEND, keras

TENSORFLOW = BACKEND in ("tensorflow", "tf_keras")
tf_only = pytest.mark.skipif(not TENSORFLOW, reason="the staging is TensorFlow's")


def _misaligned(shape, dtype, seed=0):
    """Random values in an array whose data starts 8 bytes past a 64-byte boundary (the
    case TensorFlow's kernels refuse without a copy)."""
    rng = np.random.default_rng(seed)
    n = int(np.prod(shape)) * np.dtype(dtype).itemsize
    raw = np.empty(n + 2 * ALIGN, dtype=np.uint8)
    start = (-raw.ctypes.data % ALIGN) + 8
    out = raw[start:start + n].view(dtype).reshape(shape)
    out[...] = (rng.normal(size=shape) * 100).astype(dtype)
    return out


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "int64", "int32", "uint8"])
@tf_only
def test_staged_tensor_holds_the_same_values(dtype):
    import tensorflow as tf

    staging = InputStaging()
    x = _misaligned((256, 300), dtype)
    before = x.copy()
    t = staging.stage(x)
    assert isinstance(t, tf.Tensor) and t.dtype == tf.as_dtype(dtype)
    assert np.array_equal(t.numpy(), x) and np.array_equal(x, before)
    assert staging.holds(np.asarray(t)) and not staging.holds(x)


@tf_only
def test_non_contiguous_structures_and_small_inputs():
    import tensorflow as tf

    staging = InputStaging()
    big = np.arange(200 * 400, dtype=np.float32).reshape(200, 400)[:, ::2]   # strided
    small = np.ones((4, 3), dtype=np.float32)
    out = staging.stage({"a": big, "b": small, "c": [big[:100]]})
    assert isinstance(out["a"], tf.Tensor) and np.array_equal(out["a"].numpy(), big)
    assert out["b"] is small                         # below MIN_BYTES: as it is
    assert np.array_equal(out["c"][0].numpy(), big[:100])
    assert small.nbytes < MIN_BYTES <= big.nbytes
    assert staging.stage(None) is None
    bools = np.ones((300, 300), dtype=bool)
    assert staging.stage(bools) is bools             # a dtype it does not carry


@tf_only
def test_large_inputs_go_as_they_are(monkeypatch):
    x = np.ones((300, 300), dtype=np.float32)
    monkeypatch.setattr(staging_module, "MAX_BYTES", x.nbytes - 1)
    staging = InputStaging()
    assert staging.stage(x) is x and not staging._buffers


@tf_only
def test_no_staging_under_a_distribution_strategy():
    import tensorflow as tf

    x = np.ones((300, 300), dtype=np.float32)
    with tf.distribute.OneDeviceStrategy("/cpu:0").scope():
        assert InputStaging().stage(x) is x


def _model(identity_output: bool):
    keras.utils.set_random_seed(0)
    inputs = keras.Input((300,))
    dense = keras.layers.Dense(7, activation="softmax")(inputs)
    if not identity_output:
        return keras.Model(inputs, dense)
    same = keras.layers.Lambda(lambda t: t)(inputs)
    return keras.Model(inputs, [same, dense])


@tf_only
@pytest.mark.parametrize("identity_output", [False, True])
def test_step_outputs_equal_unstaged_ones_and_survive_the_next_batch(identity_output):
    model = _model(identity_output)
    staged, plain = InferenceStep(model), InferenceStep(model)
    plain._staging = None
    a, b = _misaligned((512, 300), "float32", 1), _misaligned((512, 300), "float32", 2)
    first = staged(a)
    kept = [arr.copy() for _, arr in first.outputs]
    second = staged(b)                               # overwrites the staging buffer
    for (_, arr), copy in zip(first.outputs, kept):
        assert np.array_equal(arr, copy)
    for got, want in ((first, plain(a)), (second, plain(b))):
        for (_, g), (_, w) in zip(got.outputs, want.outputs):
            assert np.array_equal(g, w)
    if identity_output:
        assert np.array_equal(first.outputs[0][1], a)


@tf_only
def test_staged_inputs_reuse_the_traced_graph():
    model = _model(False)
    step = InferenceStep(model)
    step(_misaligned((512, 300), "float32", 3))
    fn = step._fns[False]
    traces = fn.experimental_get_tracing_count()
    for seed, rows in ((4, 512), (5, 200), (6, 1024)):
        step(_misaligned((rows, 300), "float32", seed))
    assert fn.experimental_get_tracing_count() == traces


@tf_only
def test_the_trace_for_any_batch_size_is_called_directly_when_the_inputs_fit_it(monkeypatch):
    model = _model(False)
    step = InferenceStep(model)
    used = []
    monkeypatch.setattr(step_module, "fits", lambda c, a: used.append(fits(c, a)) or used[-1])
    a = _misaligned((512, 300), "float32", 7)
    first = step(a)
    fn = step._fns[False]
    traces = fn.experimental_get_tracing_count()
    second = step(_misaligned((200, 300), "float32", 8))
    assert used == [True, True]                  # the concrete function, no dispatch
    assert fn.experimental_get_tracing_count() == traces
    plain = InferenceStep(model)
    plain._staging = None                        # the tf.function, called as it is
    for got, x in ((first, a), (second, _misaligned((200, 300), "float32", 8))):
        for (_, g), (_, w) in zip(got.outputs, plain(x).outputs):
            assert np.array_equal(g, w)
    # inputs of another dtype go through the tf.function (traced again), never cast
    x64 = _misaligned((512, 300), "float64", 9)
    got = step(x64)
    assert used[-1] is False
    for (_, g), (_, w) in zip(got.outputs, plain(x64).outputs):
        assert np.array_equal(g, w)


@tf_only
def test_fits_compares_structure_dtype_and_inner_dimensions():
    import tensorflow as tf

    fn = tf.function(lambda x, t: x["a"], reduce_retracing=True)
    concrete = trace_any_batch_size(fn, {"a": np.zeros((4, 3), "float32")}, [np.zeros(4, "int64")])
    assert fits(concrete, ({"a": np.ones((9, 3), "float32")}, [np.ones(9, "int64")]))
    assert fits(concrete, ({"a": tf.ones((2, 3))}, [tf.ones(2, tf.int64)]))
    for args in (({"a": np.ones((9, 3), "float64")}, [np.ones(9, "int64")]),   # dtype
                 ({"a": np.ones((9, 3), "float32")}, [np.ones(9, "int32")]),
                 ({"a": np.ones((9, 4), "float32")}, [np.ones(9, "int64")]),   # inner dim
                 ({"a": np.ones((9,), "float32")}, [np.ones(9, "int64")]),     # rank
                 ({"b": np.ones((9, 3), "float32")}, [np.ones(9, "int64")]),   # keys
                 ({"a": np.ones((9, 3), "float32")}, None),                    # structure
                 ({"a": np.ones((9, 3), "float32")}, [np.ones(9, "int64")] * 2)):
        assert not fits(concrete, args), args
    ragged = tf.function(lambda x, t: tf.reduce_sum(x, axis=-1), reduce_retracing=True)
    x = tf.ragged.constant([[1.0, 2.0], [3.0]])
    concrete = trace_any_batch_size(ragged, x, None)    # traced as a dense (None, None)
    assert concrete is not None and not fits(concrete, (x, None))
    assert not fits(concrete, (tf.sparse.from_dense(tf.ones((2, 2))), None))
    assert fits(concrete, (tf.ones((3, 4)), None))
    static = tf.function(lambda x, t: tf.reshape(x, (x.shape[0] * 3,)))   # needs the rows
    assert trace_any_batch_size(static, np.zeros((4, 3), "float32"), None) is None


def test_resident_converts_numpy_leaves_once(monkeypatch):
    x = {"a": _misaligned((64, 30), "float32"), "b": [np.arange(64)], "c": None}
    out = resident(x, BACKEND)
    if BACKEND == "torch":
        assert out is x                              # PyTorch's tensors share NumPy's memory
        return
    for got, want in ((out["a"], x["a"]), (out["b"][0], x["b"][0])):
        assert not isinstance(got, np.ndarray)
        assert np.array_equal(np.asarray(got), want)
        assert np.asarray(got).dtype == _step_dtype(want)
    assert out["c"] is None
    monkeypatch.setattr(staging_module, "RESIDENT_MAX_BYTES", x["a"].nbytes)
    assert resident(x, BACKEND) is x                 # too large to keep twice
    assert resident(x, "torch") is x


def _step_dtype(a):
    """The dtype the compiled step sees for ``a`` (JAX: 32 bits unless x64 is enabled)."""
    if BACKEND == "jax":
        import jax

        return jax.dtypes.canonicalize_dtype(a.dtype)
    return a.dtype


@tf_only
def test_resident_leaves_inputs_alone_under_a_strategy():
    import tensorflow as tf

    x = np.ones((8, 3), dtype=np.float32)
    with tf.distribute.OneDeviceStrategy("/cpu:0").scope():
        assert resident(x, BACKEND) is x


def test_monitor_values_equal_those_of_unconverted_inputs(binary_data):
    """The same model state evaluated on the monitor subsets converted once and converted
    at every call: the same values, key by key."""
    x, y, xv, yv = binary_data
    model = binary_classifier()
    metrics = ["auc", "accuracy", "log_loss"]
    cb = MetricsCallback(metrics, (x, y), (xv, yv), batch_frequency=2, monitor_size=64)
    model.fit(x, y, epochs=1, batch_size=50, verbose=0, callbacks=[cb])
    group = cb._monitors
    assert group is not None and group._resident is not None
    if BACKEND != "torch":
        assert not isinstance(group._resident[0].batches[0], np.ndarray)
    once = cb._evaluator.evaluate_monitors(group, model)
    predictor = cb._evaluator.predictor
    predictor.resident = lambda model, batched: batched      # NumPy at every call
    group._resident = group._targets = None
    every_call = cb._evaluator.evaluate_monitors(group, model)
    assert isinstance(group._resident[0].batches[0], np.ndarray)
    assert once.keys() == every_call.keys() and set(once) >= {"auc", "val_auc", "loss"}
    assert all(once[k] == every_call[k] for k in once)
