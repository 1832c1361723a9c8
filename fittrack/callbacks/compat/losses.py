"""Masks, the compiled loss of each output, and the JAX training state: what the
inference step and the exact loss read from the model."""

from __future__ import annotations

from typing import Any, NamedTuple

import keras

from fittrack.callbacks.compat.kinds import is_tf_keras
from fittrack.callbacks.compat.picked_loss import picked_loss


# ----- masks (Keras 3: keras.src.backend.get_keras_mask, which keeps the masks of JAX
# arrays in a dict by id(); Keras 3.6 left stale entries there, hence Keras >= 3.7;
# tf_keras: _keras_mask)
def get_keras_mask(tensor: Any) -> Any:
    """The mask Keras attached to ``tensor`` (in a traced step too), or None."""
    from keras.src.backend import get_keras_mask as get

    return get(tensor)


def set_keras_mask(tensor: Any, mask: Any) -> None:
    """Attach ``mask`` to ``tensor`` as Keras' layers do (the loss reads it)."""
    from keras.src.backend import set_keras_mask as set_mask

    set_mask(tensor, mask)


def mask_of(owner: Any, tensor: Any) -> Any:
    """The mask attached to ``tensor`` by ``owner`` (the model, or the loss), read the
    way the owner's Keras keeps it (tf_keras: ``_keras_mask``)."""
    if is_tf_keras(owner):
        return getattr(tensor, "_keras_mask", None)
    return get_keras_mask(tensor)


# ----- the compiled loss
# Keras >= 3.7: CompileLoss._flat_losses, built at the first loss computation;
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
    if flat is None:
        return None
    # each item: (path, loss, loss_weight, name)
    return [OutputLoss(tuple(item[0]), item[1], item[2]) for item in flat]


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
    Keras' sparse categorical cross-entropy reads the targets' probabilities alone on
    JAX and PyTorch, and skips the kernel's gradient on TensorFlow
    (:mod:`.picked_loss`: the same values).
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
    return (picked_loss(loss) or loss).call(keras.tree.map_structure(
        lambda a: keras.ops.convert_to_tensor(a, dtype=dtype), y_true),
        keras.ops.convert_to_tensor(y_pred, dtype=dtype))


def unreduced_loss_and_mask(loss: Any, y_true: Any, y_pred: Any) -> tuple[Any, Any]:
    """:func:`unreduced_loss` and the mask the loss attaches to its values
    (``SparseCategoricalCrossentropy(ignore_class=k)`` leaves class ``k`` out), or None.
    Inside a traced function the mask does not travel with the tensor: it is returned
    apart."""
    values = unreduced_loss(loss, y_true, y_pred)
    return values, mask_of(loss, values)


def ignore_class(loss: Any) -> Any:
    """The class a ``SparseCategoricalCrossentropy(ignore_class=k)`` leaves out of the
    loss, or None (Keras 3 and tf_keras keep the argument in ``_fn_kwargs``)."""
    kwargs = getattr(loss, "_fn_kwargs", None)
    return kwargs.get("ignore_class") if isinstance(kwargs, dict) else None


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
