"""The layers of a model, its output layers, and its stateful RNNs (states, batch size)."""

from __future__ import annotations

from typing import Any

import keras
import numpy as np

from fittrack.callbacks.compat.kinds import is_tf_keras


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
    in Keras 3; where that fails, as on Keras 3.7 with NumPy 2, zeros are assigned)."""
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
