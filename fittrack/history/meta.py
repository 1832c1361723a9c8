"""The metadata sidecar: the directions of a run's metrics, next to its CSV files.

``run.csv`` gets ``run.meta.json`` (:func:`meta_path`), a small JSON object::

    {"format": "fittrack-meta", "version": 1,
     "greater_is_better": {"loss": false, "auc": true, "median_ae": null}}

``greater_is_better`` maps a metric name (as recorded by
:meth:`MetricHistory.set_greater_is_better`) to true, false, or null
(unknown: a user function with no declared direction). An optional
``"guess": false`` says the directions of keys without an entry must not be
guessed from the registry or the names (written when the metadata of the
history was lost). Other members
are ignored, so later versions can add some. The file is written atomically
(:func:`~fittrack.history.files.atomic_write`) by :class:`CsvStream` when the
directions change and by :meth:`MetricHistory.to_csv`, and read by
:func:`load_history`. Keras' ``CSVLogger`` writes none: its files get the
registry and the name rules (:mod:`fittrack.history.keys`).

A sidecar that cannot be read (not JSON, another format, a newer version,
values that are not true/false/null) gives a warning and *no* directions at
all, rather than a guess that could be wrong.

Example:
    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "run.csv"
    >>> meta_path(path).name
    'run.meta.json'
    >>> write_meta(path, {"auc": True, "median_ae": None})
    >>> read_meta(path)
    Metadata(directions={'auc': True, 'median_ae': None}, guess=True)
"""

from __future__ import annotations

import json
import os
import warnings
from pathlib import Path
from typing import NamedTuple

from fittrack.history.files import atomic_write
from fittrack.history.paths import file_stem_path, target
from fittrack.notices import FittrackWarning

FORMAT = "fittrack-meta"
VERSION = 1
_MAX_BYTES = 64 << 20


class Metadata(NamedTuple):
    """What a sidecar says: recorded directions, and whether others may be guessed."""

    directions: dict[str, bool | None]
    guess: bool = True


def meta_path(path: str | os.PathLike) -> Path:
    """The sidecar of the epoch file (or of the batch file) ``path``.

    Example:
        >>> meta_path("logs/run.csv").as_posix(), meta_path("logs/run.batches.csv").as_posix()
        ('logs/run.meta.json', 'logs/run.meta.json')
    """
    return file_stem_path(path, ".meta.json")


def meta_text(directions: dict[str, bool | None], guess: bool = True) -> str:
    """The JSON text of a sidecar (keys sorted, one entry per line)."""
    data: dict = {"format": FORMAT, "version": VERSION,
                  "greater_is_better": {str(k): v for k, v in sorted(directions.items())}}
    if not guess:
        data["guess"] = False
    return json.dumps(data, indent=1, ensure_ascii=False) + "\n"


def write_meta(path: str | os.PathLike, directions: dict[str, bool | None],
               guess: bool = True) -> None:
    """Write the sidecar of ``path`` atomically."""
    atomic_write(meta_path(path), [meta_text(directions, guess)])


def save_meta(path: str | os.PathLike, directions: dict[str, bool | None],
               guess: bool = True) -> None:
    """Write the sidecar of ``path``; with nothing to say, remove an old one instead."""
    if directions or not guess:
        write_meta(path, directions, guess)
        return
    old = target(meta_path(path))
    if old.is_file():
        old.unlink()


def read_meta(path: str | os.PathLike) -> Metadata | None:
    """The sidecar of ``path``: None if there is none; all unknown if it cannot be trusted."""
    meta = meta_path(path)
    if not meta.exists():
        return None
    try:
        if not meta.is_file():
            raise ValueError("it is not a regular file")
        if os.path.getsize(meta) > _MAX_BYTES:
            raise ValueError(f"it is larger than {_MAX_BYTES >> 20} MiB")
        with open(meta, "rb") as handle:
            data = json.loads(handle.read().decode("utf-8"))
        return _parse(data)
    except (OSError, ValueError, TypeError) as error:
        warnings.warn(f"{str(meta)!r} cannot be used ({error}): it should be the metadata "
                      f"sidecar of {str(path)!r} ({{\"format\": \"{FORMAT}\", \"version\": "
                      f"{VERSION}, ...}}). The directions of its metrics are left unknown (no "
                      f"best epoch is marked; pass best(key, greater_is_better=...)). Fix the "
                      f"file, or delete it to guess directions from the metric names.",
                      FittrackWarning, stacklevel=3)
        return Metadata({}, guess=False)


def _parse(data: object) -> Metadata:
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ValueError(f"it is not a {FORMAT!r} file")
    version = data.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise ValueError(f"its version is {version!r}; expected {VERSION}")
    if version > VERSION:
        raise ValueError(f"it was written by a newer fittrack (format version {version}; this "
                         f"one reads version {VERSION}): upgrade fittrack")
    directions = data.get("greater_is_better")
    if not isinstance(directions, dict):
        raise ValueError("'greater_is_better' is not an object")
    bad = [k for k, v in directions.items() if v is not None and not isinstance(v, bool)]
    if bad:
        raise ValueError(f"the direction of {bad[0]!r} is {directions[bad[0]]!r}; expected "
                         f"true, false or null")
    guess = data.get("guess", True)
    if not isinstance(guess, bool):
        raise ValueError(f"'guess' is {guess!r}; expected true or false")
    return Metadata(dict(directions), guess)
