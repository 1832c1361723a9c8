"""Reading the files the ``fittrack`` command line is given: runs, levels, columns.

Every failure is a :class:`UsageError` whose message names the file (the
command prints it as one line). Loading is lazy: nothing here imports
matplotlib or Keras.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


class UsageError(Exception):
    """A user error the command line reports in one line (exit code 2)."""


class CurvedRun:
    """A run's curves, with its history's best epochs read from the CSV only when asked."""

    def __init__(self, curves: Any, csv: Path, sep: str) -> None:
        self.curves, self._csv, self._sep = curves, csv, sep

    def best(self, key: str) -> tuple[int, float]:
        if not self._csv.is_file():
            raise UsageError(f"best:{key} needs the run's CSV, {str(self._csv)!r}, which does "
                             f"not exist; pass an epoch number")
        return load_run(str(self._csv), self._sep).best(key)


def load_runs(args: argparse.Namespace) -> tuple[dict[str, Any], str]:
    """``({label: history}, level)`` of the files; checks the level and the metrics."""
    from fittrack.history.sources import run_labels

    labels = args.labels or run_labels(args.csv)
    if len(labels) != len(args.csv):
        raise UsageError(f"--labels gives {len(labels)} names for {len(args.csv)} files; "
                         f"give one per file")
    if len(set(labels)) != len(labels):
        raise UsageError(f"--labels must differ from each other; received {labels}")
    histories = {label: load_run(path, args.sep) for label, path in zip(labels, args.csv)}
    level = common_level(histories, args.level, args.csv)
    check_metrics(list(histories.values()), args.metrics, level)
    return histories, level


def existing_file(path: str) -> Path:
    if not Path(path).exists():
        raise UsageError(f"no such file: {path!r}")
    if Path(path).is_dir():
        raise UsageError(f"{path!r} is a folder; give the CSV file inside it")
    return Path(path)


def load_run(path: str, sep: str = ",") -> Any:
    from fittrack.history import load_history

    existing_file(path)
    try:
        return load_history(path, sep=sep)
    except UnicodeDecodeError as err:
        raise UsageError(f"{path!r} is not a UTF-8 text file ({err.reason} at byte "
                         f"{err.start}); expected a CSV file") from None
    except (OSError, ValueError) as err:
        text = one_line(err)
        raise UsageError(text if path in text else f"{path!r}: {text}") from None
    except Exception as err:
        raise UsageError(f"cannot read {path!r} ({type(err).__name__}: {one_line(err)})"
                         ) from None


def common_level(histories: dict[str, Any], requested: str | None, paths: list[str]) -> str:
    available = []
    for history, path in zip(histories.values(), paths):
        levels = [level for level, keys in (("epoch", history.keys()),
                                            ("batch", history.batch_keys)) if keys]
        if not levels:
            raise UsageError(f"{path!r} has no rows of metric values")
        if requested is not None and requested not in levels:
            raise UsageError(f"{path!r} has no {requested} rows; it has {levels[0]} rows "
                             f"(use --level {levels[0]})")
        available.append(levels)
    if requested is not None:
        return requested
    common = [level for level in ("epoch", "batch") if all(level in a for a in available)]
    if not common:
        raise UsageError("the files have no level in common: some hold epoch rows only, "
                         "others batch rows only")
    return common[0]


def check_metrics(histories: list[Any], metrics: list[str] | None, level: str) -> None:
    if not metrics:
        return
    keys = [history.keys() if level == "epoch" else history.batch_keys for history in histories]
    unknown = [name for name in metrics if not any(selects(k, name) for k in keys)]
    if unknown:
        names = ", ".join(repr(name) for name in unknown)
        columns = list(dict.fromkeys(key for run_keys in keys for key in run_keys))
        shown = ", ".join(columns[:50]) + (f", ... ({len(columns)} in all)"
                                           if len(columns) > 50 else "")
        raise UsageError(f"unknown column{'s' if len(unknown) > 1 else ''} {names}; the "
                         f"{level} columns are: {shown}")


def selects(keys: list[str], name: str) -> bool:
    from fittrack.history.groups import group_keys

    try:
        group_keys(keys, [name])
    except ValueError:
        return False
    return True


def one_line(err: BaseException | Warning | str) -> str:
    text = err.args[0] if isinstance(err, KeyError) and err.args else err
    text = " ".join(str(text).split())
    if isinstance(err, FileNotFoundError) and not text:
        text = "file not found"
    return text or type(err).__name__
