"""One writer per run: the lock file ``run.csv.lock``, held while a run writes.

Two writers on one ``csv_path`` would interleave their rows, so
:meth:`CsvStream.start` takes a lock and :meth:`CsvStream.close` gives it back
(as do garbage collection and interpreter exit). The lock is an exclusive
``flock`` on ``<stem>.csv.lock`` (next to the file, after symbolic links), which
the system drops when the holding process dies; the file also holds a JSON
record naming the holder (pid, host, start time) for the error messages.

- Another process holds it: :class:`CsvPathInUseError`, naming the holder.
- A lock file left by a process that died (killed, power cut) is stale: it is
  taken over, and :meth:`RunLock.acquire` returns its record so the caller can
  say so.
- In this process, a lock held by a stream of the same ``owner`` (the same
  object: one ``fit``) is a second writer of that fit: :class:`CsvPathInUseError`.
  A lock held by a stream of another owner (an earlier ``fit`` that raised, so
  Keras never called ``on_train_end``) is taken over; that stream is told so.
- Where ``flock`` is not available, a holder is alive if its pid runs.

Example:
    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "run.csv"
    >>> first = RunLock(path, owner="fit-1")
    >>> first.acquire()
    >>> try:
    ...     RunLock(path, owner="fit-1").acquire()
    ... except CsvPathInUseError as error:
    ...     print(str(error).split(". ")[-1])
    Two writers would mix their rows: give each callback its own csv_path.
    >>> first.release(); first.release()  # idempotent
    >>> sorted(p.name for p in path.parent.iterdir())
    []
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import stat
import time
from collections.abc import Callable
from pathlib import Path

from fittrack.history.paths import NO_WAIT, NotRegularFileError, file_kind, lock_path

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX
    fcntl = None  # type: ignore[assignment]

_HELD: dict[str, RunLock] = {}  # lock file -> the RunLock of this process holding it


class CsvPathInUseError(RuntimeError):
    """Another writer holds the run's files."""


class RunLock:
    """The lock of the run writing ``path`` (see the module docstring).

    Args:
        path: the epoch CSV file.
        owner: the object naming the fit that writes: strings, numbers and
            tuples compare by value, other objects by identity (``is``);
            None: a new owner, never the same fit as another stream.
        on_lost: called when a stream of another fit in this process takes the lock over.
    """

    def __init__(self, path: str | os.PathLike, owner: object = None,
                 on_lost: Callable[[], None] | None = None) -> None:
        self.csv_path = Path(path)
        self.path = lock_path(path)
        self.owner = owner
        self.on_lost = on_lost
        self._fd: int | None = None
        self._pid = os.getpid()

    @property
    def held(self) -> bool:
        """Whether this object holds the lock."""
        return self._fd is not None

    def acquire(self) -> dict | None:
        """Take the lock; return the record of a stale holder taken over, if any."""
        for _ in range(20):  # retried only when the lock file changed in between
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | NO_WAIT, 0o644)
            try:
                stale, done = self._try(fd)
            except BaseException:
                os.close(fd)
                raise
            if done:
                self._fd, self._pid = fd, os.getpid()
                _HELD[str(self.path)] = self
                return stale
            os.close(fd)
        raise CsvPathInUseError(f"csv_path={str(self.csv_path)!r}: the lock file "
                                f"{str(self.path)!r} keeps changing; another program is "
                                f"taking it. Pass another csv_path.")

    def _try(self, fd: int) -> tuple[dict | None, bool]:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise NotRegularFileError(f"the lock file {str(self.path)!r} of csv_path="
                                      f"{str(self.csv_path)!r} is a {file_kind(mode)}; remove it.")
        got = _flock(fd)
        holder = _read(fd)
        mine = holder.get("pid") == os.getpid() and holder.get("host") == _HOST
        if got is False or (got is None and holder and (mine or _alive(holder))):
            other = _HELD.get(str(self.path))
            if not mine or other is None or other is self:
                raise CsvPathInUseError(self._busy(holder))
            if _same_owner(self.owner, other.owner):
                raise CsvPathInUseError(
                    f"csv_path={str(self.csv_path)!r} is already written by another CsvStream "
                    f"of this fit (two MetricsCallback with the same csv_path?). Two writers "
                    f"would mix their rows: give each callback its own csv_path.")
            other._lose()
            return None, False
        if got and not _same_file(fd, self.path):
            return None, False
        _write(fd, {"format": "fittrack-lock", "pid": os.getpid(), "host": _HOST,
                    "path": str(self.csv_path), "since": time.strftime("%Y-%m-%d %H:%M:%S")})
        return (holder if holder and not mine else None), True

    def _busy(self, holder: dict) -> str:
        who = (f"process {holder.get('pid')} on host {holder.get('host')!r} (since "
               f"{holder.get('since')})") if holder else "another process"
        return (f"csv_path={str(self.csv_path)!r} is being written by {who}; its lock file is "
                f"{str(self.path)!r}. Two runs writing one file would mix their rows. Wait for "
                f"that run to end or stop it, or pass another csv_path.")

    def _lose(self) -> None:
        self.release()
        if self.on_lost is not None:
            self.on_lost()

    def release(self) -> None:
        """Give the lock back and remove the lock file (idempotent).

        In a child process made by ``fork`` (which shares the lock with its
        parent) only the child's descriptor is closed: the parent keeps the lock.
        """
        fd, self._fd = self._fd, None
        if fd is None:
            return
        if _HELD.get(str(self.path)) is self:
            del _HELD[str(self.path)]
        with contextlib.suppress(OSError):
            if self._pid == os.getpid() and _same_file(fd, self.path):
                os.unlink(self.path)
        with contextlib.suppress(OSError):
            os.close(fd)


_HOST = socket.gethostname()


def _same_owner(a: object, b: object) -> bool:
    """Whether two owners name the same fit (None never does)."""
    if a is None or b is None:
        return False
    if type(a) is type(b) and isinstance(a, (str, bytes, int, tuple)):
        return a == b
    return a is b


def _flock(fd: int) -> bool | None:
    """True: locked; False: held by another open file; None: no flock here."""
    if fcntl is None:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    except OSError:  # a file system without flock
        return None
    return True


def _same_file(fd: int, path: Path) -> bool:
    try:
        st, now = os.fstat(fd), os.stat(path)
    except OSError:
        return False
    return (st.st_dev, st.st_ino) == (now.st_dev, now.st_ino)


def _read(fd: int) -> dict:
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        data = json.loads(os.read(fd, 65536).decode("utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write(fd: int, record: dict) -> None:
    data = (json.dumps(record) + "\n").encode("utf-8")
    os.ftruncate(fd, 0)
    os.lseek(fd, 0, os.SEEK_SET)
    os.write(fd, data)
    with contextlib.suppress(OSError):
        os.fsync(fd)


def _alive(holder: dict) -> bool:
    """Whether the holder may still run (without flock): its pid exists, or another host."""
    pid = holder.get("pid")
    if holder.get("host") != _HOST or not isinstance(pid, int):
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True
