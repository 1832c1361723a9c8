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
    >>> batch_csv_path(path).name
    'run.batches.csv'
"""

from __future__ import annotations

import contextlib
import csv
import os
import secrets
import stat
from collections.abc import Iterable
from pathlib import Path

PathLike = str | os.PathLike


def batch_csv_path(path: PathLike) -> Path:
    """The batch-rows file that goes with the epoch-rows file ``path``.

    Example:
        >>> batch_csv_path("run.csv").as_posix(), batch_csv_path("logs/run").as_posix()
        ('run.batches.csv', 'logs/run.batches.csv')
    """
    path = Path(path)
    stem = path.name[:-4] if path.suffix.lower() == ".csv" else path.name
    return path.with_name(stem + ".batches.csv")


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
    header = next(csv.reader([first.decode("utf-8").rstrip("\r\n")]), [])
    return tuple(header), rows


def check_folder_writable(path: PathLike, what: str = "csv_path") -> None:
    """Raise a clear error unless a file can be written (and replaced) at ``path``."""
    path = Path(path)
    folder = path.parent
    fix = f"create the folder first (os.makedirs({str(folder)!r}, exist_ok=True)) or pass another {what}"
    if not folder.exists():
        raise FileNotFoundError(f"{what}={str(path)!r}: the folder {str(folder)!r} does not exist. "
                                f"Expected an existing, writable folder; {fix}.")
    if not folder.is_dir():
        raise NotADirectoryError(f"{what}={str(path)!r}: {str(folder)!r} is not a folder. "
                                 f"Expected an existing, writable folder; pass another {what}.")
    if path.is_dir():
        raise IsADirectoryError(f"{what}={str(path)!r} is a folder; expected a file path such "
                                f"as {str(path / 'run.csv')!r}.")
    probe = folder / f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.probe"
    try:
        os.close(os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
        os.unlink(probe)
        if path.exists():
            os.close(os.open(path, os.O_WRONLY | os.O_APPEND))
    except OSError as error:
        raise PermissionError(f"{what}={str(path)!r} cannot be written ({error.strerror}). "
                              f"Expected a writable folder and file; change their permissions "
                              f"or pass another {what}.") from error
