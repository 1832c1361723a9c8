"""The files of one run, read back together.

A run's epoch CSV (``run.csv``) has siblings: its batch rows
(``run.batches.csv``), its metrics' directions (``run.meta.json``) and its
curves (``run.curves.npz``). :func:`read_run` reads whichever exist; a batch
file given alone loads batch rows only. Curves of an epoch the epoch file does not
hold (a run killed between the two writes) are left out: the epoch row commits them.

Example:
    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "run.csv"
    >>> _ = path.write_text("epoch,loss\\n0,0.5\\n")
    >>> files = read_run(path)
    >>> files.epochs.n_rows, files.batches, files.meta, len(files.curves)
    (1, None, None, 0)
"""

from __future__ import annotations

import os
from typing import Any, NamedTuple

from fittrack.history.columns import Table
from fittrack.history.csv_read import read_csv_table
from fittrack.history.curve_store import CurveStore, curves_path
from fittrack.history.meta import read_meta
from fittrack.history.paths import batch_csv_path


class RunFiles(NamedTuple):
    """What a run's files hold (None for a file that is not there)."""

    epochs: Table | None
    batches: Table | None
    meta: Any
    curves: CurveStore


def read_run(path: str | os.PathLike, sep: str = ",") -> RunFiles:
    """Read ``path`` (an epoch or a batch CSV) and the files that go with it."""
    kind, table = read_csv_table(path, sep)
    epochs, batches = (None, table) if kind == "batch" else (table, None)
    if kind != "batch":
        sibling = batch_csv_path(path)
        if sibling.is_file():
            kind, batches = read_csv_table(sibling, sep)
            if kind != "batch":
                raise ValueError(f"{str(sibling)!r} should hold the batch rows of "
                                 f"{str(path)!r} (first columns step,epoch,batch) but "
                                 f"starts with 'epoch'. Rename or remove it.")
    curves_file = curves_path(path)
    curves = CurveStore.load(curves_file) if curves_file.is_file() else CurveStore()
    if epochs is not None:   # the epoch file commits an epoch's curves (written before it)
        finished = epochs.index_column("epoch")
        curves.truncate(int(finished.max()) + 1 if len(finished) else 0)
    return RunFiles(epochs, batches, read_meta(path), curves)
