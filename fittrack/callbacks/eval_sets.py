"""A dataset as the callback evaluates it: in memory (pre-batched) or streamed.

Every kind is an :class:`EvalSet`: it gives the first batch's predictions (for
the checks before training) and a full evaluation as :class:`Chunk` objects,
and draws a seeded monitor subset for the batch-level evaluations; a
:class:`MonitorGroup` predicts the monitor subsets of all datasets together.

Example:
    >>> import numpy as np
    >>> from fittrack.callbacks.data import parse_data
    >>> s = build_set("val", "val_", "validation_data", parse_data((np.zeros((5, 2)), np.zeros(5)),
    ...               "validation_data"), batch_size=2)
    >>> type(s).__name__, s.batched.batch_rows
    ('ArraySet', 2)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

import numpy as np

from fittrack.callbacks.data import ArrayData, concat_trees, leaves, n_rows, take_rows
from fittrack.callbacks.evaluation import Chunk
from fittrack.callbacks.inference import BatchedInputs, Predictor
from fittrack.callbacks.streams import StreamData

#: the compiled losses' targets in a batch's ``y`` (None before Keras built the losses)
LossTargets = Callable[[Any], "list[np.ndarray] | None"]


class EvalSet(Protocol):
    """What the callback asks of a dataset."""

    key: str        # "train" | "val": names the prediction buffers
    prefix: str     # "" | "val_": prefixes the keys
    role: str       # "train_data" | "validation_data": names the data in messages
    where: str      # "the validation_data", ...

    def head(self, predictor: Predictor, model: Any) -> Chunk:
        """The first batch's targets, weights and predictions."""

    def chunks(self, predictor: Predictor, model: Any, loss_targets: LossTargets | None = None,
               on_batch: Callable[[], None] | None = None) -> list[Chunk]:
        """Every row of the dataset, predicted (with the losses' values, given their targets);
        ``on_batch`` is called after each batch."""

    @property
    def n_batches(self) -> int | None:
        """Batches per evaluation (None: unknown until read)."""


class ArraySet:
    """In-memory rows, split once into fixed-shape batches; targets fixed."""

    def __init__(self, key: str, prefix: str, role: str, data: ArrayData, batch_size: int,
                 exact: bool = False, pad: bool = True):
        self.key, self.prefix, self.role, self.where = key, prefix, role, f"the {role}"
        self.data = data
        self.batched = BatchedInputs(data.x, data.n_rows, batch_size, exact, pad)

    def head(self, predictor: Predictor, model: Any) -> Chunk:
        head = self.batched.head()
        rows = np.arange(head.n_rows)
        predicted = predictor.predict(model, head, self.key + "_check", compiled=False)
        return Chunk(take_rows(self.data.y, rows), predicted,
                     take_rows(self.data.sample_weight, rows), head.n_rows)

    def chunks(self, predictor: Predictor, model: Any, loss_targets: LossTargets | None = None,
               on_batch: Callable[[], None] | None = None) -> list[Chunk]:
        targets = None if loss_targets is None else loss_targets(self.data.y)
        batched = None if targets is None else self.batched.like(targets)
        predicted = predictor.predict(model, self.batched, self.key, batched, on_batch)
        return [Chunk(self.data.y, predicted, self.data.sample_weight, self.data.n_rows)]

    @property
    def n_batches(self) -> int | None:
        return len(self.batched.batches)

    def monitor(self, size: int, rng: np.random.Generator) -> MonitorPart:
        """A seeded subset of ``size`` rows (all rows if fewer)."""
        rows = None if size >= self.data.n_rows else np.sort(
            rng.choice(self.data.n_rows, size=size, replace=False))
        return MonitorPart(self, [self.data if rows is None else self.data.take(rows)])


class SourceEnded(ValueError):
    """A generator (which cannot be restarted) ended before giving an evaluation's
    ``steps`` batches: that evaluation's values of the set are NaN, never a partial set."""


class StreamSet:
    """A streamed source, read once per evaluation; targets come with the inputs."""

    def __init__(self, key: str, prefix: str, role: str, data: StreamData):
        self.key, self.prefix, self.role, self.where = key, prefix, role, f"the {role}"
        self.data = data

    def head(self, predictor: Predictor, model: Any) -> Chunk:
        """The first batch (kept for the first evaluation of a generator)."""
        x, y, w = self.data.first()
        rows = n_rows(y)
        return Chunk(y, predictor.predict_batch(model, x, rows, compiled=False), w, rows)

    def chunks(self, predictor: Predictor, model: Any, loss_targets: LossTargets | None = None,
               on_batch: Callable[[], None] | None = None) -> list[Chunk]:
        """One pass of exactly ``steps`` batches (the whole source without steps)."""
        out = []
        for x, y, w in self.data.batches():
            rows = n_rows(y)
            targets = None if loss_targets is None else loss_targets(y)
            out.append(Chunk(y, predictor.predict_batch(model, x, rows, targets), w, rows))
            if on_batch is not None:
                on_batch()
        steps = self.data.steps
        if not self.data.rewindable and steps is not None and len(out) < steps \
                and not self.data.may_be_empty:
            key = "train_steps" if self.role == "train_data" else "validation_steps"
            raise SourceEnded(
                f"{self.role} gave {len(out)} of its {steps} batches ({key}) at this "
                "evaluation: a generator cannot be restarted, and this one has ended. Pass a "
                "tf.data.Dataset, a keras.utils.PyDataset or arrays (read from the start at "
                "each evaluation), or a generator that does not end.")
        if not out and not self.data.may_be_empty:
            raise ValueError(f"{self.role} produced no batches at this evaluation; a source "
                             "must give at least one batch each time it is read.")
        return out

    @property
    def n_batches(self) -> int | None:
        return self.data.steps

    def monitor(self, size: int, rng: np.random.Generator) -> MonitorPart:
        """``size`` rows drawn with ``rng`` in one pass, kept in memory."""
        return MonitorPart(self, self.data.sample(size, rng))


class MonitorPart:
    """One dataset's monitor subset: its rows in memory (one block per input shape)."""

    def __init__(self, source: ArraySet | StreamSet, blocks: list[ArrayData]):
        self.prefix, self.role, self.blocks = source.prefix, source.role, blocks
        self.where = f"the {source.role} monitor subset"
        self.n_rows = sum(b.n_rows for b in blocks)

    def keep(self, size: int, rng: np.random.Generator) -> None:
        """Keep ``size`` of the rows (drawn with ``rng``), in their order."""
        if size >= self.n_rows:
            return
        rows = np.sort(rng.choice(self.n_rows, size=size, replace=False))
        blocks, start = [], 0
        for b in self.blocks:
            mine = rows[(rows >= start) & (rows < start + b.n_rows)] - start
            if len(mine):
                blocks.append(b.take(mine))
            start += b.n_rows
        self.blocks, self.n_rows = blocks, size


class MonitorGroup:
    """The monitor subsets of every dataset, predicted in as few compiled calls as possible.

    Batch-level evaluations are small (``monitor_size`` rows per dataset), so
    the fixed cost of a call matters: blocks whose inputs have the same shape
    (all of them, usually) are concatenated once and predicted together (up to
    ``MAX_ROWS`` rows per batch); blocks of other shapes (sequences padded to
    another length) get calls of their own. The inputs (and the losses' targets) are
    converted to the backend's tensors at the first evaluation of a ``fit``
    (:meth:`Predictor.resident`), not copied to the device at every one.
    """

    MAX_ROWS = 8192

    def __init__(self, parts: list[MonitorPart], batch_size: int, exact: bool = False,
                 pad: bool = True):
        self.parts = parts
        blocks = [(i, b) for i, part in enumerate(parts) for b in part.blocks]
        self.units = []   # (BatchedInputs, [(part index, block, start row)])
        self._targets: list | None = None   # per unit: the losses' targets, batched
        self._resident: list[BatchedInputs] | None = None   # per unit: the inputs, converted
        # With activity regularisers (pad=False) a batch's regularisation depends on its
        # rows: each dataset gets units of its own, so its loss has its rows' term.
        unit = (lambda i, b: _signature(b.x)) if pad else (lambda i, b: (i, _signature(b.x)))
        for signature in dict.fromkeys(unit(i, b) for i, b in blocks):
            members = [(i, b) for i, b in blocks if unit(i, b) == signature]
            starts = np.cumsum([0] + [b.n_rows for _, b in members])
            rows = int(starts[-1])
            size = batch_size if exact else max(batch_size, min(rows, self.MAX_ROWS))
            batched = BatchedInputs(concat_trees([b.x for _, b in members]), rows, size,
                                    exact, pad)
            self.units.append((batched, [(i, b, int(s)) for (i, b), s in
                                         zip(members, starts[:-1])]))

    def results(self, predictor: Predictor, model: Any, loss_targets: LossTargets | None = None
                ) -> list[tuple[MonitorPart, list[Chunk]]]:
        """Each dataset's subset with its chunks."""
        if self._targets is None and loss_targets is not None:
            targets = self._batched_targets(loss_targets)
            self._targets = None if targets is None else [
                predictor.resident(model, t) for t in targets]
        if self._resident is None:   # converted once: no copy to the device per evaluation
            self._resident = [predictor.resident(model, batched) for batched, _ in self.units]
        chunks: list[list[Chunk]] = [[] for _ in self.parts]
        for n, (_, members) in enumerate(self.units):
            targets = None if self._targets is None else self._targets[n]
            predicted = predictor.predict(model, self._resident[n], f"monitors_{n}", targets)
            for i, block, start in members:
                chunks[i].append(Chunk(block.y, predicted.rows(start, start + block.n_rows),
                                       block.sample_weight, block.n_rows))
        return list(zip(self.parts, chunks))

    def _batched_targets(self, loss_targets: LossTargets) -> list | None:
        out = []
        for batched, members in self.units:
            parts = [loss_targets(block.y) for _, block, _ in members]
            if parts[0] is None:
                return None
            out.append(batched.like([np.concatenate(p) for p in zip(*parts)]))
        return out


def _signature(x: Any) -> tuple:
    return tuple((np.shape(a)[1:], str(getattr(a, "dtype", ""))) for a in leaves(x))


def build_set(key: str, prefix: str, role: str, data: ArrayData | StreamData,
              batch_size: int, exact: bool = False, pad: bool = True) -> ArraySet | StreamSet:
    """The evaluation set for parsed ``train_data``/``validation_data``."""
    if isinstance(data, StreamData):
        return StreamSet(key, prefix, role, data)
    return ArraySet(key, prefix, role, data, batch_size, exact, pad)
