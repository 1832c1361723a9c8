"""MetricHistory: the whole run in two tables, read like Keras' ``History``.

The epoch table has one row per recorded epoch, the batch table one row per
batch-level evaluation (``step, epoch, batch``). A key that first appears
late gets a column (earlier rows are missing, not NaN); a key absent from a
row is missing in that row; a recorded NaN stays a NaN.

Example:
    >>> h = MetricHistory()
    >>> h.record_epoch(0, {"loss": 0.9})
    >>> h.record_epoch(1, {"loss": 0.5, "val_auc": 0.75})
    >>> h["loss"], h["val_auc"], h.epoch
    ([0.9, 0.5], [0.75], [0, 1])
    >>> h.history
    {'loss': [0.9, 0.5], 'val_auc': [0.75]}
    >>> h.best("loss")
    (1, 0.5)
    >>> h
    MetricHistory(2 epochs, keys=['loss', 'val_auc'])
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from fittrack.history.columns import BUFFER_ROWS, Table
from fittrack.history.convert import epoch_table
from fittrack.history.csv_read import BATCH_INDEX, EPOCH_INDEX
from fittrack.history.csv_write import csv_chunks
from fittrack.history.curve_store import CurveStore, resolve_epoch
from fittrack.history.files import atomic_write
from fittrack.history.keys import best_position, check_direction, key_direction
from fittrack.history.meta import save_meta
from fittrack.history.run_files import read_run

if TYPE_CHECKING:
    import pandas

LEVELS = ("epoch", "batch")


class MetricHistory:
    """History-like store of a whole run: an epoch table and a batch table.

    Reading it works like ``keras.callbacks.History``: ``h["val_auc"]``,
    ``h.history``, ``h.epoch``; plus frames, CSV files and best epochs.
    ``epoch``, ``step`` and ``batch`` are refused as keys (they name the
    index columns of the files).
    """

    _guess = True  # False: recorded metadata was lost; guess no direction

    def __init__(self, buffer_rows: int = BUFFER_ROWS) -> None:  # rows buffered per compaction
        self._epochs = Table(EPOCH_INDEX, buffer_rows)
        self._batches = Table(BATCH_INDEX, buffer_rows)
        self._greater: dict[str, bool | None] = {}
        #: ROC/PR curves and confusion matrices (``MetricsCallback(curves=True)``)
        self.curves = CurveStore()

    # ----- recording -----
    def record_epoch(self, epoch: int, values: Mapping[str, float]) -> None:
        """Add one epoch row with the given ``{key: value}``."""
        self._epochs.append((epoch,), values)

    def record_batch(self, step: int, epoch: int, batch: int, values: Mapping[str, float]) -> None:
        """Add one batch row (``step`` counts training batches from 1)."""
        self._batches.append((step, epoch, batch), values)

    def set_greater_is_better(self, name: str, greater: bool | None) -> None:
        """Record the direction of metric ``name`` (``"auc"`` also covers ``"val_auc"``,
        ``"auc_keras"``, ``"auc_0"``); None records it as unknown, which no name rule
        overrides (a user function with no declared direction).
        """
        self._greater[name] = check_direction(name, greater)

    @property
    def directions(self) -> dict[str, bool | None]:
        """The recorded directions (a copy): what the ``.meta.json`` sidecar holds."""
        return dict(self._greater)

    def greater_is_better(self, key: str) -> bool | None:
        """True if greater is better for ``key``, False if lower, None if unknown.

        Recorded directions first, then the metric registry, then the name
        rules (see :mod:`fittrack.history.keys`).

        Example:
            >>> h = MetricHistory()
            >>> h.set_greater_is_better("median_ae", None)
            >>> h.greater_is_better("val_auc"), h.greater_is_better("val_median_ae")
            (True, None)
        """
        return key_direction(key, self._greater, guess=self._guess)

    def truncate(self, epoch: int) -> None:
        """Drop the epoch rows and batch rows of epochs ``>= epoch``.

        Example:
            >>> h = MetricHistory.from_dict({"loss": [3, 2, 1]})
            >>> h.truncate(1)
            >>> h.history, h.epoch
            ({'loss': [3.0]}, [0])
        """
        for table in (self._epochs, self._batches):
            late = table.index_column("epoch") >= epoch
            if late.any():
                table.keep_rows(~late)
        self.curves.truncate(epoch)

    def curve(self, kind: str, dataset: str = "val", epoch: int | str | None = None,
              output: str | None = None) -> dict[str, np.ndarray]:
        """One curve (``"roc"``, ``"pr"``, ``"confusion"``) of a ``MetricsCallback(curves=True)``
        run; ``epoch``: None or ``"last"``, an epoch, or ``"best:<key>"``."""
        return self.curves.get(kind, dataset, resolve_epoch(epoch, lambda k: self.best(k)[0]),
                               output)

    # ----- reading, epoch level -----
    def __getitem__(self, key: str) -> list[float]:
        if key not in self._epochs:
            raise KeyError(self._unknown(key))
        values, present = self._epochs.column(key)
        return values[present].tolist()

    def _unknown(self, key: object) -> str:
        hint = " It is a batch-level key: read it with batch_values()." \
            if key in self._batches else ""
        return (f"{key!r} is not an epoch-level key of this history.{hint} "
                f"Available keys: {self.keys()}.")

    def __contains__(self, key: object) -> bool:
        return key in self._epochs

    def __iter__(self) -> Iterator[str]:
        return iter(self.keys())

    def __len__(self) -> int:
        return self._epochs.n_rows

    def keys(self) -> list[str]:
        """Epoch-level keys, in order of first appearance."""
        return self._epochs.keys

    @property
    def history(self) -> dict[str, list[float]]:
        """What ``keras.callbacks.History.history`` would hold for this run."""
        return {key: self[key] for key in self.keys()}

    @property
    def epoch(self) -> list[int]:
        """The epoch index of every epoch row."""
        return self._epochs.index_column("epoch").tolist()

    def best(self, key: str, *, greater_is_better: bool | None = None) -> tuple[int, float]:
        """``(epoch, value)`` of the first best finite value of ``key``.

        The direction is ``greater_is_better`` if given, else
        :meth:`greater_is_better` ``(key)``; an unknown direction raises.
        """
        if key not in self._epochs:
            raise KeyError(self._unknown(key))
        greater = check_direction(key, greater_is_better)
        greater = self.greater_is_better(key) if greater is None else greater
        if greater is None:
            raise ValueError(
                f"The direction of {key!r} is unknown (a metric with no declared direction), "
                f"so it has no best epoch. Say which way is better: best({key!r}, "
                f"greater_is_better=True) or False; or declare it with make_metric(fn, "
                f"greater_is_better=...) or history.set_greater_is_better(name, ...).")
        values, present = self._epochs.column(key)
        epochs = self._epochs.index_column("epoch")[present]
        position = best_position(values[present], greater)
        if position is None:
            raise ValueError(f"{key!r} has no finite value (all {int(present.sum())} recorded "
                             f"values are NaN or infinite), so it has no best epoch.")
        return int(epochs[position]), float(values[present][position])

    # ----- reading, batch level -----
    @property
    def batch_keys(self) -> list[str]:
        """Batch-level keys, in order of first appearance."""
        return self._batches.keys

    @property
    def steps(self) -> list[int]:
        """The step of every batch row."""
        return self._batches.index_column("step").tolist()

    def batch_values(self, key: str) -> list[float]:
        """Batch-level values of ``key`` in the rows where it was recorded."""
        if key not in self._batches:
            raise KeyError(f"{key!r} is not a batch-level key of this history. "
                           f"Available batch keys: {self.batch_keys}.")
        values, present = self._batches.column(key)
        return values[present].tolist()

    @property
    def last_step(self) -> int | None:
        """The step of the last batch row, or None without batch rows."""
        n = self._batches.n_rows
        return int(self._batches.index_column("step", n - 1, n)[0]) if n else None

    # ----- frames and files -----
    def table(self, level: str) -> Table:
        """The columnar :class:`~fittrack.history.columns.Table` of one level (read it;
        record through :meth:`record_epoch`/:meth:`record_batch`)."""
        if level not in LEVELS:
            raise ValueError(f"level must be 'epoch' or 'batch'; received {level!r}.")
        return self._epochs if level == "epoch" else self._batches

    def to_frame(self, level: str = "epoch") -> pandas.DataFrame:
        """A DataFrame of one level; missing cells are NaN.

        ``"epoch"``: index named ``epoch``, one column per key. ``"batch"``:
        columns ``step, epoch, batch``, then the keys.

        Example:
            >>> h = MetricHistory.from_dict({"loss": [0.5, 0.25], "val_loss": [0.75]})
            >>> h.to_frame()  # doctest: +NORMALIZE_WHITESPACE
                   loss  val_loss
            epoch
            0      0.50       NaN
            1      0.25      0.75
        """
        import pandas as pd

        table = self.table(level)
        data = {name: table.index_column(name) for name in table.index_names}
        data.update((key, table.column(key)[0]) for key in table.keys)
        if level == "batch":
            return pd.DataFrame(data, columns=list(table.columns))
        index = pd.Index(data.pop("epoch"), name="epoch")
        return pd.DataFrame(data, index=index, columns=table.keys)

    def to_csv(self, path: str | os.PathLike, level: str = "epoch") -> Path:
        """Write one level to ``path`` atomically (a fittrack CSV); return the path.

        At the epoch level the directions go to the ``.meta.json`` sidecar
        (:mod:`~fittrack.history.meta`); a sidecar left there by another run is
        removed when this history records none.
        """
        table = self.table(level)
        if level == "epoch":
            save_meta(path, self._greater, self._guess)
        atomic_write(path, csv_chunks(table))
        return Path(path)

    @classmethod
    def from_csv(cls, path: str | os.PathLike, *, sep: str = ",") -> MetricHistory:
        """Load a fittrack CSV or a Keras ``CSVLogger`` file.

        An epoch file brings its batch file (:func:`batch_csv_path`) along when
        it exists, its directions from its ``.meta.json`` sidecar and its curves
        from ``.curves.npz``; a batch file (``step,epoch,batch,...``) loads batch
        rows only.
        """
        history = cls()
        files = read_run(path, sep)
        history._epochs = files.epochs if files.epochs is not None else history._epochs
        history._batches = files.batches if files.batches is not None else history._batches
        history.curves = files.curves
        if files.meta is not None:
            history._greater, history._guess = dict(files.meta.directions), files.meta.guess
        return history

    @classmethod
    def from_dict(cls, history: Mapping[str, Sequence[float]],
                  epochs: Sequence[int] | None = None) -> MetricHistory:
        """A store from a Keras ``History.history`` dict (see :mod:`.convert`).

        Example:
            >>> h = MetricHistory.from_dict({"loss": [4, 3, 2, 1], "val_loss": [2, 1]})
            >>> h.to_frame()["val_loss"].tolist()
            [nan, 2.0, nan, 1.0]
        """
        store = cls()
        store._epochs = epoch_table(history, epochs)
        return store

    def plot(self, *args: Any, **kwargs: Any) -> Any:
        """Draw the history; see :func:`fittrack.plots.plot_history`."""
        from fittrack.plots import plot_history

        return plot_history(self, *args, **kwargs)

    def __repr__(self) -> str:
        keys = self.keys()
        shown = repr(keys) if len(keys) <= 8 else repr(keys[:8])[:-1] + ", ...]"
        text = f"MetricHistory({len(self)} epochs, keys={shown}"
        n_batches = self._batches.n_rows
        return text + (f", {n_batches} batch rows)" if n_batches else ")")


def load_history(path: str | os.PathLike, *, sep: str = ",") -> MetricHistory:
    """Load a fittrack CSV or a Keras ``CSVLogger`` file (see :meth:`MetricHistory.from_csv`)."""
    return MetricHistory.from_csv(path, sep=sep)
