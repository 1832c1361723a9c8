"""FileMirror: keep one CSV file equal to one :class:`Table` as rows are added.

New rows are appended (:func:`append_once`: one write, undone on failure).
The file is rewritten in full, atomically, when its columns changed (a key
appeared late), when rows were removed (a resume), and whenever the file is
not known to hold exactly what was last written: it was removed, truncated
(``logrotate`` with ``copytruncate``), replaced or grown by someone else, or
a failed append could not be undone. A read-only file is not replaced: the
write fails until it can be appended to again.

Example:
    >>> import pathlib, tempfile
    >>> from fittrack.history.columns import Table
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "run.csv"
    >>> table, mirror = Table(("epoch",)), FileMirror(path)
    >>> table.append((0,), {"loss": 0.5})
    >>> mirror.sync(table)
    >>> _ = path.write_text("")  # logrotate copytruncate
    >>> table.append((1,), {"loss": 0.25})
    >>> mirror.sync(table)
    "'...run.csv' was truncated (by logrotate's copytruncate?): 0 bytes where 17 were written"
    >>> path.read_text()
    'epoch,loss\\n0,0.5\\n1,0.25\\n'
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

from fittrack.history.columns import Table
from fittrack.history.csv_write import csv_chunks, format_rows
from fittrack.history.files import (
    FileChanged,
    FileStateUnknown,
    Written,
    append_once,
    atomic_write,
    read_layout,
)
from fittrack.history.paths import target


class FileMirror:
    """The on-disk copy of one table (see the module docstring)."""

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        self.header: tuple[str, ...] | None = None
        self.rows = 0
        self.revision = -1
        self.table: Table | None = None
        self.written: Written | None = None  # None: not known to match; rewrite in full

    def adopt(self, table: Table) -> bool:
        """Continue the existing file if it holds ``table``'s header and row count."""
        layout = read_layout(self.path)
        if layout is None or layout[:2] != (table.columns, table.n_rows):
            return False
        self.header, self.rows, self.written = layout
        self.revision, self.table = table.revision, table
        return True

    def sync(self, table: Table) -> str | None:
        """Write what ``table`` holds beyond the file; return a note if the file had changed.

        Raises:
            OSError: the write failed. After a failed append the file is as
                before (or, if it could not be cut back, marked for a rewrite).
        """
        n = table.n_rows
        same = (self.table is table and self.revision == table.revision
                and self.header == table.columns)
        if same and n == self.rows:
            return None
        note = None
        if same and n > self.rows and self.written is not None:
            data = format_rows(table, self.rows, n).encode("utf-8")
            try:
                self.written = append_once(self.path, data, expect=self.written)
            except FileChanged as change:
                note = str(change)
            except FileStateUnknown:
                self.written = None
                raise
            else:
                self.rows = n
                return None
        if n == 0 and self.header is None and not os.path.exists(self.path):
            return note  # nothing recorded at this level: no file
        self.rewrite(table)
        return note

    def rewrite(self, table: Table) -> None:
        """Replace the file with the whole table (atomically, through a symlink)."""
        real = target(self.path)
        if real.exists() and not os.access(real, os.W_OK):
            raise PermissionError(errno.EACCES, "the file is read-only", str(self.path))
        self.written = None
        self.written = atomic_write(self.path, csv_chunks(table))
        self.header, self.rows = table.columns, table.n_rows
        self.revision, self.table = table.revision, table
