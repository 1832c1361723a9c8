"""The compiled inference step: one batch in, outputs, output masks and
regularisation losses out.

``model.predict_on_batch`` returns the outputs alone: the mask Keras attaches
to them (after ``Embedding(mask_zero=True)``) and the regularisation losses of
the forward pass are lost. The step calls the model in inference mode inside
one compiled function, built once per ``fit`` and reused every epoch:

- JAX: ``jax.jit`` around ``model.stateless_call(..., return_losses=True)``,
  fed the current variable values (in the middle of an epoch, the training
  state Keras holds, so nothing is written back into the model);
- TensorFlow: ``tf.function(reduce_retracing=True)`` around ``model(x)``;
- PyTorch: ``model(x)`` under ``torch.no_grad()``.

Half-precision outputs (mixed precision) are cast to float32 inside the step.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import keras
import numpy as np

from fittrack.callbacks import compat

HALF = ("float16", "bfloat16")


@dataclass
class StepResult:
    """One batch's outputs ``[(key, array)]``, their masks, and ``sum(model.losses)``."""

    outputs: list[tuple[Any, np.ndarray]]
    masks: list[np.ndarray | None]
    regularization: float


class InferenceStep:
    """``step(x) -> StepResult`` for one model, compiled on first use.

    Args:
        model: the Keras model.
        carry_state: pass the non-trainable state from batch to batch within
            one pass (stateful RNNs on JAX); call :meth:`begin` before a pass.
    """

    def __init__(self, model: Any, carry_state: bool = False):
        self.model = model
        self.carry_state = carry_state
        self._backend = keras.backend.backend()
        self._fn: Any = None
        self._carry: list | None = None

    def begin(self) -> None:
        """Start a pass over a dataset (a stateful model starts from its current states)."""
        self._carry = None

    def __call__(self, x: Any) -> StepResult:
        if self._fn is None:
            self._fn = self._compile()
        if self._backend == "jax":
            trainable, non_trainable = compat.jax_variables(self.model)
            if self.carry_state and self._carry is not None:
                non_trainable = self._carry
            y, masks, reg, new_state = self._fn(trainable, non_trainable, x)
            if self.carry_state:
                self._carry = new_state
        else:
            y, masks, reg = self._fn(x)
        return StepResult(_pairs(y, keras.ops.convert_to_numpy),
                          [None if m is None else keras.ops.convert_to_numpy(m)
                           for _, m in _pairs(masks, None)],
                          float(keras.ops.convert_to_numpy(reg)))

    # ----- per backend -----
    def _compile(self) -> Any:
        if self._backend == "jax":
            import jax

            return jax.jit(self._jax_body if self.carry_state else self._jax_stateless)
        if self._backend == "tensorflow":
            import tensorflow as tf

            return tf.function(self._eager_body, reduce_retracing=True)
        if self._backend == "torch":
            return self._torch_body
        return self._eager_body

    def _jax_body(self, trainable: list, non_trainable: list, x: Any) -> tuple:
        kwargs = {"training": False} if getattr(self.model, "_call_has_training_arg", True) else {}
        y, new_state, losses = self.model.stateless_call(
            trainable, non_trainable, x, return_losses=True, **kwargs)
        return (*self._finish(y, losses), new_state)

    def _jax_stateless(self, trainable: list, non_trainable: list, x: Any) -> tuple:
        return (*self._jax_body(trainable, non_trainable, x)[:3], None)

    def _eager_body(self, x: Any) -> tuple:
        y = self.model(x, training=False)
        return self._finish(y, self.model.losses)

    def _torch_body(self, x: Any) -> tuple:
        import torch

        with torch.no_grad():
            return self._eager_body(x)

    @staticmethod
    def _finish(y: Any, losses: list) -> tuple:
        masks = keras.tree.map_structure(compat.get_keras_mask, y)
        y = keras.tree.map_structure(
            lambda t: keras.ops.cast(t, "float32") if keras.backend.standardize_dtype(t.dtype)
            in HALF else t, y)
        reg = keras.ops.sum(keras.ops.stack([keras.ops.cast(v, "float32") for v in losses])) \
            if losses else keras.ops.zeros((), dtype="float32")
        return y, masks, reg


def _pairs(structure: Any, convert: Any) -> list[tuple[Any, Any]]:
    """``[(key, leaf)]`` of one output, a list of outputs or a dict of outputs (sorted keys)."""
    if isinstance(structure, dict):
        items = sorted(structure.items(), key=lambda kv: str(kv[0]))
    elif isinstance(structure, (list, tuple)):
        items = list(enumerate(structure))
    else:
        items = [(None, structure)]
    if convert is None:
        return items
    return [(k, np.asarray(convert(v))) for k, v in items]
