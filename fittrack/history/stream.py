"""CsvStream: keep a run's CSV files equal to its MetricHistory as it grows.

Epoch rows go to ``path``, batch rows to :func:`batch_csv_path` ``(path)``.
:meth:`CsvStream.flush` appends the rows recorded since the last flush with a
single ``os.write`` per file, then fsyncs. When the columns changed (a key
appeared late) or rows were removed (:meth:`MetricHistory.truncate` on
resume), the whole file is rewritten atomically instead. A run killed at any
moment leaves complete files: never a torn row, never a second header.

Example:
    >>> import pathlib, tempfile
    >>> from fittrack.history.store import MetricHistory
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "run.csv"
    >>> history = MetricHistory()
    >>> stream = CsvStream(path, history)
    >>> stream.check_writable()
    >>> stream.start(append=False)
    >>> history.record_epoch(0, {"loss": 0.5})
    >>> stream.flush()
    >>> history.record_epoch(1, {"loss": 0.25, "auc": 0.75})
    >>> stream.flush()
    >>> print(path.read_text(), end="")
    epoch,loss,auc
    0,0.5,
    1,0.25,0.75
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from fittrack.history.columns import Table
from fittrack.history.csv_write import csv_chunks, format_rows
from fittrack.history.files import (append_once, atomic_write, batch_csv_path,
                                    check_folder_writable, read_layout)
from fittrack.history.store import MetricHistory


@dataclass
class _FileState:
    """What one file on disk holds: its header, its rows, the table revision."""

    path: Path
    header: tuple[str, ...] | None = None  # None: the file must be (re)written in full
    rows: int = 0
    revision: int = -1
    table: Table | None = None  # the table the file was written from


class CsvStream:
    """Streams a MetricHistory to ``path`` (epoch rows) and its batch file.

    Args:
        path: the epoch-rows CSV file; batch rows go to ``batch_csv_path(path)``.
        history: the store to mirror. It is the source of truth: a file that
            does not match it is rewritten from it.
    """

    def __init__(self, path: str | os.PathLike, history: MetricHistory) -> None:
        self.path = Path(path)
        self.batch_path = batch_csv_path(self.path)
        self.history = history
        self._files: dict[str, _FileState] | None = None

    def check_writable(self) -> None:
        """Raise a clear error if the files cannot be written (before training)."""
        check_folder_writable(self.path)
        if self.batch_path.exists():
            check_folder_writable(self.batch_path, what="batch CSV path")

    def start(self, append: bool) -> None:
        """Begin streaming.

        ``append=False`` removes existing files (a fresh run, like Keras'
        ``CSVLogger``). ``append=True`` keeps them: the caller has loaded them
        into the history (:meth:`MetricHistory.from_csv`); a file that matches
        the history is continued, one that does not is rewritten from it.
        """
        self._files = {"epoch": _FileState(self.path), "batch": _FileState(self.batch_path)}
        for level, state in self._files.items():
            table = self._table(level)
            if not append:
                state.path.unlink(missing_ok=True)
                continue
            layout = read_layout(state.path)
            if layout == (table.columns, table.n_rows):
                state.header, state.rows = layout
                state.revision, state.table = table.revision, table
        self.flush()

    def flush(self) -> None:
        """Write every row recorded since the last flush (a no-op if there is none)."""
        if self._files is None:
            raise RuntimeError("CsvStream.flush() was called before start(); call "
                               "start(append=False) for a new run or start(append=True) "
                               "to continue the files.")
        for level, state in self._files.items():
            self._flush_file(self._table(level), state)

    def _table(self, level: str) -> Table:
        return self.history._table(level)

    @staticmethod
    def _flush_file(table: Table, state: _FileState) -> None:
        n = table.n_rows
        same = (state.table is table and state.revision == table.revision
                and state.header == table.columns)
        if same and n == state.rows:
            return
        if same and n > state.rows:
            data = format_rows(table, state.rows, n).encode("utf-8")
            try:
                append_once(state.path, data)
            except FileNotFoundError:  # removed behind our back: write it again in full
                pass
            else:
                state.rows = n
                return
        if n == 0 and state.header is None:
            return  # nothing recorded at this level: no file
        atomic_write(state.path, csv_chunks(table))
        state.header, state.rows = table.columns, n
        state.revision, state.table = table.revision, table
