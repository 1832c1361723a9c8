"""Mixed precision (float16 outputs) and stateful RNNs."""

import numpy as np
import pytest
from sklearn.metrics import log_loss, roc_auc_score

from fittrack import MetricsCallback
from tests.callbacks.probes import Probe
from tests.keras_under_test import BACKEND, input_layer, keras, reset_states, state_values


def test_float16_outputs_are_scored_in_float64(binary_data):
    x, y, xv, yv = binary_data
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        keras.utils.set_random_seed(0)
        model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(8, activation="relu"),
                                  keras.layers.Dense(1, activation="sigmoid")])
        model.compile("adam", "binary_crossentropy")
        cb = MetricsCallback(["auc", "log_loss"], validation_data=(xv, yv))
        probe = Probe(xv)
        model.fit(x, y, epochs=1, verbose=0, callbacks=[cb, probe])
    finally:
        keras.mixed_precision.set_global_policy("float32")
    pred = probe.preds[0][0]
    assert pred.dtype == np.float16
    p64 = pred[:, 0].astype(np.float64)
    assert probe.logs[0]["val_auc"] == pytest.approx(roc_auc_score(yv, p64), abs=1e-12)
    assert probe.logs[0]["val_log_loss"] == pytest.approx(log_loss(yv, p64), abs=1e-12)


class StateProbe(keras.callbacks.Callback):
    """Records the LSTM's states at each batch end (placed before or after MetricsCallback)."""

    def __init__(self):
        super().__init__()
        self.states = []

    def on_train_batch_end(self, batch, logs=None):
        layer = self.model.layers[0]
        self.states.append(state_values(layer))


def zero_state_auc(model, x, y, batch):
    """Score the model from zero states, batch by batch, restoring its states after."""
    layer = model.layers[0]
    saved = state_values(layer)
    reset_states(layer)
    pred = np.concatenate([model.predict_on_batch(x[i:i + batch]) for i in range(0, len(x), batch)])
    for v, s in zip(layer.states, saved):
        v.assign(s)
    return roc_auc_score(y, pred[: len(y), 0])


def stateful_model():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(48, 5, 3)).astype("float32")
    y = (x[:, :, 0].sum(axis=1) > 0).astype("int64")
    keras.utils.set_random_seed(0)
    model = keras.Sequential([input_layer((5, 3), batch_size=8),
                              keras.layers.LSTM(4, stateful=True),
                              keras.layers.Dense(1, activation="sigmoid")])
    model.compile("adam", "binary_crossentropy")
    return model, x, y


def test_stateful_rnn_with_another_batch_size_fails_before_training():
    model, x, y = stateful_model()
    bad = MetricsCallback(["auc"], validation_data=(x[:40], y[:40]), batch_size=16)
    with pytest.raises(ValueError, match="stateful RNN layers built for batches of 8"):
        model.fit(x, y, epochs=1, batch_size=8, shuffle=False, verbose=0, callbacks=[bad])


@pytest.mark.skipif(BACKEND == "torch",
                    reason="Keras' own fit of a stateful LSTM fails on torch (in-place update)")
def test_stateful_rnn_states_are_restored_after_predicting():
    model, x, y = stateful_model()
    before, after = StateProbe(), StateProbe()
    cb = MetricsCallback(["auc"], validation_data=(x[:37], y[:37]), batch_frequency=2)
    aucs = []

    class Score(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            aucs.append((logs["val_auc"], zero_state_auc(self.model, x[:40], y[:37], 8)))

    model.fit(x, y, epochs=2, batch_size=8, shuffle=False, verbose=0,
              callbacks=[before, cb, after, Score()])
    assert len(cb.history.batch_values("val_auc")) == 6
    for seen_before, seen_after in zip(before.states, after.states):
        for a, b in zip(seen_before, seen_after):
            np.testing.assert_array_equal(a, b)
    # TensorFlow carries the states through fit; Keras on JAX keeps them at zero.
    live = any(np.abs(s[0]).sum() > 0 for s in after.states)
    assert live == (BACKEND != "jax")
    for logged, reference in aucs:
        assert logged == pytest.approx(reference, abs=1e-9)
