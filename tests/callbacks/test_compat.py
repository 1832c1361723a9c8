"""Each Keras internal that ``fittrack.callbacks.compat`` reads, on the Keras under test
(Keras 3 on the backend in use, or tf_keras under ``TF_USE_LEGACY_KERAS=1``), and the
fallback each accessor takes when what it reads is missing."""

import keras as keras3  # fittrack's own Keras, whatever Keras the models come from
import numpy as np
import pytest

from fittrack import MetricsCallback
from fittrack.callbacks import compat
from fittrack.callbacks.exact_loss import per_element
from fittrack.callbacks.problems import loss_from_logits, path_index
from fittrack.callbacks.step import InferenceStep
from tests.keras_under_test import (
    BACKEND,
    TF_KERAS,
    compares,
    input_layer,
    keras,
    uses_tensorflow,
    weights_path,
)

RNG = np.random.default_rng(0)
X = RNG.normal(size=(64, 4)).astype("float32")
Y = (X[:, 0] > 0).astype("int64")


def classifier(**compile_kwargs):
    keras.utils.set_random_seed(0)
    model = keras.Sequential([input_layer((4,)), keras.layers.Dense(3, activation="relu"),
                              keras.layers.Dense(1, activation="sigmoid", name="last")])
    model.compile("adam", "binary_crossentropy", **compile_kwargs)
    return model


def two_outputs():
    keras.utils.set_random_seed(0)
    inp = input_layer((4,))
    model = keras.Model(inp, {"b": keras.layers.Dense(1, name="b")(inp),
                              "a": keras.layers.Dense(3, activation="softmax", name="a")(inp)})
    model.compile("adam", loss={"b": keras.losses.BinaryCrossentropy(from_logits=True),
                                "a": "sparse_categorical_crossentropy"},
                  loss_weights={"a": 0.5, "b": 2.0})
    return model, {"a": X.argmax(1) % 3, "b": Y.astype("float32")}


# ----- which Keras
def test_is_tf_keras_reads_the_classes():
    class Subclassed(keras.Model):
        def call(self, x):
            return x

    assert compat.is_tf_keras(classifier()) is TF_KERAS
    assert compat.is_tf_keras(Subclassed()) is TF_KERAS          # defined here, in tests/
    assert compat.is_tf_keras(keras.losses.BinaryCrossentropy()) is TF_KERAS
    assert compat.is_tf_keras(keras.callbacks.EarlyStopping()) is TF_KERAS
    assert compat.is_tf_keras(MetricsCallback(["auc"], validation_data=(X, Y))) is False
    assert compat.is_tf_keras(np.zeros(2)) is False


# ----- the callback protocol, the other callbacks, fit's arguments
class Recorder(compat.TfKerasCallbackHooks, keras3.callbacks.Callback):
    def __init__(self, batch_level):
        super().__init__()
        self.batches, self.siblings, self.fit_args = 0, None, None
        if batch_level:
            self.on_train_batch_end = self._count

    def _count(self, batch, logs=None):
        self.batches += 1

    def on_train_begin(self, logs=None):
        self.siblings = compat.sibling_callbacks()
        self.fit_args = compat.fit_arguments()

    def on_epoch_end(self, epoch, logs=None):
        logs["recorded"] = float(epoch)


@pytest.mark.parametrize("batch_level", [False, True])
def test_callback_protocol_siblings_and_fit_arguments(batch_level):
    recorder = Recorder(batch_level)
    other = keras.callbacks.EarlyStopping(monitor="recorded", mode="max", patience=5)
    history = classifier().fit(X, Y, batch_size=16, epochs=2, validation_split=0.25, verbose=0,
                               callbacks=[recorder, other])     # 48 rows: 3 steps per epoch
    assert recorder._implements_train_batch_hooks() is batch_level
    assert not recorder._implements_test_batch_hooks()
    assert not recorder._implements_predict_batch_hooks()
    assert recorder.batches == (6 if batch_level else 0)
    assert recorder.siblings[:2] == [recorder, other]
    assert recorder.fit_args["validation_split"] == 0.25
    assert history.history["recorded"] == [0.0, 1.0]       # logs written in place reach History


def test_protocol_fallbacks_outside_fit():
    class NoMarkers(compat.TfKerasCallbackHooks):   # hooks without _is_default: all called
        pass

    assert NoMarkers()._implements_train_batch_hooks()
    assert compat.sibling_callbacks() is None
    assert compat.fit_arguments() == {}


# ----- masks
def test_output_masks_come_out_of_the_compiled_step():
    keras.utils.set_random_seed(0)
    model = keras.Sequential([input_layer((None,), dtype="int32"),
                              keras.layers.Embedding(10, 4, mask_zero=True),
                              keras.layers.LSTM(3, return_sequences=True),
                              keras.layers.Dense(2)])
    x = RNG.integers(0, 10, (8, 6)).astype("int32")
    x[:, -2:] = 0
    result = InferenceStep(model)(x)
    np.testing.assert_array_equal(result.masks[0], x != 0)
    unmasked = InferenceStep(classifier())(X)
    assert unmasked.masks == [None]


def test_mask_fallbacks():
    assert compat.mask_of(classifier(), np.zeros(3)) is None
    assert compat.get_keras_mask(np.zeros(3)) is None

    class Tensor:
        pass

    tensor = Tensor()
    tensor._keras_mask = np.ones(3, bool)
    assert compat.mask_of(classifier(), tensor) is tensor._keras_mask or not TF_KERAS


@pytest.mark.skipif(TF_KERAS or BACKEND != "tensorflow", reason="Keras 3's mask setter, on TF")
def test_set_keras_mask_is_what_get_keras_mask_reads():
    tensor = keras3.ops.ones((2, 3))
    mask = keras3.ops.ones((2, 3), dtype="bool")
    compat.set_keras_mask(tensor, mask)
    assert compat.get_keras_mask(tensor) is mask


# ----- the compiled loss
def test_compiled_losses_paths_weights_and_logits():
    model, ys = two_outputs()
    assert compat.user_losses(model)["a"] == "sparse_categorical_crossentropy"
    if uses_tensorflow():
        assert compat.compiled_losses(model) is None     # built at the first traced step
    model.fit(X, ys, epochs=1, verbose=0)
    keys = ["a", "b"]                                    # the step's outputs: sorted names
    found = {keys[path_index(entry.path, keys)]: (entry.weight, loss_from_logits(entry.loss))
             for entry in compat.compiled_losses(model)}
    assert found == {"a": (0.5, False), "b": (2.0, True)}


def test_unreduced_loss_in_the_step_and_eagerly_is_what_evaluate_reduces():
    model = classifier()
    model.fit(X, Y, epochs=1, verbose=0)
    (entry,) = compat.compiled_losses(model)
    step = InferenceStep(model)
    step.set_losses([(0, entry.loss)])
    result = step(X, [Y])
    evaluated = model.evaluate(X, Y, batch_size=len(X), verbose=0, return_dict=True)["loss"]
    if BACKEND == "torch":
        assert result.loss_values is None                # eager backend: computed afterwards
    else:
        assert np.mean(result.loss_values[0]) == pytest.approx(evaluated, rel=1e-5)
    eager, _ = per_element(entry.loss, Y, result.outputs[0][1])
    assert np.mean(eager) == pytest.approx(evaluated, rel=1e-4)


def test_compiled_loss_fallbacks():
    class Unknown:
        pass

    assert compat.compiled_losses(Unknown()) is None
    assert compat.user_losses(Unknown()) is None


def test_a_loss_that_cannot_be_read_leaves_keras_loss_with_a_warning(monkeypatch):
    monkeypatch.setattr(compat, "compiled_losses", lambda model: None)
    cb = MetricsCallback(["auc"], validation_data=(X, Y))
    with pytest.warns(UserWarning, match="compiled loss.*Keras' own"):
        classifier().fit(X, Y, epochs=2, verbose=0, callbacks=[cb])
    assert "loss_keras" not in cb.history and len(cb.history["loss"]) == 2
    assert "val_loss" not in cb.history


# ----- the JAX training state
@pytest.mark.skipif(BACKEND != "jax", reason="Keras 3 on JAX")
def test_jax_variables_in_the_middle_of_an_epoch():
    seen = []

    class Compare(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            trainable, _ = compat.jax_variables(self._model)          # before any sync
            synced = [np.asarray(v.value) for v in self.model.trainable_variables]
            seen.append(all(np.array_equal(np.asarray(a), b) for a, b in zip(trainable, synced)))

    classifier().fit(X, Y, batch_size=16, epochs=1, verbose=0, callbacks=[Compare()])
    assert seen == [True] * 4


# ----- layers and outputs
def test_layers_and_the_layers_producing_the_outputs():
    keras.utils.set_random_seed(0)
    inner = keras.Sequential([input_layer((4,)), keras.layers.Dense(3, name="inner_dense")])
    inp = input_layer((4,))
    h = inner(inp)
    model = keras.Model(inp, {"q": keras.layers.Dense(2, name="q")(h),
                              "p": keras.layers.Dense(1, activation="sigmoid", name="p")(h)})
    names = [layer.name for layer in compat.flatten_layers(model)]
    assert {"inner_dense", "p", "q"} <= set(names)
    assert [layer.name for layer in compat.output_layers(model, 2)] == ["p", "q"]
    seq = classifier()
    assert compat.is_sequential(seq) and not compat.is_sequential(model)
    assert [layer.name for layer in compat.output_layers(seq, 1)] == ["last"]


def test_layer_fallbacks():
    class Block:
        def __init__(self, name, layers=()):
            self.name, self.layers = name, list(layers)

    tree = Block("model", [Block("a", [Block("a1")]), Block("b")])
    assert [b.name for b in compat.flatten_layers(tree)] == ["a", "b", "a1"]
    assert compat.output_layers(object(), 2) == [None, None]


# ----- stateful RNNs
def stateful_lstm():
    keras.utils.set_random_seed(0)
    model = keras.Sequential([input_layer((3, 2), batch_size=8),
                              keras.layers.LSTM(5, stateful=True), keras.layers.Dense(1)])
    model.compile("adam", "mse")
    model.predict(np.zeros((8, 3, 2), "float32"), batch_size=8, verbose=0)   # built
    (layer,) = [layer for layer in compat.flatten_layers(model) if getattr(layer, "stateful", 0)]
    return model, layer


def test_stateful_rnn_batch_size_and_states():
    _, layer = stateful_lstm()
    assert compat.expected_batch_size(layer) == 8
    variables = compat.state_variables(layer)
    assert [tuple(v.shape) for v in variables] == [(8, 5), (8, 5)]
    values = [np.full((8, 5), 0.5, "float32"), np.full((8, 5), -1.0, "float32")]
    compat.assign_states(layer, values)
    saved = compat.state_values(layer)
    assert all(np.array_equal(a, b) for a, b in zip(saved, values))
    compat.reset_states(layer)
    assert all(not v.any() for v in compat.state_values(layer))
    compat.assign_states(layer, saved)
    assert all(np.array_equal(a, b) for a, b in zip(compat.state_values(layer), values))


def test_stateful_rnn_fallbacks(monkeypatch):
    _, layer = stateful_lstm()
    compat.assign_states(layer, [np.ones((8, 5), "float32")] * 2)

    def broken():
        raise ValueError("cannot convert")       # Keras 3.7 with NumPy 2

    monkeypatch.setattr(layer, "reset_states" if TF_KERAS else "reset_state", broken)
    compat.reset_states(layer)
    assert all(not v.any() for v in compat.state_values(layer))
    monkeypatch.setattr(layer, "_expected_batch_size", None, raising=False)
    assert compat.expected_batch_size(layer) == 8      # from the input spec or the states
    assert compat.state_variables(object()) == [] and compat.expected_batch_size(object()) is None


# ----- how monitoring callbacks compare
def monitor(kind, name, tmp_path, **kwargs):
    if kind == "EarlyStopping":
        return keras.callbacks.EarlyStopping(monitor=name, patience=5, **kwargs)
    if kind == "ModelCheckpoint":
        return keras.callbacks.ModelCheckpoint(weights_path(tmp_path), monitor=name,
                                               save_best_only=True, save_weights_only=True,
                                               **kwargs)
    return keras.callbacks.ReduceLROnPlateau(monitor=name, patience=5, **kwargs)


KINDS = ["EarlyStopping", "ModelCheckpoint", "ReduceLROnPlateau"]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("began", [False, True])
@pytest.mark.parametrize("name, greater", [("val_auc", True), ("val_f1", True),
                                           ("val_log_loss", False), ("val_acc", False)])
def test_monitors_of_known_directions_compare_that_way(kind, began, name, greater, tmp_path):
    model = classifier()
    cb = monitor(kind, name, tmp_path)
    cb.set_model(model)
    if began:                       # MetricsCallback placed after the monitor
        cb.on_train_begin()
    assert compat.set_monitor_direction(cb, greater) is None
    if not began:
        cb.on_train_begin()
    values = [0.5, 0.6, 0.7] if greater else [0.7, 0.6, 0.5]
    for epoch, value in enumerate(values):
        cb.on_epoch_end(epoch, {name: value})
        assert float(cb.best) == pytest.approx(value), "each value is an improvement"
    assert compares(cb) == ("max" if greater else "min")
    assert getattr(cb, "wait", 0) == 0


@pytest.mark.parametrize("kind", KINDS)
def test_a_monitor_told_the_opposite_mode_is_left_with_a_message(kind, tmp_path):
    cb = monitor(kind, "val_accuracy", tmp_path, mode="min")
    message = compat.set_monitor_direction(cb, True)
    assert "mode='max'" in message and kind in message
    assert compares(cb) == "min"


@pytest.mark.skipif(not TF_KERAS, reason="tf_keras keeps no mode")
def test_tf_keras_mode_equal_to_its_name_guess_reads_as_auto(tmp_path):
    cb = monitor("ModelCheckpoint", "val_auc", tmp_path, mode="min")   # the guess is "min" too
    assert compat.set_monitor_direction(cb, True) is None
    assert compares(cb) == "max"


@pytest.mark.parametrize("name", ["val_auc", "val_acc", "val_accuracy", "val_f1", "val_loss",
                                  "val_pr_auc", "fmeasure"])
def test_the_name_rule_is_what_keras_decides_in_init(name, tmp_path):
    decided = [cb for cb in (monitor(k, name, tmp_path) for k in KINDS[:2])
               if not isinstance(getattr(cb, "mode", None), str)
               and getattr(cb, "monitor_op", None) in (np.greater, np.less)]
    if TF_KERAS:
        assert len(decided) == 2        # tf_keras keeps no mode: it decides in __init__
    for cb in decided:
        assert compat.name_guess(cb) == (cb.monitor_op is np.greater)


def test_monitor_fallback_for_other_callbacks():
    class Custom:
        monitor, monitor_op = "val_auc", staticmethod(lambda a, b: a < b)

    assert compat.set_monitor_direction(Custom(), True) is None
    assert compat.name_guess(Custom()) is None


def test_monitors_unreachable_get_a_warning(monkeypatch):
    monkeypatch.setattr(compat, "sibling_callbacks", lambda: None)
    cb = MetricsCallback(["auc"], validation_data=(X, Y))
    with pytest.warns(UserWarning, match="other callbacks of this fit.*mode='max'"):
        classifier().fit(X, Y, epochs=1, verbose=0, callbacks=[cb])


def test_per_output_losses_are_logged_unweighted_as_keras_logs_them():
    model, ys = two_outputs()
    model.fit(X, ys, epochs=1, verbose=0)
    logged = model.evaluate(X, ys, batch_size=len(X), verbose=0, return_dict=True)["b_loss"]
    z = model.predict(X, verbose=0)["b"][:, 0].astype(np.float64)
    unweighted = np.mean(np.maximum(z, 0) - z * ys["b"] + np.log1p(np.exp(-np.abs(z))))
    assert logged == pytest.approx(unweighted, rel=1e-4)   # not times b's loss weight, 2
