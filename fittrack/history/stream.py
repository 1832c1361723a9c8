"""CsvStream: keep a run's files equal to its MetricHistory as it grows.

Epoch rows go to ``path``, batch rows to :func:`batch_csv_path` ``(path)``,
the metrics' directions to :func:`~fittrack.history.meta.meta_path` ``(path)``.
Each :meth:`~CsvStream.flush` writes the directions if they changed, then the
batch rows, then the epoch rows (:class:`~fittrack.history.mirror.FileMirror`:
one write per file, fsynced, undone if it fails). The epoch file is written
last: it is the commit marker. Batch rows of an epoch that has no epoch row
were not committed; :meth:`~CsvStream.start` with ``append=True`` drops them,
from the file and from the history, with a warning. A run killed at any
moment thus leaves every finished epoch with all its batch rows, never a torn
row and never a second header.

Safety (all before training, in :meth:`~CsvStream.start`): a path that is not
a regular file is refused (a symlink to one is written through); a second
writer (another process, or another stream of the same ``fit``) is refused by
the run's lock (:mod:`~fittrack.history.lock`), given back by
:meth:`~CsvStream.close`.

During training :meth:`~CsvStream.flush` never raises ``OSError`` (disk full,
folder deleted, file made read-only): it warns once, naming the file and the
error, keeps every value in the history, retries at the next flush, and says
when writing works again.

Example:
    >>> import pathlib, tempfile
    >>> from fittrack.history.store import MetricHistory
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "run.csv"
    >>> history = MetricHistory()
    >>> stream = CsvStream(path, history)
    >>> stream.check_writable()
    >>> stream.start(append=False, owner="fit-1")
    >>> history.record_epoch(0, {"loss": 0.5})
    >>> stream.flush()
    >>> history.set_greater_is_better("auc", True)
    >>> history.record_epoch(1, {"loss": 0.25, "auc": 0.75})
    >>> stream.close()
    >>> print(path.read_text(), end="")
    epoch,loss,auc
    0,0.5,
    1,0.25,0.75
    >>> sorted(p.name for p in path.parent.iterdir())
    ['run.csv', 'run.meta.json']
"""

from __future__ import annotations

import os
import warnings
import weakref
from collections.abc import Callable
from pathlib import Path

import numpy as np

from fittrack.history.curve_store import curves_path
from fittrack.history.lock import RunLock
from fittrack.history.meta import meta_path, save_meta
from fittrack.history.mirror import FileMirror
from fittrack.history.paths import (
    batch_csv_path,
    check_folder_writable,
    check_regular,
    target,
)
from fittrack.history.store import MetricHistory
from fittrack.notices import FittrackWarning

LEVELS = ("batch", "epoch")  # the order of the writes: the epoch file commits


class CsvStream:
    """Streams a MetricHistory to ``path`` (epoch rows), its batch file and its sidecar.

    Args:
        path: the epoch-rows CSV file; batch rows go to ``batch_csv_path(path)``.
        history: the store to mirror. It is the source of truth: a file that
            does not match it is rewritten from it.
    """

    def __init__(self, path: str | os.PathLike, history: MetricHistory) -> None:
        self.path = Path(path)
        self.batch_path = batch_csv_path(self.path)
        self.meta_path = meta_path(self.path)
        self.history = history
        self._mirrors: dict[str, FileMirror] | None = None
        self._lock: RunLock | None = None
        self._finalizer: weakref.finalize | None = None
        self._meta: tuple[dict, bool] | None = None  # what the sidecar holds; None: unknown
        self._curves: tuple | None = None  # (store id, revision) the curves file holds
        self._closed = self._lost = self._failing = False

    def check_writable(self) -> None:
        """Raise a clear error if the files cannot be written (before training)."""
        check_folder_writable(self.path)
        check_folder_writable(self.batch_path, what="batch CSV path")
        check_regular(self.meta_path, what="metadata path")

    # ----- the run -----
    def start(self, append: bool, owner: object = None) -> None:
        """Take the run's lock and begin streaming.

        ``append=False`` removes existing files (a fresh run, like Keras'
        ``CSVLogger``; through a symlink, its target). ``append=True`` keeps
        them: the caller has loaded them into the history
        (:meth:`MetricHistory.from_csv`); batch rows after the last epoch row
        are dropped (uncommitted), and a file that matches the history is
        continued, one that does not is rewritten from it.

        Args:
            append: continue the files instead of starting them again.
            owner: the object naming the ``fit`` that writes (strings, numbers
                and tuples compare by value, other objects by identity; Keras
                shares the ``callback.params`` dict between the callbacks of one
                fit). Another stream holding this path with the same owner is
                refused; one with another owner (an earlier fit) is taken over.
                None: a new owner.

        Raises:
            CsvPathInUseError: another process, or another stream of this fit, writes ``path``.
            NotRegularFileError, IsADirectoryError: a path is not a regular file.
            OSError: the files cannot be written.
        """
        self._release()
        self._mirrors = None
        self._closed = self._lost = self._failing = False
        for path, what in ((self.path, "csv_path"), (self.batch_path, "batch CSV path"),
                           (self.meta_path, "metadata path"),
                           (curves_path(self.path), "curves path")):
            check_regular(path, what)
        lock = RunLock(self.path, owner, on_lost=_mark_lost(weakref.ref(self)))
        stale = lock.acquire()
        self._lock, self._finalizer = lock, weakref.finalize(self, lock.release)
        if stale:
            _warn(f"The lock file {str(lock.path)!r} was left by process {stale.get('pid')} on "
                  f"host {stale.get('host')!r} (since {stale.get('since')}), which no longer "
                  f"runs (it was killed). The lock is taken over.")
        try:
            self._mirrors = {level: FileMirror(p) for level, p in
                             (("batch", self.batch_path), ("epoch", self.path))}
            self._curves = None
            if append:
                self._meta = None
                self._drop_unfinished_batches()
                for level, mirror in self._mirrors.items():
                    mirror.adopt(self.history.table(level))
            else:
                self._meta = ({}, True)
                for path in (self.path, self.batch_path, self.meta_path, curves_path(self.path)):
                    _remove(path)
            self._write()
        except BaseException:
            self._release()
            self._mirrors = None
            raise

    def flush(self) -> None:
        """Write every row recorded since the last flush (a no-op if there is none).

        Never raises ``OSError``: a failed write warns once (naming the file and
        the error), the rows stay in the history and are written at the next
        flush that succeeds, which says so.
        """
        if self._mirrors is None or self._closed:
            state = "closed" if self._closed else "not started"
            raise RuntimeError(f"CsvStream.flush(): the stream is {state}; call "
                               f"start(append=False) for a new run or start(append=True) to "
                               f"continue the files.")
        if self._lost:
            if not self._failing:  # said once
                self._failing = True
                _warn(f"This CsvStream no longer writes {str(self.path)!r}: a stream started "
                      f"later in this process (another fit) took the file over. Its rows stay "
                      f"in its MetricHistory.")
            return
        try:
            self._write()
        except OSError as error:
            if not self._failing:
                self._failing = True
                _warn(f"fittrack could not write csv_path={str(self.path)!r}: {error}. "
                      f"Training goes on: every value stays in the MetricHistory "
                      f"(callback.history) and the files are written again at the next flush; "
                      f"you will be told when that works.")
        else:
            if self._failing:
                self._failing = False
                _warn(f"csv_path={str(self.path)!r} is written again: the rows recorded "
                      f"while writing failed are on disk now.")

    def close(self) -> None:
        """Flush, then give the run's lock back (idempotent)."""
        if self._mirrors is not None and not (self._closed or self._lost):
            self.flush()
        self._closed = True
        self._release()

    @property
    def writing(self) -> bool:
        """True while the last flush succeeded and the stream holds the files."""
        return self._lock is not None and not (self._lost or self._failing or self._closed)

    # ----- internals -----
    def _write(self) -> None:
        assert self._mirrors is not None  # started
        self._write_meta()
        self._write_curves()
        for level in LEVELS:
            note = self._mirrors[level].sync(self.history.table(level))
            if note:
                _warn(f"{note}; it was written again in full from the history.")

    def _write_meta(self) -> None:
        wanted = (self.history.directions, self.history._guess)
        if wanted != self._meta:
            save_meta(self.path, *wanted)
            self._meta = wanted

    def _write_curves(self) -> None:
        """The curves file, rewritten atomically when the curves changed (before the
        epoch file, the commit marker)."""
        curves = self.history.curves
        wanted = (id(curves), curves.revision)
        if len(curves) and wanted != self._curves:
            curves.save(curves_path(self.path))
            self._curves = wanted

    def _drop_unfinished_batches(self) -> None:
        """Drop batch rows and curves of epochs after the last epoch row (not committed)."""
        epochs = self.history.table("epoch").index_column("epoch")
        self.history.curves.truncate(int(epochs.max()) + 1 if len(epochs) else 0)
        batches = self.history.table("batch")
        batch_epochs = batches.index_column("epoch")
        late = batch_epochs > epochs.max() if len(epochs) else np.ones(len(batch_epochs), bool)
        if not late.any():
            return
        dropped = sorted(set(batch_epochs[late].tolist()))
        batches.keep_rows(~late)
        last = int(epochs.max()) if len(epochs) else None
        _warn(f"{str(self.batch_path)!r} holds {int(late.sum())} batch rows of epoch "
              f"{', '.join(map(str, dropped))}, after the last finished epoch in "
              f"{str(self.path)!r} ({'none' if last is None else last}): the run stopped "
              f"before that epoch ended. These rows are dropped from the file and the "
              f"history; the epoch is evaluated again when training resumes "
              f"(initial_epoch={0 if last is None else last + 1}).")

    def _release(self) -> None:
        if self._finalizer is not None:
            self._finalizer.detach()
            self._finalizer = None
        if self._lock is not None:
            self._lock.release()
            self._lock = None


def _mark_lost(ref: weakref.ref) -> Callable[[], None]:
    def lost() -> None:
        stream = ref()
        if stream is not None:
            stream._lost = True
    return lost


def _remove(path: Path) -> None:
    """Remove a file; through a symbolic link, remove its target (the link stays)."""
    real = target(path)
    if real.is_file():
        real.unlink(missing_ok=True)


def _warn(message: str) -> None:
    warnings.warn(message, FittrackWarning, stacklevel=3)
