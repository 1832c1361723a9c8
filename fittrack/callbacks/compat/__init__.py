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
Keras (run it under ``TF_USE_LEGACY_KERAS=1`` for tf_keras). The accessors live in
four modules by what they read (:mod:`.kinds`, :mod:`.losses`, :mod:`.layers`,
:mod:`.monitors`); callers use them through this package.

Example:
    >>> import keras
    >>> model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    >>> [type(layer).__name__ for layer in flatten_layers(model)][-1], is_tf_keras(model)
    ('Dense', False)
"""

from __future__ import annotations

from fittrack.callbacks.compat.kinds import (
    TfKerasCallbackHooks,
    fit_arguments,
    is_tf_keras,
    sibling_callbacks,
)
from fittrack.callbacks.compat.layers import (
    assign_states,
    expected_batch_size,
    flatten_layers,
    is_sequential,
    output_layers,
    reset_states,
    state_values,
    state_variables,
)
from fittrack.callbacks.compat.losses import (
    OutputLoss,
    compiled_losses,
    get_keras_mask,
    ignore_class,
    jax_variables,
    mask_of,
    set_keras_mask,
    unreduced_loss,
    unreduced_loss_and_mask,
    user_losses,
)
from fittrack.callbacks.compat.monitors import name_guess, set_monitor_direction

__all__ = [
    "OutputLoss", "TfKerasCallbackHooks", "assign_states", "compiled_losses",
    "expected_batch_size", "fit_arguments", "flatten_layers", "get_keras_mask", "ignore_class",
    "is_sequential", "is_tf_keras", "jax_variables", "mask_of", "name_guess", "output_layers",
    "reset_states", "set_keras_mask", "set_monitor_direction", "sibling_callbacks",
    "state_values", "state_variables", "unreduced_loss", "unreduced_loss_and_mask",
    "user_losses",
]
