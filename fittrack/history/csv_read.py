"""Read fittrack CSV files and Keras ``CSVLogger`` files into a :class:`Table`.

Both formats share one layout: a header line, then one row per epoch (first
column ``epoch``) or per evaluated batch (first columns ``step,epoch,batch``).
An empty cell or ``NA`` (what ``CSVLogger`` writes for a key absent from an
epoch's logs) is a missing cell; ``nan``/``NaN`` is a recorded NaN. A column
without any recorded value (``CSVLogger``'s ``val_*`` columns of a run without
validation data) is dropped, as Keras' ``History`` would not have that key.

Example:
    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "log.csv"
    >>> _ = path.write_text("epoch,loss,val_loss\\r\\n0,0.5,NA\\r\\n1,nan,0.25\\r\\n")
    >>> kind, table = read_csv_table(path)
    >>> kind, table.keys, table.column("val_loss")[1].tolist()
    ('epoch', ['loss', 'val_loss'], [False, True])
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

import numpy as np
import pandas as pd

from fittrack.history.columns import Table

EPOCH_INDEX = ("epoch",)
BATCH_INDEX = ("step", "epoch", "batch")
_MISSING_TEXT = ["", "NA"]
_HELP = ("Expected a CSV written by fittrack (MetricHistory.to_csv, MetricsCallback(csv_path=...)) "
         "or by keras.callbacks.CSVLogger")


def _exact_float_options() -> dict:
    """pandas < 3.1 parses floats exactly only with the round-trip converter."""
    major, minor = (int(part) for part in pd.__version__.split(".")[:2])
    return {} if (major, minor) >= (3, 1) else {"float_precision": "round_trip"}


def read_csv_table(path: str | os.PathLike, sep: str = ",") -> tuple[str, Table]:
    """Read a CSV file; return ``("epoch" | "batch", table)``."""
    path = Path(path)
    if not path.is_file():
        what = "is a folder" if path.is_dir() else "does not exist"
        raise FileNotFoundError(f"{str(path)!r} {what}. {_HELP}; check the path "
                                f"(for a MetricsCallback run it is the csv_path you passed).")
    try:
        frame = pd.read_csv(path, sep=sep, na_values=_MISSING_TEXT, keep_default_na=False,
                            **_exact_float_options())
    except pd.errors.EmptyDataError:
        raise ValueError(f"{str(path)!r} is empty: it has no header line. {_HELP}, which start "
                         f"with a header such as 'epoch,loss,...'. The run that writes it may "
                         f"not have finished an epoch yet.") from None
    except pd.errors.ParserError as error:
        raise ValueError(f"{str(path)!r} is not a well-formed CSV ({error}). {_HELP}, where "
                         f"every row has as many fields as the header. A CSVLogger file "
                         f"appended to by runs with different metrics has this problem; "
                         f"split it where the columns change.") from None
    if _first_row_width(path, sep) > len(frame.columns):  # pandas took column 1 as the index
        raise ValueError(f"{str(path)!r}: the rows have more fields than the header. {_HELP}, "
                         f"where every row has as many fields as the header; fix the header.")
    kind, index_names = _kind(path, [str(c) for c in frame.columns], sep)
    _check_last_line(path, len(frame.columns), sep)
    index = np.column_stack([_integers(path, frame[name], name) for name in index_names]) \
        if len(frame) else np.empty((0, len(index_names)), dtype=np.int64)
    data = {str(key): _floats(path, frame[key], str(key))
            for key in frame.columns[len(index_names):]}
    return kind, Table.from_arrays(index_names, index, data)


def _first_row_width(path: Path, sep: str) -> int:
    """Number of fields of the first data row (0 without one)."""
    with open(path, newline="", encoding="utf-8", errors="replace") as handle:
        rows = csv.reader(handle, delimiter=sep)
        next(rows, None)
        return len(next(rows, []))


def _kind(path: Path, columns: list[str], sep: str) -> tuple[str, tuple[str, ...]]:
    if columns[:3] == list(BATCH_INDEX):
        return "batch", BATCH_INDEX
    if columns[0] == "epoch":
        return "epoch", EPOCH_INDEX
    hint = ""
    if len(columns) == 1 and sep not in columns[0]:
        hint = (f" The header was read as the single column {columns[0]!r}: if the file uses "
                f"another separator, pass it, e.g. load_history(path, sep=';').")
    raise ValueError(f"{str(path)!r} starts with the column {columns[0]!r}. {_HELP}: the first "
                     f"column is 'epoch' (epoch rows) or 'step' followed by 'epoch,batch' "
                     f"(batch rows).{hint}")


def _integers(path: Path, column: pd.Series, name: str) -> np.ndarray:
    if column.dtype.kind in "iu":
        return column.to_numpy(dtype=np.int64)
    values = column.to_numpy(dtype=object)
    bad = next(i for i, v in enumerate(values) if not _is_integer_text(v))
    raise ValueError(f"{str(path)!r}: the column {name!r} must hold integers; data row {bad + 1} "
                     f"holds {values[bad]!r}. Fill in or remove that row.")


def _is_integer_text(value: object) -> bool:
    try:
        return float(value) == int(float(value))  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        return False


def _floats(path: Path, column: pd.Series, key: str) -> tuple[np.ndarray, np.ndarray]:
    """``(values, present)`` of a value column; text cells (``nan``) are parsed."""
    if column.dtype.kind in "fiub":
        values = column.to_numpy(dtype=np.float64)
        return values, ~np.isnan(values)
    cells = column.to_numpy(dtype=object)
    present = ~pd.isna(cells)
    try:
        values = np.where(present, cells, "nan").astype(np.float64)
    except (TypeError, ValueError):
        bad = next(i for i, v in enumerate(cells) if present[i] and not _is_float_text(v))
        raise ValueError(f"{str(path)!r}: the column {key!r} must hold numbers; data row "
                         f"{bad + 1} holds {cells[bad]!r}. Only numbers, 'nan', and empty or "
                         f"'NA' cells (missing) can be loaded; remove that column or "
                         f"fix the cell.") from None
    return values, present


def _is_float_text(value: object) -> bool:
    try:
        float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False
    return True


def _check_last_line(path: Path, n_fields: int, sep: str) -> None:
    """Refuse a file whose last line was cut short (a writer killed mid-row)."""
    with open(path, "rb") as handle:
        handle.seek(max(os.path.getsize(path) - 65536, 0))
        tail = handle.read()
    if tail.endswith(b"\n"):
        return
    last = tail.rsplit(b"\n", 1)[-1].decode("utf-8", "replace")
    if last.strip() and last.count(sep) + 1 < n_fields:
        raise ValueError(f"{str(path)!r}: the last line {last!r} has fewer fields than the "
                         f"header ({n_fields}); the writer was probably interrupted mid-row. "
                         f"Delete that line to load the rest.")
