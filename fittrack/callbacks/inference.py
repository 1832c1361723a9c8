"""The one module that runs the model: a compiled predict step over pre-batched inputs.

``model.predict`` rebuilds a data pipeline and a progress bar on every call
(5-50 ms each); here the inputs are split once into equal, fixed-shape batches
(the last one padded by repeating its last row, so nothing retraces), each
batch goes through Keras' compiled ``predict_on_batch`` step, and the outputs
land in buffers allocated once per dataset and reused every epoch (no memory
growth). The model is in inference mode only while predicting: the torch
backend's module is put back in the mode it was in.

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
from typing import Any, Iterator

import keras
import numpy as np

from fittrack.callbacks.data import map_leaves

DEFAULT_BATCH_SIZE = 1024


class BatchedInputs:
    """Inputs split once into ``ceil(n / batch_size)`` equal batches.

    The batch size is evened out (``n=1100, batch_size=1024`` gives two batches
    of 550) so the padding is at most one row per batch; with ``exact=True``
    (stateful RNNs, whose batch size is fixed) every batch has ``batch_size`` rows.
    """

    def __init__(self, x: Any, n_rows: int, batch_size: int, exact: bool = False):
        n_batches = max(1, math.ceil(n_rows / batch_size))
        self.batch_rows = batch_size if exact else math.ceil(n_rows / n_batches)
        self.n_rows = n_rows
        self.batches = [self._batch(x, start) for start in
                        range(0, n_rows, self.batch_rows)]

    def head(self) -> "BatchedInputs":
        """Only the first batch (predicted once by the checks before training)."""
        head = copy.copy(self)
        head.batches = self.batches[:1]
        head.n_rows = min(self.batch_rows, self.n_rows)
        return head

    def _batch(self, x: Any, start: int) -> Any:
        stop = start + self.batch_rows
        if stop <= self.n_rows:
            return map_leaves(lambda a: a[start:stop], x)
        rows = np.minimum(np.arange(start, stop), self.n_rows - 1)
        return map_leaves(lambda a: a[rows], x)


@contextlib.contextmanager
def inference_mode(model: Any) -> Iterator[None]:
    """Predict without disturbing training, only inside the block.

    A torch-backed model is in eval mode inside and back in its previous mode
    after; stateful RNN layers start from zero states inside and get their
    training states back after.
    """
    layers = stateful_layers(model)
    saved = [[keras.ops.convert_to_numpy(v.value) for v in layer.states] for layer in layers]
    for layer in layers:
        layer.reset_state()
    torch_module = keras.backend.backend() == "torch" and hasattr(model, "train")
    was_training = bool(getattr(model, "training", False))
    if torch_module:
        model.eval()
    try:
        yield
    finally:
        if torch_module:
            model.train(was_training)
        for layer, values in zip(layers, saved):
            for variable, value in zip(layer.states, values):
                variable.assign(value)


def stateful_layers(model: Any) -> list[Any]:
    """RNN layers built with ``stateful=True`` (their states are variables)."""
    flatten = getattr(model, "_flatten_layers", None)
    if flatten is None:
        return []
    return [layer for layer in flatten(include_self=False)
            if getattr(layer, "stateful", False) and getattr(layer, "states", None) is not None]


def fixed_batch_size(model: Any) -> int | None:
    """The batch size a stateful RNN requires, or None."""
    sizes = {int(getattr(layer, "_expected_batch_size", 0) or 0) for layer in stateful_layers(model)}
    sizes.discard(0)
    return sizes.pop() if len(sizes) == 1 else None


def flatten_outputs(result: Any, rows: int | None = None) -> list[tuple[Any, np.ndarray]]:
    """``[(key, array)]`` for one output, a list of outputs or a dict of outputs.

    ``rows`` keeps the first rows only: under ``tf.distribute.MirroredStrategy``
    ``predict_on_batch`` returns every replica's copy of the batch, one after another.
    """
    if isinstance(result, dict):
        pairs = list(result.items())
    elif isinstance(result, (list, tuple)):
        pairs = list(enumerate(result))
    else:
        pairs = [(None, result)]
    return [(k, np.asarray(v)[:rows]) for k, v in pairs]


class Predictor:
    """Predicts whole datasets with reused output buffers (one set per dataset key)."""

    def __init__(self) -> None:
        self._buffers: dict[str, list[tuple[Any, np.ndarray]]] = {}

    def reset(self) -> None:
        """Forget every buffer (a new ``fit``, maybe a new model)."""
        self._buffers.clear()

    def predict(self, model: Any, batched: BatchedInputs, key: str) -> list[tuple[Any, np.ndarray]]:
        """The model's outputs for every row of ``batched``: ``[(output key, array)]``."""
        outputs = None
        with inference_mode(model):
            for i, batch in enumerate(batched.batches):
                flat = flatten_outputs(model.predict_on_batch(batch))
                if outputs is None:
                    outputs = self._buffers_for(key, flat, batched.n_rows)
                start = i * batched.batch_rows
                stop = min(start + batched.batch_rows, batched.n_rows)
                for (_, buf), (_, arr) in zip(outputs, flat):
                    buf[start:stop] = arr[: stop - start]
        return outputs or []

    def _buffers_for(self, key: str, flat: list[tuple[Any, np.ndarray]],
                     n_rows: int) -> list[tuple[Any, np.ndarray]]:
        cached = self._buffers.get(key)
        if cached is not None and len(cached) == len(flat) and all(
                b.shape[1:] == a.shape[1:] and b.dtype == a.dtype
                for (_, b), (_, a) in zip(cached, flat)):
            return cached
        buffers = [(k, np.empty((n_rows,) + a.shape[1:], dtype=a.dtype)) for k, a in flat]
        self._buffers[key] = buffers
        return buffers
