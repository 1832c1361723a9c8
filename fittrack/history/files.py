"""File operations that never leave a torn row or a half-written file.

- :func:`atomic_write` writes a temporary file in the same folder, fsyncs it
  and renames it over the target (``os.replace``), so readers see either the
  old file or the new one.
- :func:`append_once` appends with a single ``os.write`` on an ``O_APPEND``
  descriptor, then fsyncs.

Example:
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> path = atomic_write(folder / "run.csv", ["epoch,loss\\n", "0,0.5\\n"])
    >>> append_once(path, b"1,0.25\\n")
    >>> path.read_text()
    'epoch,loss\\n0,0.5\\n1,0.25\\n'
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from collections.abc import Iterable
from pathlib import Path

from fittrack.history.header import parse_header
from fittrack.history.paths import (PathLike, batch_csv_path,  # noqa: F401 (re-exported)
                                    check_folder_writable)


def atomic_write(path: PathLike, chunks: Iterable[str | bytes]) -> Path:
    """Write ``chunks`` (UTF-8 for str) to ``path`` atomically; return the path."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "wb") as handle:
            for chunk in chunks:
                handle.write(chunk.encode("utf-8") if isinstance(chunk, str) else chunk)
            handle.flush()
            os.fsync(handle.fileno())
        with contextlib.suppress(OSError):
            os.chmod(tmp, stat.S_IMODE(os.stat(path).st_mode))  # keep an existing file's mode
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_folder(path.parent)
    return path


def _fsync_folder(folder: Path) -> None:
    """Make a rename durable (best effort: not every platform allows it)."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def append_once(path: PathLike, data: bytes) -> None:
    """Append ``data`` to the existing file ``path`` with one write, then fsync.

    Raises ``FileNotFoundError`` if the file does not exist (it is not created).
    """
    fd = os.open(path, os.O_WRONLY | os.O_APPEND)
    try:
        view = memoryview(data)
        while view:  # a regular file takes everything at once; loop only on short writes
            view = view[os.write(fd, view):]
        os.fsync(fd)
    finally:
        os.close(fd)


def read_layout(path: PathLike) -> tuple[tuple[str, ...], int] | None:
    """``(header columns, number of data rows)`` of a CSV file, or None if the
    file is missing, empty, or does not end with a complete line.
    """
    try:
        with open(path, "rb") as handle:
            first = handle.readline()
            if not first.endswith(b"\n"):
                return None
            rows, last = 0, b"\n"
            for block in iter(lambda: handle.read(1 << 20), b""):
                rows += block.count(b"\n")
                last = block[-1:]
    except OSError:
        return None
    if last != b"\n":
        return None
    try:
        header = parse_header(first, ",")
    except ValueError:
        return None
    return tuple(header), rows
