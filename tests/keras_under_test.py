"""The Keras the tests train models with: tf_keras under ``TF_USE_LEGACY_KERAS=1``, else Keras 3.

TensorFlow reads the same switch (``tf.keras`` is tf_keras then), so one test
module runs on Keras 3 (each backend) and on tf_keras: it imports ``keras``
from here, and the few things the two spell differently in test code go
through the helpers below. fittrack itself always imports Keras 3.

    TF_USE_LEGACY_KERAS=1 KERAS_BACKEND=tensorflow pytest tests/callbacks
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import pytest

#: True when the tests run on tf_keras (TensorFlow's own test of the variable)
TF_KERAS = os.environ.get("TF_USE_LEGACY_KERAS", None) in ("true", "True", "1")

if TF_KERAS:
    import tf_keras as keras
else:
    import keras

#: "tf_keras", or Keras 3's backend
BACKEND = "tf_keras" if TF_KERAS else keras.backend.backend()
#: (major, minor) of the Keras under test
KERAS_VERSION = tuple(int(part) for part in keras.__version__.split(".")[:2])
#: a batched source that fit takes: PyDataset (Keras 3), Sequence (tf_keras)
PyDataset = keras.utils.Sequence if TF_KERAS else keras.utils.PyDataset


def keras3_only(reason: str) -> Any:
    """Skip a test (or module) under tf_keras, saying why."""
    return pytest.mark.skipif(TF_KERAS, reason=f"Keras 3 only: {reason}")


def uses_tensorflow() -> bool:
    """True when models run on TensorFlow (the tensorflow backend, or tf_keras)."""
    return BACKEND in ("tensorflow", "tf_keras")


def flatten(tree: Any) -> list:
    """The leaves of a nest of inputs, as Keras flattens them."""
    if TF_KERAS:
        import tensorflow as tf

        return tf.nest.flatten(tree)
    return keras.tree.flatten(tree)


def input_layer(shape: tuple, batch_size: int | None = None, dtype: str | None = None) -> Any:
    """``keras.Input`` with a fixed batch size (a stateful RNN's)."""
    kwargs = {"dtype": dtype} if dtype else {}
    if batch_size is not None:
        return keras.Input(batch_shape=(batch_size, *shape), **kwargs)
    return keras.Input(shape, **kwargs)


def state_values(layer: Any) -> list[np.ndarray]:
    """Copies of an RNN layer's states."""
    if TF_KERAS:
        return [np.array(v.numpy()) for v in layer.states]
    return [np.array(keras.ops.convert_to_numpy(v.value)) for v in layer.states]


def reset_states(layer: Any) -> None:
    """Zero an RNN layer's states (by assignment: Keras 3.7's reset_state fails on NumPy 2)."""
    if TF_KERAS:
        layer.reset_states()
        return
    for variable in layer.states:
        variable.assign(np.zeros(tuple(variable.shape), dtype=str(variable.dtype)))


def dtype_policy() -> str:
    """The global dtype policy's name."""
    return keras.mixed_precision.global_policy().name


def set_dtype_policy(name: str) -> None:
    """Set the global dtype policy (``"mixed_float16"``, ``"float32"``...)."""
    keras.mixed_precision.set_global_policy(name)


def weights_path(directory: Any, stem: str = "best") -> str:
    """A weights file name each Keras accepts for ``save_weights``/``ModelCheckpoint``."""
    return str(directory / f"{stem}.weights.h5")


def compares(callback: Any) -> str | None:
    """``"max"`` or ``"min"``: how a monitoring callback compares values (Keras 3 keeps
    ``mode``; tf_keras' EarlyStopping and ModelCheckpoint keep only ``monitor_op``)."""
    mode = getattr(callback, "mode", None)
    if mode in ("min", "max"):
        return mode
    op = getattr(callback, "monitor_op", None)
    if op is np.greater:
        return "max"
    if op is np.less:
        return "min"
    return None

#: Keras 3.7's own fit with SparseCategoricalCrossentropy(ignore_class=k) gives a NaN loss
#: and NaN weights after the first step (a Keras bug); 3.15 and tf_keras train
IGNORE_CLASS_TRAINS = TF_KERAS or KERAS_VERSION >= (3, 15)
