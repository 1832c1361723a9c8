"""The compiled inference step: one batch in, outputs, output masks and
regularisation losses out.

``model.predict_on_batch`` returns the outputs alone: the mask Keras attaches
to them (after ``Embedding(mask_zero=True)``) and the regularisation losses of
the forward pass are lost. The step calls the model in inference mode inside
one compiled function, built once per ``fit`` and reused every epoch:

- JAX: ``jax.jit`` around ``model.stateless_call(..., return_losses=True)``,
  fed the current variable values (in the middle of an epoch, the training
  state Keras holds, so nothing is written back into the model); the compiled
  losses in a second ``jax.jit`` on the outputs, still on the device, so that
  the checks before training (with no targets) and every evaluation share one
  compiled forward pass. The variables are read once per pass, and a pass
  launches batch i + 1 before reading batch i's results (:meth:`InferenceStep.launch`,
  :meth:`InferenceStep.fetch`): the device computes while Python converts;
- TensorFlow: ``tf.function(reduce_retracing=True)`` around ``model(x)``, traced
  first with the batch axis left open (one graph for every set's batch size),
  whose concrete function is called directly when the inputs fit it exactly;
  large NumPy inputs reach it through reusable aligned buffers
  (:class:`~fittrack.callbacks.staging.InputStaging`), not a fresh copy per batch;
- PyTorch: ``model(x)`` under ``torch.no_grad()``;
- a tf_keras model (Keras 2): ``tf.function(reduce_retracing=True)`` around
  ``model(x, training=False)`` in TensorFlow alone, whatever Keras 3's backend
  is (a third of ``predict_on_batch``'s cost per call); eagerly for a model
  compiled with ``run_eagerly=True``. Under ``MultiWorkerMirroredStrategy``
  it runs locally, in the cross-replica context the callback hooks run in
  (the variables read as this worker's copy), so each worker predicts just
  the rows it is given; ``predict_on_batch`` is a collective there, and
  returns other workers' rows.

Half-precision outputs (mixed precision) are cast to float32 after the step,
in NumPy: a cast inside the compiled function would let the compiler skip the
rounding to half precision, and the scores would not be the model's own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import keras
import numpy as np

from fittrack.callbacks import compat
from fittrack.callbacks.staging import InputStaging, fits, trace_any_batch_size

HALF = ("float16", "bfloat16")


@dataclass
class StepResult:
    """One batch's outputs ``[(key, array)]``, their masks, ``sum(model.losses)``,
    and each compiled loss's unreduced values (when targets were given) with the mask
    the loss attaches to them (``ignore_class``), if any."""

    outputs: list[tuple[Any, np.ndarray]]
    masks: list[np.ndarray | None]
    regularization: float
    loss_values: list[np.ndarray] | None = None
    loss_masks: list[np.ndarray | None] | None = None


class InferenceStep:
    """``step(x) -> StepResult`` for one model, compiled on first use.

    With :meth:`set_losses` and targets, each compiled loss's unreduced values
    are computed in the same call as the outputs (JAX: a call of their own):
    TensorFlow's cross-entropies then see the logits behind a sigmoid or
    softmax output, as in ``evaluate``.

    Args:
        model: the Keras model.
        carry_state: pass the non-trainable state from batch to batch within
            one pass (stateful RNNs on JAX); call :meth:`begin` before a pass.
    """

    def __init__(self, model: Any, carry_state: bool = False):
        self.model = model
        self.carry_state = carry_state
        self._backend = "tf_keras" if compat.is_tf_keras(model) else keras.backend.backend()
        self._local = self._backend == "jax" and _process_count() > 1
        self._fns: dict[bool, Any] = {}
        self._concrete: dict[bool, Any] = {}   # TensorFlow: the trace for any batch size
        self._carry: list | None = None
        self._variables: tuple[list, list] | None = None
        self._loss_fn: Any = None
        self.losses: list[tuple[int, Any]] = []
        self._staging = InputStaging() if self._backend in ("tensorflow", "tf_keras") else None

    @property
    def backend(self) -> str:
        """``"jax"``, ``"tensorflow"``, ``"torch"`` or ``"tf_keras"`` (a Keras 2 model)."""
        return self._backend

    def set_losses(self, losses: list[tuple[int, Any]]) -> None:
        """The compiled loss of each output position (computed when targets are given)."""
        same = len(losses) == len(self.losses) and all(
            p == q and a is b for (p, a), (q, b) in zip(losses, self.losses))
        if not same:   # a recompiled model: the step with losses is traced again
            self.losses = list(losses)
            self._fns.pop(True, None)
            self._concrete.pop(True, None)
            self._loss_fn = None

    def begin(self) -> None:
        """Start a pass over a dataset (a stateful model starts from its current states;
        JAX reads the variables once per pass: they do not change during it)."""
        self._carry = None
        self._variables = None

    def end(self) -> None:
        """End a pass: let go of the variables and states it read."""
        self.begin()

    def __call__(self, x: Any, targets: list | None = None, compiled: bool = True) -> StepResult:
        """One batch through the model; ``compiled=False`` runs the same step eagerly (the
        checks before training: one batch, no compilation for a step used once), except on
        JAX, where each eager op is compiled apart (an LSTM's first batch: 1.9 s eagerly,
        0.45 s compiled)."""
        return self.fetch(self.launch(x, targets, compiled))

    def launch(self, x: Any, targets: list | None = None, compiled: bool = True) -> tuple:
        """Start one batch: its results still on the device, for :meth:`fetch`. JAX returns
        before they are computed, so the next batch can be launched before this one's
        results are read (the device is not left idle while Python converts them)."""
        # PyTorch runs eagerly: its losses cost a dispatch per op and batch here, and fewer
        # over the whole outputs afterwards (exact_loss); compiled backends fuse them.
        with_loss = bool(self.losses) and targets is not None and self._backend != "torch"
        targets = targets if with_loss else None
        jax_backend = self._backend == "jax"
        compiled = compiled or jax_backend    # JAX compiles each eager op apart: slower
        key = with_loss and not jax_backend   # JAX: the losses in a function of their own
        fn = self._fns.get(key) if compiled else self._body()
        if fn is None:
            fn = self._fns[key] = self._compile()
            if self._backend in ("tensorflow", "tf_keras") and not self.carry_state:
                self._concrete[key] = trace_any_batch_size(fn, x, targets)
        if jax_backend:
            if self._variables is None:
                trainable, non_trainable = compat.jax_variables(self.model)
                if self._local:   # several processes: this one's copy, so the step runs locally
                    trainable, non_trainable = _local(trainable), _local(non_trainable)
                self._variables = trainable, non_trainable
            trainable, non_trainable = self._variables
            if self.carry_state and self._carry is not None:
                non_trainable = self._carry
            y, masks, reg, _, new_state = fn(trainable, non_trainable, x, None)
            values = self._jax_losses(y, targets) if targets is not None else None
            if self.carry_state:
                self._carry = new_state
        elif self._staging is not None and compiled:
            args = (self._staging.stage(x), self._staging.stage(targets, "t"))
            concrete = self._concrete.get(key)
            y, masks, reg, values = (concrete if concrete is not None and fits(concrete, args)
                                     else fn)(*args)
        else:
            y, masks, reg, values = fn(x, targets)
        return y, masks, reg, values

    def fetch(self, launched: tuple) -> StepResult:
        """The results of a :meth:`launch` as NumPy arrays (waiting for them)."""
        y, masks, reg, values = launched
        numpy = _tf_numpy if self._backend == "tf_keras" else keras.ops.convert_to_numpy
        if self._staging is not None:   # an output that is the staged input itself: a copy
            staging, given = self._staging, numpy
            numpy = lambda t: _unstaged(np.asarray(given(t)), staging)  # noqa: E731
        return StepResult(_pairs(y, lambda t: _to_numpy(t, numpy)),
                          [None if m is None else np.asarray(numpy(m))
                           for _, m in _pairs(masks, None)],
                          float(numpy(reg)),
                          None if values is None else [
                              np.asarray(numpy(v), dtype=np.float64) for v in values[0]],
                          None if values is None else [
                              None if m is None else np.asarray(numpy(m)) for m in values[1]])

    # ----- per backend -----
    def _body(self) -> Any:
        """The step's function, uncompiled."""
        if self._backend == "tf_keras":
            return self._tf_keras_body
        if self._backend == "jax":
            return self._jax_body if self.carry_state else self._jax_stateless
        return self._torch_body if self._backend == "torch" else self._eager_body

    def _compile(self) -> Any:
        """The step's function, compiled (a tf_keras model compiled with
        ``run_eagerly=True`` and PyTorch: as it is)."""
        body = self._body()
        if self._backend == "jax":
            import jax

            return jax.jit(body)
        if self._backend == "tensorflow" or (
                self._backend == "tf_keras" and not getattr(self.model, "run_eagerly", False)):
            import tensorflow as tf

            return tf.function(body, reduce_retracing=True)
        return body

    def _jax_body(self, trainable: list, non_trainable: list, x: Any, targets: Any) -> tuple:
        kwargs = {"training": False} if getattr(self.model, "_call_has_training_arg", True) else {}
        y, new_state, losses = self.model.stateless_call(
            trainable, non_trainable, x, return_losses=True, **kwargs)
        return (*self._finish(y, losses, targets), new_state)

    def _jax_stateless(self, trainable: list, non_trainable: list, x: Any, targets: Any) -> tuple:
        return (*self._jax_body(trainable, non_trainable, x, targets)[:4], None)

    def _jax_losses(self, y: Any, targets: list) -> tuple[list, list]:
        """Each compiled loss's unreduced values on the outputs (still on the device), in a
        ``jax.jit`` of its own: the checks before training and every epoch then share one
        compiled forward pass, and the losses compile in a fraction of the model's time."""
        if self._loss_fn is None:
            import jax

            self._loss_fn = jax.jit(self._loss_values)
        return self._loss_fn(y, targets)

    def _loss_values(self, y: Any, targets: list) -> tuple[list, list]:
        """``(values, masks)``: each compiled loss's unreduced values and the mask it
        attaches to them, or None (:func:`compat.unreduced_loss_and_mask`)."""
        leaves = [leaf for _, leaf in _pairs(y, None)]
        pairs = [compat.unreduced_loss_and_mask(loss, t, leaves[position])
                 for (position, loss), t in zip(self.losses, targets)]
        return [v for v, _ in pairs], [m for _, m in pairs]

    def _eager_body(self, x: Any, targets: Any) -> tuple:
        y = self.model(x, training=False)
        return self._finish(y, self.model.losses, targets)

    def _tf_keras_body(self, x: Any, targets: Any) -> tuple:
        import tensorflow as tf

        y = self.model(x, training=False)
        masks = tf.nest.map_structure(lambda t: compat.mask_of(self.model, t), y)
        losses = self.model.losses
        reg = tf.add_n([tf.cast(v, tf.float32) for v in losses]) if losses else \
            tf.zeros((), tf.float32)
        return y, masks, reg, None if targets is None else self._loss_values(y, targets)

    def _torch_body(self, x: Any, targets: Any) -> tuple:
        import torch

        with torch.no_grad():
            return self._eager_body(x, targets)

    def _finish(self, y: Any, losses: list, targets: Any) -> tuple:
        masks = keras.tree.map_structure(lambda t: compat.mask_of(self.model, t), y)
        reg = keras.ops.sum(keras.ops.stack([keras.ops.cast(v, "float32") for v in losses])) \
            if losses else keras.ops.zeros((), dtype="float32")
        values = None if targets is None else self._loss_values(y, targets)
        return y, masks, reg, values


def _process_count() -> int:
    import jax

    return jax.process_count()


def _local(values: list) -> list:
    """This process's copy of each replicated global array (``keras.distribution``)."""
    return [v if getattr(v, "is_fully_addressable", True) else v.addressable_data(0)
            for v in values]


def _unstaged(array: np.ndarray, staging: InputStaging) -> np.ndarray:
    return array.copy() if staging.holds(array) else array


def _tf_numpy(tensor: Any) -> np.ndarray:
    return tensor.numpy() if hasattr(tensor, "numpy") else np.asarray(tensor)


def _to_numpy(tensor: Any, numpy: Any = None) -> np.ndarray:
    """A NumPy array; float16/bfloat16 outputs become float32 (exactly)."""
    array = np.asarray((numpy or keras.ops.convert_to_numpy)(tensor))
    if array.dtype.name in HALF:
        array = array.astype(np.float32)
    return array


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
