"""Every Keras internal the callback relies on, in one place, each with a fallback.

Public Keras APIs do not expose what an exact evaluation needs: the mask a
model attaches to its outputs, the compiled loss of each output, the JAX
training state in the middle of an epoch, the layers of a model, a stateful
RNN's batch size, and the other callbacks of the same ``fit``. Each accessor
below reads one of them, says which Keras versions have it, and falls back
(None, an empty list) when it is missing, so a Keras release that removes one
degrades one feature with a clear message instead of breaking training.
``tests/callbacks/test_compat.py`` checks each one on the installed Keras.

Example:
    >>> import keras
    >>> model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    >>> [type(layer).__name__ for layer in flatten_layers(model)]
    ['Dense']
"""

from __future__ import annotations

import sys
from typing import Any, NamedTuple

import keras


# ----- masks (keras.src.backend.{get,set}_keras_mask since Keras 3.6; before: _keras_mask)
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


# ----- the compiled loss (CompileLoss._flat_losses since 3.7; flat_losses before)
class OutputLoss(NamedTuple):
    """One output's compiled loss: where it reads, the Loss object, its weight."""

    path: tuple            # () for a single output, (key,) or (index,) otherwise
    loss: Any              # a keras.losses.Loss (functions are wrapped by Keras)
    weight: float | None   # the output's loss_weights entry


def compiled_losses(model: Any) -> list[OutputLoss] | None:
    """The model's per-output losses once Keras has built them, else None.

    JAX and PyTorch build them when ``fit`` starts; TensorFlow at the first
    traced training step.
    """
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


def user_losses(model: Any) -> Any:
    """What the user passed to ``compile(loss=...)`` (a name, a Loss, a dict...), or None."""
    return getattr(model, "loss", None)


# ----- the JAX training state in the middle of an epoch
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


# ----- layers
def flatten_layers(model: Any) -> list[Any]:
    """Every layer inside ``model`` (nested models included), not the model itself."""
    flatten = getattr(model, "_flatten_layers", None)
    if flatten is not None:
        return list(flatten(include_self=False))
    return list(getattr(model, "layers", []))


def expected_batch_size(layer: Any) -> int | None:
    """The batch size a stateful RNN layer was built for, or None."""
    size = getattr(layer, "_expected_batch_size", None)
    return int(size) if size else None


# ----- the other callbacks of this fit
def sibling_callbacks(depth: int = 8) -> list[Any] | None:
    """The ``callbacks`` of the ``CallbackList`` calling us, found on the stack (or None)."""
    frame = sys._getframe(1)
    for _ in range(depth):
        if frame is None:
            return None
        owner = frame.f_locals.get("self")
        if isinstance(owner, keras.callbacks.CallbackList):
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
