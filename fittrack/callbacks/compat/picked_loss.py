"""Keras' sparse categorical cross-entropy (default arguments; on TensorFlow also of
logits), computed without the work whose result it throws away: the same values.

- JAX and PyTorch: Keras 3 computes ``-sum(one_hot(target) * log(clip(p / sum(p))))``:
  the log of every class's probability, of which one is kept. On a tagger's outputs
  (20 classes per token) that is most of the loss's cost, and about a tenth of the
  forward pass on JAX. When every row's sum is finite and every target is a class,
  each kept term is ``-log(clip(p[target] / sum(p)))`` and every other term is an
  exact zero, so the same value is computed from the target's probability alone (the
  same division, clip and log). Otherwise (a NaN, an infinity, a target out of range)
  Keras' own function runs, unchanged (``keras.ops.cond``: on JAX, one compiled
  program with both branches).
- TensorFlow: Keras finds the logits behind a softmax output (or takes the log of the
  clipped probabilities) and calls ``tf.nn.sparse_softmax_cross_entropy_with_logits``,
  a kernel that also writes the gradient of every logit (8 ms of CPU per batch of
  1024 x 40 tokens x 20 classes here). The same logits are read the same way, and the
  value is the kernel's: ``log(sum(exp(l - max(l)))) - (l[target] - max(l))`` (3 ms;
  the same within float32 rounding). A target out of range is an error in both. The
  same holds for ``from_logits=True``, which calls the same kernel on the outputs.

Keras internals read here: the function a compiled
``"sparse_categorical_crossentropy"`` (or a ``SparseCategoricalCrossentropy()``)
wraps and ``LossFunctionWrapper`` (``keras.src.losses.losses``), whose ``call``
matches the targets' rank to the outputs' as for the original, and on TensorFlow
``keras.src.backend.tensorflow.nn._get_logits``; if they are missing, the loss runs
as Keras' own.

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
    """A loss computing ``loss.call``'s values without the unused work, or None when
    ``loss`` is not Keras' sparse categorical cross-entropy of probabilities (default
    arguments; on TensorFlow, of logits too: ``from_logits=True`` calls the same kernel)."""
    try:
        from keras.src.losses import losses
    except ImportError:
        return None
    call = _sparse_crossentropy
    if keras.backend.backend() == "tensorflow":
        call = _sparse_crossentropy_tf
        try:
            from keras.src.backend.tensorflow.nn import _get_logits  # noqa: F401
        except ImportError:
            return None
    elif keras.backend.backend() not in ("jax", "torch"):
        return None
    fn = getattr(loss, "fn", None)
    kwargs = getattr(loss, "_fn_kwargs", None)
    if fn is not losses.sparse_categorical_crossentropy or not isinstance(kwargs, dict):
        return None
    # the arguments taken: Keras' defaults, and on TensorFlow logits too
    allowed = {"from_logits": (False, True) if call is _sparse_crossentropy_tf else (False,),
               "ignore_class": (None,), "axis": (-1,)}
    if any(k not in allowed or v not in allowed[k] for k, v in kwargs.items()):
        return None
    logits = kwargs.get("from_logits") is True
    try:
        picked = _PICKED.get(loss)
        if picked is None:
            picked = _PICKED[loss] = losses.LossFunctionWrapper(
                call, name=loss.name, dtype=getattr(loss, "dtype", None),
                **({"from_logits": True} if logits else {}))
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


def _sparse_crossentropy_tf(y_true: Any, y_pred: Any, from_logits: bool = False) -> Any:
    """Keras' TensorFlow ``sparse_categorical_crossentropy(y_true, y_pred, from_logits)``
    (last axis): the same logits, the kernel's value without its gradient."""
    import tensorflow as tf
    from keras.src.backend.tensorflow.nn import _get_logits

    given = from_logits
    logits, from_logits = _get_logits(y_pred, given, "Softmax",
                                      "sparse_categorical_crossentropy")
    target = tf.cast(tf.convert_to_tensor(y_true), "int64")
    if len(target.shape) == len(logits.shape) and target.shape[-1] == 1:
        target = tf.squeeze(target, axis=-1)
    if len(target.shape) != len(logits.shape) - 1:        # Keras' own error
        return keras.ops.sparse_categorical_crossentropy(y_true, y_pred, given)
    logits = tf.convert_to_tensor(logits)
    if not from_logits:
        eps = keras.config.epsilon()
        logits = tf.math.log(tf.clip_by_value(logits, eps, 1 - eps))
    top = tf.reduce_max(logits, axis=-1, keepdims=True)
    total = tf.reduce_sum(tf.exp(logits - top), axis=-1)
    picked = tf.gather(logits, target, batch_dims=len(target.shape))
    return tf.math.log(total) - (picked - top[..., 0])
