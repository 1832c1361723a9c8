"""Every Keras internal the callback relies on, in one place, each with a fallback.

Two Kerases train models: Keras 3 (``import keras``) and tf_keras, the Keras 2
that TensorFlow 2.16+ runs as ``tf.keras`` when ``TF_USE_LEGACY_KERAS=1``
(``import tf_keras``). fittrack itself imports Keras 3; each accessor below
takes the model (or the loss, or the callback) in hand and reads it the way
its own Keras needs (:func:`is_tf_keras`, from the class's modules).

Public Keras APIs do not expose what an exact evaluation needs: the mask a
model attaches to its outputs, the compiled loss of each output, the JAX
training state in the middle of an epoch, the layers of a model, a stateful
RNN's batch size and states, the other callbacks of the same ``fit`` and how
their monitors compare values, and what tf_keras' ``CallbackList`` asks of a
callback. Each accessor says which Keras versions have what it reads and falls
back (None, an empty list, a warning) when it is missing, so a release that
removes one degrades one feature with a clear message instead of breaking
training. ``tests/callbacks/test_compat.py`` checks each one on the installed
Keras (run it under ``TF_USE_LEGACY_KERAS=1`` for tf_keras).

Example:
    >>> import keras
    >>> model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    >>> [type(layer).__name__ for layer in flatten_layers(model)], is_tf_keras(model)
    (['Dense'], False)
"""

from __future__ import annotations

import math
import sys
from typing import Any, NamedTuple

import keras
import numpy as np


# ----- which Keras an object comes from
def is_tf_keras(obj: Any) -> bool:
    """True for a model, layer, loss or callback of tf_keras (Keras 2), read from the
    top module of the first Keras class in its MRO (a user's subclass is in ``__main__``)."""
    for cls in type(obj).__mro__:
        top = (getattr(cls, "__module__", None) or "").split(".")[0]
        if top == "tf_keras":
            return True
        if top == "keras":
            return False
    return False


# ----- the callback protocol of tf_keras' CallbackList
class TfKerasCallbackHooks:
    """What tf_keras' ``CallbackList`` asks of every callback (tf_keras/src/callbacks.py,
    ``CallbackList.__init__``), which a Keras 3 ``Callback`` lacks. Mixed into a Keras 3
    callback, it runs in both ``fit`` loops. Both Keras mark their no-op base hooks with
    ``_is_default``; a hook that is overridden (or set on the instance) has none."""

    _supports_tf_logs = False      # logs arrive as Python floats
    _chief_worker_only = None      # read by tf_keras' multi-worker callback filter

    def _implements_train_batch_hooks(self) -> bool:
        return _any_overridden(self, "on_batch_begin", "on_batch_end",
                               "on_train_batch_begin", "on_train_batch_end")

    def _implements_test_batch_hooks(self) -> bool:
        return _any_overridden(self, "on_test_batch_begin", "on_test_batch_end")

    def _implements_predict_batch_hooks(self) -> bool:
        return _any_overridden(self, "on_predict_batch_begin", "on_predict_batch_end")


def _any_overridden(callback: Any, *hooks: str) -> bool:
    return any(not getattr(getattr(callback, h, None), "_is_default", False) for h in hooks)


# ----- masks (Keras 3.6+: keras.src.backend.get_keras_mask; before, and tf_keras: _keras_mask)
def get_keras_mask(tensor: Any) -> Any:
    """The mask Keras attached to ``tensor`` (in a traced step too), or None."""
    try:
        from keras.src.backend import get_keras_mask as get
    except ImportError:  # Keras < 3.6
        return getattr(tensor, "_keras_mask", None)
    return get(tensor)


def set_keras_mask(tensor: Any, mask: Any) -> None:
    """Attach ``mask`` to ``tensor`` as Keras' layers do (the loss reads it)."""
    try:
        from keras.src.backend import set_keras_mask as set_mask
    except ImportError:  # Keras < 3.6
        tensor._keras_mask = mask
        return
    set_mask(tensor, mask)


def mask_of(owner: Any, tensor: Any) -> Any:
    """The mask attached to ``tensor`` by ``owner`` (the model, or the loss), read the
    way the owner's Keras keeps it (tf_keras: ``_keras_mask``)."""
    if is_tf_keras(owner):
        return getattr(tensor, "_keras_mask", None)
    return get_keras_mask(tensor)


# ----- the compiled loss
# Keras >= 3.7: CompileLoss._flat_losses; Keras 3.0-3.6: flat_losses/flat_loss_weights;
# tf_keras: model.compiled_loss (a LossesContainer), _losses/_loss_weights once _built,
# flattened as tf.nest.flatten flattens the outputs (dict outputs in sorted-key order).
class OutputLoss(NamedTuple):
    """One output's compiled loss: where it reads, the Loss object, its weight."""

    path: tuple            # () for a single output, (key,) or (index,) otherwise
    loss: Any              # a keras.losses.Loss (functions are wrapped by Keras)
    weight: float | None   # the output's loss_weights entry


def compiled_losses(model: Any) -> list[OutputLoss] | None:
    """The model's per-output losses once Keras has built them, else None.

    JAX and PyTorch build them when ``fit`` starts; TensorFlow (and tf_keras)
    at the first traced training step.
    """
    if is_tf_keras(model):
        return _tf_keras_losses(model)
    compile_loss = getattr(model, "_compile_loss", None)
    if compile_loss is None or not getattr(compile_loss, "built", False):
        return None
    flat = getattr(compile_loss, "_flat_losses", None)
    if flat is not None:  # Keras >= 3.7: (path, loss, loss_weight, name)
        return [OutputLoss(tuple(item[0]), item[1], item[2]) for item in flat]
    losses = getattr(compile_loss, "flat_losses", None)
    if losses is None:
        return None
    weights = getattr(compile_loss, "flat_loss_weights", None) or [None] * len(losses)
    paths = [(i,) for i in range(len(losses))] if len(losses) > 1 else [()]
    return [OutputLoss(p, fn, w) for p, fn, w in zip(paths, losses, weights)]


def _tf_keras_losses(model: Any) -> list[OutputLoss] | None:
    container = getattr(model, "compiled_loss", None)
    if container is None or not getattr(container, "_built", False):
        return None
    losses = getattr(container, "_losses", None)
    if not isinstance(losses, list):
        return None
    weights = getattr(container, "_loss_weights", None) or [None] * len(losses)
    paths = [(i,) for i in range(len(losses))] if len(losses) > 1 else [()]
    return [OutputLoss(p, fn, w) for p, fn, w in zip(paths, losses, weights) if fn is not None]


def weighted_output_losses(model: Any) -> bool:
    """Whether Keras logs ``<output>_loss`` times the output's loss weight: Keras 3.0-3.6
    (its CompileLoss has ``flat_losses``, no ``_flat_losses``) does; Keras >= 3.7 and
    tf_keras log the unweighted value."""
    if is_tf_keras(model):
        return False
    compile_loss = getattr(model, "_compile_loss", None)
    return (getattr(compile_loss, "_flat_losses", None) is None
            and getattr(compile_loss, "flat_losses", None) is not None)


def user_losses(model: Any) -> Any:
    """What the user passed to ``compile(loss=...)`` (a name, a Loss, a dict...), or None."""
    return getattr(model, "loss", None)


def unreduced_loss(loss: Any, y_true: Any, y_pred: Any) -> Any:
    """A compiled Loss object's per-element values, with the conversions its ``fit``
    makes first (inside a traced step, a tensor in the loss's dtype stays the same
    object, so TensorFlow's cross-entropies still find the logits behind it).

    Keras 3: both converted to the loss's dtype (``Loss.__call__``). tf_keras: the
    targets cast to the outputs' dtype and given a last axis when the outputs have
    one more (``compile_utils.match_dtype_and_rank``, ``LossesContainer.__call__``).
    """
    if is_tf_keras(loss):
        import tensorflow as tf

        y_p = tf.convert_to_tensor(y_pred)
        y_t = tf.convert_to_tensor(y_true)
        if y_t.shape.rank == 1 and y_p.shape.rank == 2:
            y_t = tf.expand_dims(y_t, -1)
        if (y_t.dtype.is_floating and y_p.dtype.is_floating) or (
                y_t.dtype.is_integer and y_p.dtype.is_integer):
            y_t = tf.cast(y_t, y_p.dtype)
        return loss.call(y_t, y_p)
    dtype = getattr(loss, "dtype", None) or keras.backend.floatx()
    return loss.call(keras.tree.map_structure(
        lambda a: keras.ops.convert_to_tensor(a, dtype=dtype), y_true),
        keras.ops.convert_to_tensor(y_pred, dtype=dtype))


# ----- the JAX training state in the middle of an epoch (Keras 3 on JAX)
def jax_variables(model: Any) -> tuple[list, list]:
    """Trainable and non-trainable variable values for a JAX ``stateless_call``.

    In the middle of an epoch Keras keeps the training state in
    ``model._jax_state`` (and the variables hold nothing): read it there, so
    the training state is not written back into the model and read again.
    """
    state = getattr(model, "_jax_state", None)
    if state and not getattr(model, "_jax_state_synced", True):
        return list(state["trainable_variables"]), list(state["non_trainable_variables"])
    return ([v.value for v in model.trainable_variables],
            [v.value for v in model.non_trainable_variables])


# ----- layers and outputs
def flatten_layers(model: Any) -> list[Any]:
    """Every layer inside ``model`` (nested models included), not the model itself."""
    flatten = getattr(model, "_flatten_layers", None)
    if flatten is not None:
        try:
            return list(flatten(include_self=False))
        except TypeError:
            pass
    out, stack, seen = [], list(getattr(model, "layers", [])), set()
    while stack:
        layer = stack.pop(0)
        if id(layer) not in seen:
            seen.add(id(layer))
            out.append(layer)
            stack.extend(getattr(layer, "layers", None) or [])
    return out


def is_sequential(model: Any) -> bool:
    """A ``Sequential`` model of either Keras (its last layer gives its output)."""
    return any(cls.__name__ == "Sequential" for cls in type(model).__mro__)


def output_layers(model: Any, n_outputs: int) -> list[Any]:
    """The layer producing each output, in output order (None where unknown).

    Reads the output tensors' ``_keras_history``: ``.operation`` in Keras 3,
    ``.layer`` in tf_keras.
    """
    if is_sequential(model) and getattr(model, "layers", None):
        return [model.layers[-1]] + [None] * (n_outputs - 1)
    try:
        tensors = list(getattr(model, "outputs", None) or [])
    except (AttributeError, ValueError):  # a subclassed model that was never called
        tensors = []
    if len(tensors) != n_outputs:
        return [None] * n_outputs
    out = []
    for tensor in tensors:
        history = getattr(tensor, "_keras_history", None)
        out.append(getattr(history, "operation", None) or getattr(history, "layer", None))
    return out


# ----- stateful RNNs (Keras 3: states are KerasVariables, reset_state(), _expected_batch_size;
# tf_keras: tf.Variables, reset_states(), the batch size in input_spec)
def state_variables(layer: Any) -> list[Any]:
    """The state variables of a stateful RNN layer (empty before it is built)."""
    states = getattr(layer, "states", None)
    if states is None:
        return []
    flat = list(states) if isinstance(states, (list, tuple)) else [states]
    return [v for v in flat if v is not None and hasattr(v, "assign")]


def state_values(layer: Any) -> list[np.ndarray]:
    """Copies of a stateful layer's states."""
    out = []
    for v in state_variables(layer):
        value = v.numpy() if is_tf_keras(layer) else keras.ops.convert_to_numpy(v.value)
        out.append(np.array(value))
    return out


def reset_states(layer: Any) -> None:
    """Zero a stateful layer's states (``reset_states()`` in tf_keras, ``reset_state()``
    in Keras 3; where that fails, as on Keras 3.6 with NumPy 2, zeros are assigned)."""
    reset = getattr(layer, "reset_states" if is_tf_keras(layer) else "reset_state", None)
    try:
        if reset is not None:
            reset()
            return
    except (ValueError, TypeError):
        pass
    for v in state_variables(layer):
        v.assign(np.zeros(tuple(v.shape), dtype=np.dtype(_dtype_name(v))))


def assign_states(layer: Any, values: list[np.ndarray]) -> None:
    """Put back states saved with :func:`state_values`."""
    for variable, value in zip(state_variables(layer), values):
        variable.assign(value)


def _dtype_name(variable: Any) -> str:
    dtype = variable.dtype
    return getattr(dtype, "name", None) or str(dtype)


def expected_batch_size(layer: Any) -> int | None:
    """The batch size a stateful RNN layer was built for, or None.

    Keras >= 3.7: ``_expected_batch_size``; tf_keras: the layer's ``input_spec``
    (batch axis 1 when ``time_major``); otherwise the states' first axis.
    """
    size = getattr(layer, "_expected_batch_size", None)
    if size:
        return int(size)
    spec = getattr(layer, "input_spec", None)
    first = spec[0] if isinstance(spec, (list, tuple)) and spec else spec
    shape = getattr(first, "shape", None)
    if shape is not None:
        try:
            dims = list(shape)
        except (TypeError, ValueError):
            dims = []
        axis = 1 if getattr(layer, "time_major", False) else 0
        if len(dims) > axis and dims[axis]:
            return int(dims[axis])
    states = state_variables(layer)
    return int(states[0].shape[0]) if states and states[0].shape[0] else None


# ----- the other callbacks of this fit
def _is_callback_list(obj: Any) -> bool:
    if isinstance(obj, keras.callbacks.CallbackList):
        return True
    cls = type(obj)
    return (cls.__name__ == "CallbackList" and (cls.__module__ or "").startswith("tf_keras")
            and isinstance(getattr(obj, "callbacks", None), list))


def sibling_callbacks(depth: int = 8) -> list[Any] | None:
    """The ``callbacks`` of the ``CallbackList`` (Keras 3 or tf_keras) calling us,
    found on the stack (or None)."""
    frame = sys._getframe(1)
    for _ in range(depth):
        if frame is None:
            return None
        owner = frame.f_locals.get("self")
        if _is_callback_list(owner):
            return list(owner.callbacks)
        frame = frame.f_back
    return None


def fit_arguments(depth: int = 12) -> dict[str, Any]:
    """Arguments of the ``fit`` call running us (``validation_split``...), or {}."""
    frame = sys._getframe(1)
    for _ in range(depth):
        if frame is None:
            return {}
        if frame.f_code.co_name == "fit" and "validation_split" in frame.f_locals:
            return dict(frame.f_locals)
        frame = frame.f_back
    return {}


# ----- how a monitoring callback compares values
# Keras 3 keeps ``mode`` and decides ``monitor_op`` at the first epoch end (3.0-3.6's
# ModelCheckpoint: in __init__, keeping no mode). tf_keras' EarlyStopping and
# ModelCheckpoint decide ``monitor_op`` (np.greater / np.less), ``min_delta``'s sign
# and ``best`` in __init__ from the name, keeping no mode; ReduceLROnPlateau keeps
# ``mode`` and decides in ``_reset()``.
def name_guess(callback: Any) -> bool | None:
    """Whether tf_keras (or Keras 3.0-3.6's ModelCheckpoint) guesses greater-is-better
    for ``callback.monitor`` in ``mode="auto"``; None for other callbacks."""
    monitor = str(getattr(callback, "monitor", ""))
    names = {cls.__name__ for cls in type(callback).__mro__}
    if "EarlyStopping" in names:
        return monitor.endswith(("acc", "accuracy", "auc"))
    if "ModelCheckpoint" in names:
        return "acc" in monitor or monitor.startswith("fmeasure")
    return None


def set_monitor_direction(callback: Any, greater: bool) -> str | None:
    """Make a monitoring callback on a key whose direction is known compare that way.

    A callback in ``mode="auto"`` gets the mode; one that decided in ``__init__``
    from the name (tf_keras) and guessed wrong gets ``monitor_op``, ``min_delta`` and
    ``best`` set as its own ``mode`` would have. A callback told the opposite
    ``mode`` is left alone: the returned message says which ``mode`` to pass.
    """
    wanted = "max" if greater else "min"
    name = type(callback).__name__
    if isinstance(getattr(callback, "mode", None), str):
        if callback.mode == "auto":
            callback.mode = wanted
            if getattr(callback, "monitor_op", None) is not None and hasattr(callback, "_reset"):
                callback._reset()       # ReduceLROnPlateau (tf_keras, Keras < 3.7)
            return None
        if callback.mode == wanted:
            return None
        return _contrary(name, callback.monitor, callback.mode, wanted)
    op = getattr(callback, "monitor_op", None)
    if op not in (np.greater, np.less) or (op is np.greater) == greater:
        return None
    if name_guess(callback) == (op is np.greater):   # the name rule decided: mode="auto"
        callback.monitor_op = np.greater if greater else np.less
        delta = getattr(callback, "min_delta", None)
        if isinstance(delta, (int, float)) and "EarlyStopping" in {
                c.__name__ for c in type(callback).__mro__}:
            callback.min_delta = abs(delta) if greater else -abs(delta)
        best = getattr(callback, "best", None)
        if isinstance(best, float) and math.isinf(best):
            callback.best = -np.inf if greater else np.inf
        return None
    return _contrary(name, callback.monitor, "max" if op is np.greater else "min", wanted)


def _contrary(name: str, monitor: str, mode: str, wanted: str) -> str:
    better = "greater" if wanted == "max" else "lower"
    return (f"{name}(monitor={monitor!r}) compares in mode {mode!r}, but {better} is better "
            f"for {monitor!r}: pass {name}(..., mode={wanted!r}).")
