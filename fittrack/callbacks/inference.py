"""The one module that runs the model: a compiled step over pre-batched inputs.

``model.predict`` rebuilds a data pipeline and a progress bar on every call
(5-50 ms each); here the inputs are split once into equal, fixed-shape batches
(the last one padded by repeating its last row, so nothing retraces), each
batch goes through one compiled :class:`~fittrack.callbacks.step.InferenceStep`
(outputs, output masks, regularisation losses), and the outputs land in
buffers allocated once per dataset and reused every epoch (no memory growth).
The model is in inference mode only while predicting: the torch backend's
module is put back in the mode it was in.

Example:
    >>> import numpy as np
    >>> batched = BatchedInputs(np.arange(10.0)[:, None], 10, batch_size=4)
    >>> batched.batch_rows, len(batched.batches), batched.batches[-1][:, 0].tolist()
    (4, 3, [8.0, 9.0, 9.0, 9.0])
"""

from __future__ import annotations

import contextlib
import copy
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import keras
import numpy as np

from fittrack.callbacks import compat
from fittrack.callbacks.data import dense, map_leaves
from fittrack.callbacks.staging import resident
from fittrack.callbacks.step import InferenceStep, StepResult

DEFAULT_BATCH_SIZE = 1024


class BatchedInputs:
    """Inputs split once into ``ceil(n / batch_size)`` equal batches.

    The batch size is evened out (``n=1100, batch_size=1024`` gives two batches
    of 550) so the padding is at most one row per batch; with ``exact=True``
    (stateful RNNs, whose batch size is fixed) every batch has ``batch_size`` rows.
    ``pad=False`` leaves the last batch short (one more trace): a model with
    activity regularisers then gets exactly the regularisation of its real rows.
    """

    def __init__(self, x: Any, n_rows: int, batch_size: int, exact: bool = False,
                 pad: bool = True):
        n_batches = max(1, math.ceil(n_rows / batch_size))
        self.batch_rows = batch_size if exact else math.ceil(n_rows / n_batches)
        self.n_rows, self.pad = n_rows, pad or exact
        self.batches = [self._batch(x, start) for start in
                        range(0, n_rows, self.batch_rows)]

    def like(self, x: Any) -> BatchedInputs:
        """Other arrays of the same rows (the targets), batched as these inputs are."""
        other = copy.copy(self)
        other.batches = [other._batch(x, start) for start in range(0, self.n_rows, self.batch_rows)]
        return other

    def head(self) -> BatchedInputs:
        """Only the first batch (predicted once by the checks before training)."""
        head = copy.copy(self)
        head.batches = self.batches[:1]
        head.n_rows = min(self.batch_rows, self.n_rows)
        return head

    def _batch(self, x: Any, start: int) -> Any:
        stop = start + self.batch_rows
        if stop <= self.n_rows or not self.pad:
            return map_leaves(lambda a: dense(a[start:stop]), x)
        rows = np.minimum(np.arange(start, stop), self.n_rows - 1)
        return map_leaves(lambda a: dense(a[rows]), x)


@contextlib.contextmanager
def inference_mode(model: Any) -> Iterator[None]:
    """Predict without disturbing training, only inside the block.

    A torch-backed model is in eval mode inside and back in its previous mode
    after; stateful RNN layers start from zero states inside and get their
    training states back after.
    """
    layers = stateful_layers(model)
    saved = [compat.state_values(layer) for layer in layers]
    for layer in layers:
        compat.reset_states(layer)
    torch_module = (keras.backend.backend() == "torch" and hasattr(model, "train")
                    and not compat.is_tf_keras(model))
    was_training = bool(getattr(model, "training", False))
    if torch_module:
        model.eval()
    try:
        yield
    finally:
        if torch_module:
            model.train(was_training)
        for layer, values in zip(layers, saved):
            compat.assign_states(layer, values)


def stateful_layers(model: Any) -> list[Any]:
    """RNN layers built with ``stateful=True`` (their states are variables)."""
    return [layer for layer in compat.flatten_layers(model)
            if getattr(layer, "stateful", False) and compat.state_variables(layer)]


def fixed_batch_size(model: Any) -> int | None:
    """The batch size a stateful RNN requires, or None."""
    sizes = {compat.expected_batch_size(layer) for layer in stateful_layers(model)}
    sizes.discard(None)
    return sizes.pop() if len(sizes) == 1 else None


def has_activity_regularizer(model: Any) -> bool:
    """True when a layer adds a loss that depends on the rows (an activity regulariser)."""
    return any(getattr(layer, "activity_regularizer", None) is not None
               for layer in compat.flatten_layers(model))


@dataclass
class Predicted:
    """A dataset's outputs ``[(key, array)]``, their masks, its regularisation loss,
    and each compiled loss's unreduced values (when the targets were given)."""

    outputs: list[tuple[Any, np.ndarray]]
    masks: list[np.ndarray | None]
    regularization: float
    loss_values: list[np.ndarray] | None = None
    loss_masks: list[np.ndarray | None] | None = None   # the losses' own masks

    def rows(self, start: int, stop: int) -> Predicted:
        """The rows ``start:stop`` (views)."""
        return Predicted([(k, a[start:stop]) for k, a in self.outputs],
                         [None if m is None else m[start:stop] for m in self.masks],
                         self.regularization,
                         None if self.loss_values is None else
                         [v[start:stop] for v in self.loss_values],
                         None if self.loss_masks is None else
                         [None if m is None else m[start:stop] for m in self.loss_masks])


#: the attribute a model keeps its compiled step under (it goes with the model)
STEP_ATTRIBUTE = "_fittrack_inference_step"


class Predictor:
    """Runs the model over whole datasets: one compiled step per model, reused
    output buffers per dataset key."""

    def __init__(self) -> None:
        self._buffers: dict[str, list[np.ndarray | None]] = {}
        self._step: InferenceStep | None = None

    def reset(self) -> None:
        """Forget every buffer and the compiled step (a new ``fit``, maybe a new model)."""
        self._buffers.clear()
        self._step = None

    def step(self, model: Any) -> InferenceStep:
        """The compiled step of ``model``: built on first use, and kept with the model, so
        that a second ``fit`` (or a new callback) does not compile it again."""
        if self._step is None or self._step.model is not model:
            step = getattr(model, STEP_ATTRIBUTE, None)
            carry = bool(stateful_layers(model))
            if not isinstance(step, InferenceStep) or step.carry_state != carry:
                step = InferenceStep(model, carry_state=carry)
                with contextlib.suppress(AttributeError, TypeError, ValueError):
                    object.__setattr__(model, STEP_ATTRIBUTE, step)   # no tracking by Keras
            self._step = step
        return self._step

    def predict(self, model: Any, batched: BatchedInputs, key: str,
                targets: BatchedInputs | None = None,
                on_batch: Callable[[], None] | None = None, compiled: bool = True) -> Predicted:
        """The model's outputs for every row of ``batched`` (and the compiled losses'
        values, given the targets batched the same way); ``compiled=False``: eagerly."""
        step = self.step(model)
        buffers: list[np.ndarray | None] | None = None
        keys: list = []
        reg = 0.0

        def store(i: int, result: StepResult) -> None:
            nonlocal buffers, keys, reg
            if buffers is None:
                keys = [k for k, _ in result.outputs]
                buffers = self._buffers_for(key, result, batched.n_rows)
            start = i * batched.batch_rows
            stop = min(start + batched.batch_rows, batched.n_rows)
            for buf, arr in zip(buffers, _arrays(result)):
                if buf is not None and arr is not None:
                    buf[start:stop] = arr[: stop - start]
            reg += (stop - start) * result.regularization
            if on_batch is not None:
                on_batch()

        # JAX: batch i + 1 is launched before batch i's results are read (asynchronous
        # dispatch); elsewhere the step returns computed results, and the staged input
        # buffers (TensorFlow) are reused by the next batch: one at a time.
        ahead = 1 if step.backend == "jax" else 0
        pending: list[tuple[int, tuple]] = []     # launched, not read yet
        with inference_mode(model):
            step.begin()
            try:
                for i, batch in enumerate(batched.batches):
                    pending.append((i, step.launch(
                        batch, None if targets is None else targets.batches[i], compiled)))
                    if len(pending) > ahead:
                        j, launched = pending.pop(0)
                        store(j, step.fetch(launched))
                for j, launched in pending:
                    store(j, step.fetch(launched))
            finally:
                step.end()
        assert buffers is not None
        n_out, n_loss = len(keys), len(buffers) - 2 * len(keys)
        outputs = [(k, b) for k, b in zip(keys, buffers[:n_out]) if b is not None]
        values = [b for b in buffers[2 * n_out:2 * n_out + n_loss // 2] if b is not None]
        return Predicted(outputs, buffers[n_out:2 * n_out], reg / max(batched.n_rows, 1),
                         values if values else None,
                         buffers[2 * n_out + n_loss // 2:] if values else None)

    def resident(self, model: Any, batched: BatchedInputs) -> BatchedInputs:
        """``batched`` with its batches converted once to the backend's tensors, for inputs
        predicted at every evaluation (:func:`~fittrack.callbacks.staging.resident`)."""
        backend = self.step(model).backend
        out = copy.copy(batched)
        out.batches = [resident(b, backend) for b in batched.batches]
        return out

    def predict_batch(self, model: Any, x: Any, rows: int, targets: list | None = None,
                      compiled: bool = True) -> Predicted:
        """One batch of a streamed source (the first ``rows`` rows of the outputs)."""
        step = self.step(model)
        with inference_mode(model):
            step.begin()
            try:
                result = step(x, targets, compiled)
            finally:
                step.end()
        return Predicted([(k, a) for k, a in result.outputs], result.masks,
                         result.regularization, result.loss_values,
                         result.loss_masks).rows(0, rows)

    def _buffers_for(self, key: str, result: Any, n_rows: int) -> list[np.ndarray | None]:
        arrays = _arrays(result)
        cached = self._buffers.get(key)
        if cached is not None and len(cached) == len(arrays) and all(
                (b is None and a is None) or (b is not None and a is not None
                                              and b.shape[1:] == a.shape[1:]
                                              and b.dtype == a.dtype)
                for b, a in zip(cached, arrays)):
            return cached
        buffers = [None if a is None else np.empty((n_rows,) + a.shape[1:], dtype=a.dtype)
                   for a in arrays]
        self._buffers[key] = buffers
        return buffers


def _arrays(result: Any) -> list[np.ndarray | None]:
    """A step's outputs, masks, loss values and the losses' masks, in one list (the
    buffer order)."""
    return [a for _, a in result.outputs] + result.masks + list(result.loss_values or []) \
        + list(result.loss_masks or [])
