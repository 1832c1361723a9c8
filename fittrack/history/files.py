"""File operations that never leave a torn row or a half-written file.

- :func:`atomic_write` writes a temporary file next to the target, fsyncs it
  and renames it over the target (``os.replace``), so readers see either the
  old file or the new one. Through a symbolic link it replaces the link's
  target; the link stays.
- :func:`append_once` appends with one ``os.write`` on an ``O_APPEND``
  descriptor, then fsyncs. A failed or short write (disk full, ``EFBIG`` from
  a file-size limit, an interrupt) is undone: the file is cut back to its old
  size, so no partial row is ever left. If even that fails,
  :class:`FileStateUnknown` is raised and the caller rewrites the file.
- Before appending, the file must still be the one the caller wrote (same
  inode, same size): otherwise :class:`FileChanged` (removed, truncated by
  ``logrotate copytruncate``, replaced, grown by another writer).

Example:
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> written = atomic_write(folder / "run.csv", ["epoch,loss\\n", "0,0.5\\n"])
    >>> written.size
    17
    >>> append_once(folder / "run.csv", b"1,0.25\\n", expect=written).size
    24
    >>> (folder / "run.csv").read_text()
    'epoch,loss\\n0,0.5\\n1,0.25\\n'
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import stat
from collections.abc import Iterable
from typing import NamedTuple

from fittrack.history.header import parse_header
from fittrack.history.paths import NO_WAIT, PathLike, file_kind, target


class Written(NamedTuple):
    """What a write left on disk: the file's identity and size."""

    device: int
    inode: int
    size: int


class FileChanged(Exception):
    """The file is not the one last written (removed, truncated, replaced, grown)."""


class FileStateUnknown(OSError):
    """An append failed and the file could not be cut back: rewrite it in full."""


def _written(st: os.stat_result) -> Written:
    return Written(st.st_dev, st.st_ino, st.st_size)


def atomic_write(path: PathLike, chunks: Iterable[str | bytes]) -> Written:
    """Write ``chunks`` (UTF-8 for str) to ``path`` atomically (through a symlink)."""
    real = target(path)
    tmp = real.with_name(f".{real.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "wb") as handle:
            for chunk in chunks:
                handle.write(chunk.encode("utf-8") if isinstance(chunk, str) else chunk)
            handle.flush()
            os.fsync(handle.fileno())
            done = _written(os.fstat(handle.fileno()))
        with contextlib.suppress(OSError):
            os.chmod(tmp, stat.S_IMODE(os.stat(real).st_mode))  # keep an existing file's mode
        os.replace(tmp, real)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_folder(real.parent)
    return done


def _fsync_folder(folder: PathLike) -> None:
    """Make a rename durable (best effort: not every platform allows it)."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def append_once(path: PathLike, data: bytes, expect: Written | None = None) -> Written:
    """Append ``data`` to the existing file ``path`` with one write, then fsync.

    Raises:
        FileChanged: the file is missing, not a regular file, or differs from
            ``expect`` (nothing is written).
        FileStateUnknown: the write failed and the file could not be cut back.
        OSError: the write failed; the file was cut back to its old size.
    """
    try:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | NO_WAIT)
    except FileNotFoundError:
        raise FileChanged(f"{str(path)!r} was removed") from None
    try:
        before = _written(os.fstat(fd))
        _check_same(path, os.fstat(fd).st_mode, before, expect)
        try:
            view = memoryview(data)
            while view:  # a regular file takes everything at once; loop only on short writes
                n = os.write(fd, view)
                if n <= 0:
                    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
                view = view[n:]
            os.fsync(fd)
        except BaseException as error:
            _cut_back(fd, before.size, error)
            raise
        return _written(os.fstat(fd))
    finally:
        os.close(fd)


def _check_same(path: PathLike, mode: int, now: Written, expect: Written | None) -> None:
    if not stat.S_ISREG(mode):
        raise FileChanged(f"{str(path)!r} is now a {file_kind(mode)}")
    if expect is None:
        return
    if (now.device, now.inode) != (expect.device, expect.inode):
        raise FileChanged(f"{str(path)!r} was replaced by another file")
    if now.size != expect.size:
        how = "truncated (by logrotate's copytruncate?)" if now.size < expect.size else \
            "written to by another program"
        raise FileChanged(f"{str(path)!r} was {how}: {now.size} bytes where {expect.size} "
                          f"were written")


def _cut_back(fd: int, size: int, error: BaseException) -> None:
    """Undo a failed append; raise FileStateUnknown if that fails too.

    After an interrupt (KeyboardInterrupt) the interrupt goes on; a file left
    longer is found by the size check of the next append.
    """
    try:
        os.ftruncate(fd, size)
        os.fsync(fd)
        if os.fstat(fd).st_size == size:
            return
    except OSError:
        pass
    if not isinstance(error, Exception):
        return
    raise FileStateUnknown(getattr(error, "errno", None) or errno.EIO,
                           f"a failed append could not be undone ({error})") from error


def read_layout(path: PathLike, sep: str = ",") -> tuple[tuple[str, ...], int, Written] | None:
    """``(header names, number of data rows, identity)`` of a CSV file, or None if
    the file is missing, not regular, empty, unreadable, or does not end with a line end.
    """
    try:
        fd = os.open(path, os.O_RDONLY | NO_WAIT)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as handle:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            return None
        first = handle.readline()
        if not first.endswith(b"\n"):
            return None
        rows, last = 0, b"\n"
        for block in iter(lambda: handle.read(1 << 20), b""):
            rows += block.count(b"\n")
            last = block[-1:]
    if last != b"\n":
        return None
    try:
        header = parse_header(first, sep)
    except ValueError:
        return None
    return tuple(header), rows, _written(st)
