"""The predictor's pass over a dataset: on JAX, batch i + 1 is launched before batch i's
results are read (asynchronous dispatch keeps the device busy while Python converts
them), and the variables are read once per pass; the rows land where they belong."""

import numpy as np
import pytest

from fittrack.callbacks import compat
from fittrack.callbacks import step as step_module
from fittrack.callbacks.inference import BatchedInputs, Predictor
from fittrack.callbacks.step import InferenceStep
from tests.keras_under_test import BACKEND, input_layer, keras

RNG = np.random.default_rng(3)
X = RNG.normal(size=(70, 4)).astype("float32")


def model():
    keras.utils.set_random_seed(0)
    net = keras.Sequential([input_layer((4,)), keras.layers.Dense(6, activation="relu"),
                            keras.layers.Dense(3, activation="softmax")])
    net.compile("adam", "sparse_categorical_crossentropy")
    return net


def batch_by_batch(net, batched):
    """The same step, one batch at a time: the rows each batch gives."""
    step = InferenceStep(net)
    rows = [step(batch).outputs[0][1][:batched.batch_rows] for batch in batched.batches]
    return np.concatenate(rows)[:batched.n_rows]


def test_each_batch_is_launched_before_the_previous_one_is_read(monkeypatch):
    events = []
    launch, fetch = InferenceStep.launch, InferenceStep.fetch

    def spy_launch(self, *args, **kwargs):
        events.append("launch")
        return launch(self, *args, **kwargs)

    def spy_fetch(self, launched):
        events.append("fetch")
        return fetch(self, launched)

    net = model()
    batched = BatchedInputs(X, len(X), 16)                      # 5 batches of 14 rows
    assert len(batched.batches) == 5
    monkeypatch.setattr(InferenceStep, "launch", spy_launch)
    monkeypatch.setattr(InferenceStep, "fetch", spy_fetch)
    predicted = Predictor().predict(net, batched, "val")
    monkeypatch.undo()
    if BACKEND == "jax":
        assert events == ["launch"] + ["launch", "fetch"] * 4 + ["fetch"]
    else:   # computed results, staged buffers reused by the next batch: one at a time
        assert events == ["launch", "fetch"] * 5
    np.testing.assert_array_equal(predicted.outputs[0][1], batch_by_batch(net, batched))


@pytest.mark.skipif(BACKEND != "jax", reason="the variables are read per pass on JAX")
def test_variables_are_read_once_per_pass_and_let_go(monkeypatch):
    net = model()
    batched = BatchedInputs(X, len(X), 16)
    reads = []
    real = compat.jax_variables
    monkeypatch.setattr(step_module.compat, "jax_variables",
                        lambda m: reads.append(1) or real(m))
    predictor = Predictor()
    first = predictor.predict(net, batched, "val").outputs[0][1].copy()
    assert len(reads) == 1
    assert predictor.step(net)._variables is None           # nothing kept between passes
    kernel, bias = net.layers[-1].get_weights()
    net.layers[-1].set_weights([-kernel, bias])              # as a training step would
    second = predictor.predict(net, batched, "val").outputs[0][1]
    assert len(reads) == 2
    assert not np.array_equal(first, second)
    np.testing.assert_array_equal(second, batch_by_batch(net, batched))
