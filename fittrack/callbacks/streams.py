"""Streaming datasets: ``tf.data.Dataset``, ``keras.utils.PyDataset``, generators.

A stream is read batch by batch at each evaluation; the targets and weights of
each batch are taken from the same element as its inputs, so a shuffling
pipeline cannot misalign labels and predictions. A ``PyDataset`` is indexed
directly (no worker pool is started and its ``on_epoch_end`` is not called).
A source that does not end (a repeating ``tf.data.Dataset``, a generator) needs
``steps``: each evaluation reads exactly that many batches, in order, never
one more. A generator cannot be rewound: the batch the checks before training
read is kept and is the first batch of the first evaluation.

Example:
    >>> import numpy as np
    >>> def batches():
    ...     while True:
    ...         yield np.zeros((4, 2)), np.ones(4)
    >>> stream = parse_stream(batches(), "validation_data", steps=3)
    >>> sum(len(y) for _, y, _ in stream.batches())
    12
"""

from __future__ import annotations

import inspect
import itertools
from collections.abc import Iterator
from typing import Any

import numpy as np

from fittrack.callbacks.data import (
    RAGGED,
    ArrayData,
    concat_trees,
    leaves,
    map_leaves,
    n_rows,
    parse_weights,
    to_numpy,
)

INFINITE, UNKNOWN = -1, -2  # tf.data cardinalities
Batch = tuple[Any, Any, Any]


def is_tf_dataset(obj: Any) -> bool:
    """A ``tf.data.Dataset`` (duck-typed, so TensorFlow is not imported)."""
    return type(obj).__module__.startswith("tensorflow") and hasattr(obj, "cardinality")


def is_py_dataset(obj: Any) -> bool:
    """A ``keras.utils.PyDataset`` (or a legacy ``Sequence``)."""
    return hasattr(obj, "__getitem__") and hasattr(obj, "__len__") and hasattr(obj, "on_epoch_end")


def is_stream(obj: Any) -> bool:
    """Any source read batch by batch."""
    return is_tf_dataset(obj) or is_py_dataset(obj) or inspect.isgenerator(obj) or (
        hasattr(obj, "__next__") and hasattr(obj, "__iter__"))


class StreamData:
    """A batched source, re-read at every evaluation.

    Args:
        source: the dataset, PyDataset or generator.
        role: ``"train_data"`` or ``"validation_data"`` (for messages).
        steps: batches per evaluation; required for sources that do not end.
    """

    may_be_empty = False   # a pass gives at least one batch (else an error)

    def __init__(self, source: Any, role: str, steps: int | None):
        self.source, self.role, self.steps = source, role, steps
        self._kept: Batch | None = None   # a generator's batch read by the checks

    @property
    def rewindable(self) -> bool:
        """True for tf.data and PyDataset (read from the start each time)."""
        return is_tf_dataset(self.source) or is_py_dataset(self.source)

    def batches(self) -> Iterator[Batch]:
        """``(x, y, sample_weight)`` NumPy batches of one evaluation."""
        elements = self._elements()
        if self._kept is not None:
            kept, self._kept = self._kept, None
            yield kept
            elements = itertools.islice(elements, None if self.steps is None else self.steps - 1)
        elif self.steps is not None:
            elements = itertools.islice(elements, self.steps)
        for element in elements:
            yield split_element(element, self.role)

    def _elements(self) -> Iterator[Any]:
        if is_py_dataset(self.source):
            n = len(self.source) if self.steps is None else self.steps
            return (self.source[i % len(self.source)] for i in range(n))
        if is_tf_dataset(self.source):
            return iter(self.source.as_numpy_iterator())
        return self.source

    def first(self) -> Batch:
        """The first batch (for the checks before training); a generator's is kept."""
        if self._kept is not None:
            return self._kept
        if is_py_dataset(self.source):
            if len(self.source) == 0:
                raise ValueError(_empty(self.role, "an empty PyDataset"))
            return split_element(self.source[0], self.role)
        source = self.source.take(1).as_numpy_iterator() if is_tf_dataset(self.source) \
            else self.source
        element = next(iter(source), None)
        if element is None:
            raise ValueError(_empty(self.role, "a tf.data.Dataset with no batch (a .filter "
                                    "that keeps nothing?)" if is_tf_dataset(self.source)
                                    else "a generator that gives no batch"))
        batch = split_element(element, self.role)
        if not self.rewindable:
            self._kept = batch
        return batch

    def sample(self, size: int, rng: np.random.Generator) -> list[ArrayData]:
        """``size`` rows drawn uniformly in one pass (the rows with the smallest random
        keys), in their order in the source, one block per input shape."""
        parts: list[tuple[np.ndarray, np.ndarray, ArrayData]] = []  # (keys, row index, rows)
        threshold, seen = np.inf, 0
        for x, y, w in self.batches():
            n = n_rows(y)
            keys = rng.random(n)
            chosen = np.flatnonzero(keys < threshold)
            if len(chosen):
                parts.append((keys[chosen], seen + chosen, ArrayData(x, y, w, n).take(chosen)))
            seen += n
            if sum(len(p[0]) for p in parts) > 4 * size:
                parts, threshold = _smallest(parts, size)
        if not parts:
            raise ValueError(_empty(self.role, "a source that gave no rows"))
        kept, _ = _smallest(parts, size)
        return [_block(group) for group in _by_shape(kept)]


class StreamShare(StreamData):
    """One worker's share of a stream: every ``every``-th batch from batch ``index`` (all
    with ``every=1``). Counts the rows of its last pass; may be empty (fewer batches than
    workers: the other workers hold the rows)."""

    may_be_empty = True

    def __init__(self, data: StreamData, index: int, every: int):
        super().__init__(data.source, data.role, data.steps)
        self._kept, self.index, self.every, self.rows_read = data._kept, index, every, 0

    def batches(self) -> Iterator[tuple]:
        self.rows_read = 0
        for k, batch in enumerate(super().batches()):
            if k % self.every == self.index:
                self.rows_read += n_rows(batch[1])
                yield batch

    def sample(self, size: int, rng: np.random.Generator) -> list[ArrayData]:
        try:
            return super().sample(size, rng)
        except ValueError:
            if self.rows_read or self.every == 1:
                raise
            return []


def parse_stream(source: Any, role: str, steps: int | None) -> StreamData:
    """Check a streaming source before training; infinite ones need ``steps``."""
    if is_tf_dataset(source):
        cardinality = int(source.cardinality())
        if cardinality == INFINITE and steps is None:
            raise ValueError(_needs_steps(role, "a tf.data.Dataset that repeats forever"))
        if cardinality == 0:
            raise ValueError(_empty(role, "an empty tf.data.Dataset"))
        _check_batched(source, role)
    elif is_py_dataset(source):
        if getattr(source, "num_batches", 1) is None and steps is None:
            raise ValueError(_needs_steps(role, "a PyDataset without a length"))
        if steps is None and len(source) == 0:
            raise ValueError(_empty(role, "an empty PyDataset"))
    elif steps is None:
        raise ValueError(_needs_steps(role, "a generator (it may not end, and it cannot be "
                                            "restarted)"))
    return StreamData(source, role, steps)


def _check_batched(dataset: Any, role: str) -> None:
    """A dataset of single rows (``from_tensor_slices`` without ``.batch``) has scalar
    labels: refused, as its rows would be read as batches; ragged tensors are refused
    (as NumPy they are object arrays), with the way to pad them."""
    spec = dataset.element_spec
    labels = spec[1] if isinstance(spec, tuple) and len(spec) in (2, 3) else None
    import tensorflow as tf

    if any(isinstance(s, tf.RaggedTensorSpec) for s in tf.nest.flatten(spec)):
        raise ValueError(f"{role}: {RAGGED}")

    ranks = [s.shape.rank for s in tf.nest.flatten(labels) if hasattr(s, "shape")]
    if ranks and any(rank == 0 for rank in ranks):
        raise ValueError(f"{role} is a tf.data.Dataset of single rows (its labels are "
                         "scalars): batch it, e.g. dataset.batch(32), as Keras' fit needs too.")


def split_element(element: Any, role: str) -> Batch:
    """``(x, y)`` or ``(x, y, w)`` of one batch, as NumPy."""
    if not isinstance(element, (tuple, list)) or len(element) not in (2, 3):
        raise TypeError(f"Each batch of {role} must be (x, y) or (x, y, sample_weight); "
                        f"received {type(element).__name__}. Unlabelled batches cannot be scored.")
    x, y = map_leaves(to_numpy, element[0]), map_leaves(to_numpy, element[1])
    w = None if len(element) == 2 or element[2] is None else parse_weights(
        map_leaves(to_numpy, element[2]), role)
    return x, y, w


def _needs_steps(role: str, what: str) -> str:
    key = "train_steps" if role == "train_data" else "validation_steps"
    return (f"{role} is {what}, so each evaluation needs a number of batches: pass "
            f"MetricsCallback(..., {key}=N).")


def _empty(role: str, what: str) -> str:
    return (f"{role} is {what}: there is nothing to evaluate. Pass a source that gives at "
            f"least one batch of (x, y), or None to skip {role}.")


def _smallest(parts: list, size: int) -> tuple[list, float]:
    """Keep the ``size`` rows with the smallest keys; return them and the largest kept key."""
    keys = np.concatenate([p[0] for p in parts])
    order = np.argsort(keys, kind="stable")[:size]
    cut = float(keys[order].max())
    kept = []
    for k, index, data in parts:
        chosen = np.flatnonzero(k <= cut)
        if len(chosen):
            kept.append((k[chosen], index[chosen], data.take(chosen)))
    return kept, cut


def _by_shape(parts: list) -> list[list]:
    """Group parts whose inputs and targets have the same per-row shapes."""
    groups: dict[tuple, list] = {}
    for part in parts:
        data = part[2]
        signature = tuple(np.shape(a)[1:] for a in leaves(data.x) + leaves(data.y))
        groups.setdefault(signature, []).append(part)
    return list(groups.values())


def _block(parts: list) -> ArrayData:
    """One block of rows, in their order in the source."""
    datas = [p[2] for p in parts]
    weights = None if datas[0].sample_weight is None else concat_trees(
        [d.sample_weight for d in datas])
    data = ArrayData(concat_trees([d.x for d in datas]), concat_trees([d.y for d in datas]),
                     weights, sum(d.n_rows for d in datas))
    index = np.concatenate([p[1] for p in parts])
    return data.take(np.argsort(index, kind="stable"))
