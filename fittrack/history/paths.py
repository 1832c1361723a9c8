"""The paths of a run's files, and the checks made before anything is written.

``run.csv`` (epoch rows) goes with ``run.batches.csv`` (batch rows),
``run.meta.json`` (directions, :mod:`.meta`) and, while a run writes them,
``run.csv.lock`` (:mod:`.lock`). A path must be absent or a regular file: a
folder, a FIFO, a device or a socket is refused before training. A symbolic
link to a regular file is written *through*: the link stays a link and its
target is updated (:func:`target`), also by atomic rewrites.

Example:
    >>> batch_csv_path("logs/run.csv").as_posix(), lock_path("/tmp/x/../run.csv").name
    ('logs/run.batches.csv', 'run.csv.lock')
    >>> check_regular("/")
    Traceback (most recent call last):
    ...
    IsADirectoryError: csv_path='/' is a folder; expected a file path such as '/run.csv'.
"""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

PathLike = str | os.PathLike
#: open() flags that never wait (a FIFO without a reader) nor leak into children
NO_WAIT = getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
_KINDS = {stat.S_IFIFO: "FIFO (named pipe)", stat.S_IFCHR: "character device",
          stat.S_IFBLK: "block device", stat.S_IFSOCK: "socket"}


class NotRegularFileError(ValueError):
    """A path that exists and is not a regular file (a FIFO, a device, a socket)."""


def file_stem_path(path: PathLike, suffix: str) -> Path:
    """``path`` with ``.csv`` (or ``.batches.csv``) replaced by ``suffix``.

    Example:
        >>> file_stem_path("a/run.CSV", ".x").as_posix(), file_stem_path("train.log", ".x").name
        ('a/run.x', 'train.log.x')
    """
    path = Path(path)
    name = path.name
    for ending in (".batches.csv", ".csv"):
        if name.lower().endswith(ending) and len(name) > len(ending):
            return path.with_name(name[: -len(ending)] + suffix)
    return path.with_name(name + suffix)


def batch_csv_path(path: PathLike) -> Path:
    """The batch-rows file that goes with the epoch-rows file ``path``.

    Example:
        >>> batch_csv_path("run.csv").as_posix(), batch_csv_path("logs/run").as_posix()
        ('run.batches.csv', 'logs/run.batches.csv')
    """
    path = Path(path)
    stem = path.name[:-4] if path.suffix.lower() == ".csv" else path.name
    return path.with_name(stem + ".batches.csv")


def target(path: PathLike) -> Path:
    """The file a write to ``path`` changes: the final target of a symbolic link."""
    return Path(os.path.realpath(path))


def lock_path(path: PathLike) -> Path:
    """The lock file of the run writing ``path`` (next to the link's target), named by
    the stem its sibling files share: ``run.csv``, ``run.CSV`` and ``run`` write the same
    ``run.batches.csv``, so they take the same lock, ``run.csv.lock``."""
    return file_stem_path(target(path), ".csv.lock")


def file_kind(mode: int) -> str:
    """A readable name for the type of file ``mode`` describes."""
    return _KINDS.get(stat.S_IFMT(mode), "folder" if stat.S_ISDIR(mode) else "special file")


def check_regular(path: PathLike, what: str = "csv_path") -> None:
    """Raise a clear error if ``path`` exists and is not a regular file.

    A missing path (or a link to a missing file) is fine: it will be created.
    """
    path = Path(path)
    try:
        mode = os.stat(path).st_mode
    except (FileNotFoundError, NotADirectoryError, PermissionError):
        return  # missing: the folder checks say what is wrong, if anything
    except OSError as error:
        raise NotRegularFileError(f"{what}={str(path)!r} cannot be used ({error.strerror}); "
                                  f"pass the path of a regular file.") from None
    if stat.S_ISREG(mode):
        return
    if stat.S_ISDIR(mode):
        raise IsADirectoryError(f"{what}={str(path)!r} is a folder; expected a file path such "
                                f"as {str(path / 'run.csv')!r}.")
    raise NotRegularFileError(
        f"{what}={str(path)!r} is a {file_kind(mode)}, not a regular file. fittrack writes its "
        f"rows to a regular file (or through a symbolic link to one) and replaces it atomically "
        f"when columns change; pass the path of a regular file such as 'run.csv'.")


def check_folder_writable(path: PathLike, what: str = "csv_path") -> None:
    """Raise a clear error unless a regular file can be written (and replaced) at ``path``."""
    path = Path(path)
    check_regular(path, what)
    folders = dict.fromkeys([path.parent, target(path).parent])
    for folder in folders:
        _check_folder(path, folder, what)
    if path.exists():
        try:
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | NO_WAIT)
        except OSError as error:
            raise PermissionError(f"{what}={str(path)!r} cannot be written ({error.strerror}). "
                                  f"Expected a writable file; change its permissions or pass "
                                  f"another {what}.") from error
        os.close(fd)


def _check_folder(path: Path, folder: Path, what: str) -> None:
    fix = (f"create the folder first (os.makedirs({str(folder)!r}, exist_ok=True)) or pass "
           f"another {what}")
    if not folder.exists():
        raise FileNotFoundError(f"{what}={str(path)!r}: the folder {str(folder)!r} does not "
                                f"exist. Expected an existing, writable folder; {fix}.")
    if not folder.is_dir():
        raise NotADirectoryError(f"{what}={str(path)!r}: {str(folder)!r} is not a folder. "
                                 f"Expected an existing, writable folder; pass another {what}.")
    probe = folder / f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.probe"
    try:
        os.close(os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
        os.unlink(probe)
    except OSError as error:
        raise PermissionError(f"{what}={str(path)!r} cannot be written ({error.strerror}). "
                              f"Expected a writable folder and file; change their permissions "
                              f"or pass another {what}.") from error
