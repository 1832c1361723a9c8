"""The sparse cross-entropy computed without Keras' unused work (:mod:`picked_loss`)
gives Keras' own values, and NumPy's, on the outputs models really produce."""

import keras
import numpy as np
import pytest

from fittrack.callbacks import compat
from fittrack.callbacks.compat.picked_loss import picked_loss

BACKEND = keras.backend.backend()
EPS = keras.config.epsilon()


def _numpy_loss(t: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Keras' formula of each backend, in float64: -log(clip(p[target] / sum(p)));
    TensorFlow: the softmax cross-entropy of the logits log(clip(p))."""
    p = p.astype(np.float64)
    if BACKEND == "tensorflow":
        logits = np.log(np.clip(p, EPS, 1 - EPS))
        return _logits_loss(t, logits)
    picked = np.take_along_axis(p, t.astype(np.int64)[..., None], axis=-1)[..., 0]
    return -np.log(np.clip(picked / p.sum(-1), EPS, 1 - EPS))


def _logits_loss(t: np.ndarray, logits: np.ndarray) -> np.ndarray:
    top = logits.max(-1, keepdims=True)
    lse = np.log(np.exp(logits - top).sum(-1)) + top[..., 0]
    return lse - np.take_along_axis(logits, t.astype(np.int64)[..., None], axis=-1)[..., 0]


def _both(loss, t, p):
    """(fittrack's values, Keras' own ``loss.call``) as float64 NumPy arrays; on JAX both
    compiled, as the callback and ``evaluate`` run them (XLA's fused clip turns the NaN
    of an infinite sum into a finite value where eager JAX keeps it)."""
    def own_call(a, b):
        return loss.call(keras.ops.convert_to_tensor(a, "float32"), keras.ops.convert_to_tensor(b))

    def ours_call(a, b):
        return compat.unreduced_loss(loss, a, b)
    if BACKEND == "jax":
        import jax

        own_call, ours_call = jax.jit(own_call), jax.jit(ours_call)
    ours, own = ours_call(t, p), own_call(t, p)
    return (np.asarray(keras.ops.convert_to_numpy(ours), np.float64),
            np.asarray(keras.ops.convert_to_numpy(own), np.float64))


def _outputs(seed: int, shape: tuple) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    logits = rng.normal(size=shape) * rng.choice([1.0, 30.0], size=shape[:-1] + (1,))
    p = np.exp(logits - logits.max(-1, keepdims=True))
    p = (p / p.sum(-1, keepdims=True)).astype(np.float32)        # saturated rows too
    p.reshape(-1, shape[-1])[::5, 0] = 0.0                          # exact zeros
    return rng.integers(0, shape[-1], shape[:-1]).astype(np.float32), p


def test_which_losses_are_picked():
    compiled = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4, activation="softmax")])
    compiled.compile("sgd", "sparse_categorical_crossentropy")
    compiled.fit(np.zeros((4, 3)), np.zeros(4), verbose=0)
    from_string = compat.compiled_losses(compiled)[0].loss
    for loss in (keras.losses.SparseCategoricalCrossentropy(), from_string):
        assert picked_loss(loss) is not None
    # TensorFlow: logits go through the same gradient-writing kernel, and are picked too
    logits = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    assert (picked_loss(logits) is not None) == (BACKEND == "tensorflow")
    for loss in (keras.losses.SparseCategoricalCrossentropy(ignore_class=0),
                 keras.losses.CategoricalCrossentropy(), keras.losses.MeanSquaredError()):
        assert picked_loss(loss) is None


@pytest.mark.parametrize("shape", [(300, 7), (40, 9, 20), (5, 1, 3)])
@pytest.mark.parametrize("seed", range(2))
def test_values_equal_keras_and_numpy(shape, seed):
    loss = keras.losses.SparseCategoricalCrossentropy()
    t, p = _outputs(seed, shape)
    ours, own = _both(loss, t, p)
    assert ours.shape == own.shape == shape[:-1]
    np.testing.assert_allclose(ours, own, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(ours, _numpy_loss(t, p), rtol=1e-5, atol=1e-6)
    # targets with a trailing axis of 1, and outputs that do not sum to one
    scaled = p * np.float32(3.5)
    ours, own = _both(loss, t[..., None], scaled)
    np.testing.assert_allclose(ours, own, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(ours, _numpy_loss(t, scaled), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_a_non_finite_output_gives_keras_own_values(bad):
    loss = keras.losses.SparseCategoricalCrossentropy()
    t, p = _outputs(3, (50, 6))
    t[7], p[7, 2] = 0, bad                      # not the target's column: still NaN in Keras
    ours, own = _both(loss, t, p)
    np.testing.assert_allclose(ours, own, rtol=1e-6, atol=1e-7)     # NaN where Keras' is
    assert np.isfinite(ours[np.arange(50) != 7]).all()


@pytest.mark.parametrize("target", [-1, 6, 9])
def test_a_target_out_of_range_gives_keras_own_result(target):
    """JAX: Keras' one-hot of nothing (0); PyTorch: Keras' error, not a wrapped index."""
    loss = keras.losses.SparseCategoricalCrossentropy()
    t, p = _outputs(5, (30, 6))
    t[4] = target
    try:
        own = _both(loss, t, p)[1]
    except Exception as err:  # Keras' own refuses it: so does the picked loss
        with pytest.raises(type(err)):
            compat.unreduced_loss(loss, t, p)
        return
    ours = _both(loss, t, p)[0]
    np.testing.assert_allclose(ours, own, rtol=1e-6, atol=1e-7)


@pytest.mark.skipif(BACKEND != "jax", reason="JAX: the loss runs inside jax.jit")
def test_compiled_in_jax():
    loss = keras.losses.SparseCategoricalCrossentropy()
    t, p = _outputs(4, (64, 12, 5))
    eager_keras = np.asarray(loss.call(t, p))
    ours, own = _both(loss, t, p)               # compiled
    np.testing.assert_allclose(ours, own, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(ours, eager_keras, rtol=1e-6, atol=1e-7)
    t[3, 4] = 9                                 # out of range: Keras' one-hot of nothing, 0
    ours, own = _both(loss, t, p)
    np.testing.assert_allclose(ours, own, rtol=1e-6, atol=1e-7)
    assert ours[3, 4] == 0 and np.isfinite(ours).all()


@pytest.mark.skipif(BACKEND != "tensorflow", reason="TensorFlow: the logits behind a softmax")
def test_the_logits_behind_a_softmax_output_are_read():
    """Saturated softmax outputs (probabilities 0 and 1): Keras' TensorFlow loss reads the
    logits behind them, so does the picked loss; the clipped probabilities would not do."""
    import tensorflow as tf

    rng = np.random.default_rng(6)
    model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(4, activation="softmax")])
    model.layers[0].kernel.assign(rng.normal(size=(5, 4)).astype("float32") * 40)
    x = rng.normal(size=(64, 5)).astype("float32")
    t = rng.integers(0, 4, 64).astype("float32")
    loss = keras.losses.SparseCategoricalCrossentropy()

    @tf.function
    def both(x, t):
        y = model(x)
        return compat.unreduced_loss(loss, t, y), loss.call(t, y)
    ours, own = (np.asarray(v, np.float64) for v in both(x, t))
    np.testing.assert_allclose(ours, own, rtol=1e-6, atol=1e-6)
    layer = model.layers[0]
    logits = x.astype(np.float64) @ np.asarray(layer.kernel) + np.asarray(layer.bias)
    np.testing.assert_allclose(ours, _logits_loss(t, logits), rtol=1e-4, atol=1e-4)
    assert ours.max() > 30          # beyond -log(epsilon): the probabilities alone cap at 16.1


@pytest.mark.skipif(BACKEND != "tensorflow", reason="TensorFlow: from_logits=True, the same kernel")
@pytest.mark.parametrize("shape", [(200, 7), (30, 11, 20)])
def test_logits_equal_keras_and_numpy(shape):
    import tensorflow as tf

    rng = np.random.default_rng(7)
    logits = (rng.normal(size=shape) * rng.choice([1.0, 50.0], size=shape[:-1] + (1,))
              ).astype("float32")
    t = rng.integers(0, shape[-1], shape[:-1]).astype("float32")
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    both = tf.function(lambda a, b: (compat.unreduced_loss(loss, a, b), loss.call(a, b)))
    ours, own = (np.asarray(v, np.float64) for v in both(t, logits))
    np.testing.assert_allclose(ours, own, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(ours, _logits_loss(t, logits.astype(np.float64)), rtol=1e-5,
                               atol=1e-5)
