"""TensorFlow's inputs handed over through reusable aligned buffers (:mod:`staging`) give
the same outputs as TensorFlow's own conversion, never alias what the caller keeps, and
leave the caller's arrays as they were."""

import numpy as np
import pytest

from fittrack.callbacks.staging import ALIGN, MIN_BYTES, InputStaging
from fittrack.callbacks.step import InferenceStep
from tests.keras_under_test import BACKEND, keras

pytestmark = pytest.mark.skipif(BACKEND not in ("tensorflow", "tf_keras"),
                                reason="the staging is TensorFlow's")


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
def test_staged_tensor_holds_the_same_values(dtype):
    import tensorflow as tf

    staging = InputStaging()
    x = _misaligned((256, 300), dtype)
    before = x.copy()
    t = staging.stage(x)
    assert isinstance(t, tf.Tensor) and t.dtype == tf.as_dtype(dtype)
    assert np.array_equal(t.numpy(), x) and np.array_equal(x, before)
    assert staging.holds(np.asarray(t)) and not staging.holds(x)


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


def test_staged_inputs_reuse_the_traced_graph():
    model = _model(False)
    step = InferenceStep(model)
    step(_misaligned((512, 300), "float32", 3))
    fn = step._fns[False]
    traces = fn.experimental_get_tracing_count()
    for seed, rows in ((4, 512), (5, 200), (6, 1024)):
        step(_misaligned((rows, 300), "float32", seed))
    assert fn.experimental_get_tracing_count() == traces
