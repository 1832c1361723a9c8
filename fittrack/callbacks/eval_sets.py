"""A dataset as the callback evaluates it: in memory (pre-batched) or streamed.

Both kinds answer the same three questions: the first batch's predictions
(for the checks before training), a full evaluation (targets, predictions,
weights), and a seeded monitor subset for the batch-level evaluations; a
:class:`MonitorGroup` predicts the monitor subsets of all datasets in one call.

Example:
    >>> import numpy as np
    >>> from fittrack.callbacks.data import parse_data
    >>> s = build_set("val", "val_", "validation_data", parse_data((np.zeros((5, 2)), np.zeros(5)),
    ...               "validation_data"), batch_size=2)
    >>> type(s).__name__, s.batched.batch_rows
    ('ArraySet', 2)
"""

from __future__ import annotations

from typing import Any, Iterator

import numpy as np

from fittrack.callbacks.data import ArrayData, concat_trees, monitor_rows, n_rows
from fittrack.callbacks.inference import BatchedInputs, Predictor, flatten_outputs, inference_mode
from fittrack.callbacks.streams import StreamData, is_py_dataset, is_tf_dataset

Predictions = list  # [(output key, array)]


class ArraySet:
    """In-memory rows, split once into fixed-shape batches; targets fixed."""

    def __init__(self, key: str, prefix: str, role: str, data: ArrayData, batch_size: int,
                 exact: bool = False):
        self.key, self.prefix, self.role, self.where = key, prefix, role, f"the {role}"
        self.data = data
        self.batched = BatchedInputs(data.x, data.n_rows, batch_size, exact)

    def head(self, predictor: Predictor, model: Any) -> tuple[Predictions, Any, Any, int]:
        """Predictions of the first batch, targets, weights, and the rows predicted."""
        rows = min(self.batched.batch_rows, self.data.n_rows)
        first = predictor.predict(model, self.batched.head(), self.key + "_check")
        return first, self.data.y, self.data.sample_weight, rows

    def results(self, predictor: Predictor, model: Any) -> Iterator[tuple]:
        """``(set, targets, predictions of every row, weights)``."""
        yield self, self.data.y, predictor.predict(model, self.batched, self.key), \
            self.data.sample_weight

    def monitor(self, size: int, rng: np.random.Generator) -> "MonitorPart":
        """A seeded subset of ``size`` rows (all rows if fewer)."""
        rows = monitor_rows(self.data.n_rows, size, rng)
        return MonitorPart(self, self.data if rows is None else self.data.take(rows))


class StreamSet:
    """A streamed source, read once per evaluation; targets come with the inputs."""

    def __init__(self, key: str, prefix: str, role: str, data: StreamData):
        self.key, self.prefix, self.role, self.where = key, prefix, role, f"the {role}"
        self.data = data
        self._first: tuple | None = None

    def head(self, predictor: Predictor, model: Any) -> tuple[Predictions, Any, Any, int]:
        """Predictions, targets and weights of the first batch, and its rows.

        A generator's first batch is consumed here (it cannot be rewound).
        """
        peekable = is_tf_dataset(self.data.source) or is_py_dataset(self.data.source)
        x, y, w = self.data.first() if peekable else next(iter(self.data.batches()))
        with inference_mode(model):
            first = flatten_outputs(model.predict_on_batch(x), rows=n_rows(y))
        return first, y, w, len(first[0][1])

    def results(self, predictor: Predictor, model: Any) -> Iterator[tuple]:
        """One pass: ``(set, targets, predictions, weights)`` collected batch by batch."""
        ys, outs, ws = [], [], []
        with inference_mode(model):
            for x, y, w in self.data.batches():
                outs.append(flatten_outputs(model.predict_on_batch(x), rows=n_rows(y)))
                ys.append(y)
                ws.append(w)
        if not outs:
            raise ValueError(f"{self.role} produced no batches at this evaluation.")
        predictions = [(k, np.concatenate([o[i][1] for o in outs])) for i, (k, _) in
                       enumerate(outs[0])]
        weights = None if ws[0] is None else np.concatenate(ws).astype(np.float64)
        yield self, concat_trees(ys), predictions, weights

    def monitor(self, size: int, rng: np.random.Generator) -> "MonitorPart":
        """``size`` rows drawn with ``rng`` in one pass, kept in memory."""
        return MonitorPart(self, self.data.sample(size, rng))


class MonitorPart:
    """One dataset's monitor subset: its rows in memory, named like the dataset."""

    def __init__(self, source: ArraySet | StreamSet, data: ArrayData):
        self.prefix, self.role, self.data = source.prefix, source.role, data
        self.where = f"the {source.role} monitor subset"


class MonitorGroup:
    """The monitor subsets of every dataset, predicted together in one compiled call.

    Batch-level evaluations are small (``monitor_size`` rows per dataset), so
    the fixed cost of a predict call matters: the subsets' inputs are
    concatenated once and predicted in one batch (up to ``MAX_ROWS`` rows),
    then the outputs are split per dataset.
    """

    MAX_ROWS = 8192

    def __init__(self, parts: list[MonitorPart], batch_size: int, exact: bool = False):
        self.parts = parts
        sizes = [p.data.n_rows for p in parts]
        self.bounds = np.cumsum([0] + sizes)
        n_rows = int(self.bounds[-1])
        rows = batch_size if exact else max(batch_size, min(n_rows, self.MAX_ROWS))
        x = concat_trees([p.data.x for p in parts])
        self.batched = BatchedInputs(x, n_rows, rows, exact)

    def results(self, predictor: Predictor, model: Any) -> Iterator[tuple]:
        """``(part, targets, predictions, weights)`` for each dataset's subset."""
        predictions = predictor.predict(model, self.batched, "monitors")
        for part, start, stop in zip(self.parts, self.bounds[:-1], self.bounds[1:]):
            yield part, part.data.y, [(k, a[start:stop]) for k, a in predictions], \
                part.data.sample_weight


def build_set(key: str, prefix: str, role: str, data: ArrayData | StreamData,
              batch_size: int, exact: bool = False) -> ArraySet | StreamSet:
    """The evaluation set for parsed ``train_data``/``validation_data``."""
    if isinstance(data, StreamData):
        return StreamSet(key, prefix, role, data)
    return ArraySet(key, prefix, role, data, batch_size, exact)
