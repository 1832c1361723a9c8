"""Keras' sparse categorical cross-entropy of probabilities, reading only the
target's probability (JAX and PyTorch).

Keras 3 computes ``-sum(one_hot(target) * log(clip(p / sum(p))))``: the log of
every class's probability, of which one is kept. On a tagger's outputs (20
classes per token) that is most of the loss's cost, and about a tenth of the
forward pass on JAX. When every row's sum is finite and every target is a
class, each kept term is ``-log(clip(p[target] / sum(p)))`` and every other term
is an exact zero, so the same value is computed from the target's probability
alone (the same division, clip and log). Otherwise (a NaN, an infinity, a
target out of range) Keras' own function runs, unchanged (``keras.ops.cond``:
on JAX, one compiled program with both branches). TensorFlow is left alone: its
cross-entropy reads the logits behind a softmax output.

Keras internals read here (``keras.src.losses.losses``): the function a
compiled ``"sparse_categorical_crossentropy"`` (or a
``SparseCategoricalCrossentropy()``) wraps, and ``LossFunctionWrapper``, whose
``call`` matches the targets' rank to the outputs' as for the original; if
they are missing, the loss runs as Keras' own.

Example:
    >>> import keras, numpy as np
    >>> loss = keras.losses.SparseCategoricalCrossentropy()
    >>> picked = picked_loss(loss)
    >>> p, t = np.array([[0.2, 0.8], [0.6, 0.4]], "float32"), np.array([1.0, 0.0], "float32")
    >>> bool(np.allclose(keras.ops.convert_to_numpy(picked.call(t, p)),
    ...                  keras.ops.convert_to_numpy(loss.call(t, p))))
    True
"""

from __future__ import annotations

import weakref
from typing import Any

import keras

_PICKED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def picked_loss(loss: Any) -> Any:
    """A loss computing ``loss.call``'s values from the targets' probabilities alone,
    or None when ``loss`` is not Keras' sparse categorical cross-entropy of
    probabilities (default arguments) on JAX or PyTorch."""
    if keras.backend.backend() not in ("jax", "torch"):
        return None
    try:
        from keras.src.losses import losses
    except ImportError:
        return None
    fn = getattr(loss, "fn", None)
    kwargs = getattr(loss, "_fn_kwargs", None)
    if fn is not losses.sparse_categorical_crossentropy or not isinstance(kwargs, dict):
        return None
    defaults = {"from_logits": False, "ignore_class": None, "axis": -1}
    if any(k not in defaults or v != defaults[k] for k, v in kwargs.items()):
        return None
    try:
        picked = _PICKED.get(loss)
        if picked is None:
            picked = _PICKED[loss] = losses.LossFunctionWrapper(
                _sparse_crossentropy, name=loss.name, dtype=getattr(loss, "dtype", None))
    except TypeError:            # a LossFunctionWrapper of another signature
        return None
    return picked


def _sparse_crossentropy(y_true: Any, y_pred: Any) -> Any:
    """Keras' ``sparse_categorical_crossentropy(y_true, y_pred)`` (probabilities, last
    axis), read from the target's probability when every sum is finite and every
    target a class."""
    ops = keras.ops
    if len(y_true.shape) == len(y_pred.shape) and y_true.shape[-1] == 1:
        y_true = ops.squeeze(y_true, axis=-1)
    target = ops.cast(y_true, "int32")
    total = ops.sum(y_pred, axis=-1, keepdims=True)
    usable = ops.logical_and(
        ops.all(ops.isfinite(total)),
        ops.all(ops.logical_and(target >= 0, target < y_pred.shape[-1])))

    def picked() -> Any:
        p = ops.take_along_axis(y_pred, ops.expand_dims(target, -1), axis=-1) / total
        eps = keras.config.epsilon()
        return ops.squeeze(-ops.log(ops.clip(p, eps, 1.0 - eps)), axis=-1)

    def keras_own() -> Any:
        return ops.sparse_categorical_crossentropy(target, y_pred)
    return ops.cond(usable, picked, keras_own)
