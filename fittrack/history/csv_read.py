"""Read fittrack CSV files and Keras ``CSVLogger`` files into a :class:`Table`.

Both formats share one layout: a header line, then one row per epoch (first
column ``epoch``) or per evaluated batch (first columns ``step,epoch,batch``).
An empty cell or ``NA`` (what ``CSVLogger`` writes for a key absent from an
epoch's logs) is a missing cell; ``nan``/``NaN`` is a recorded NaN. A column
without any recorded value (``CSVLogger``'s ``val_*`` columns of a run without
validation data) is dropped, as Keras' ``History`` would not have that key.

Nothing untrustworthy is read: the bytes are checked first
(:mod:`~fittrack.history.csv_check`: torn or short rows, encodings), the
index cells must be whole numbers from 0 to 2**63 - 1 (``1.0`` is read as 1),
epochs must increase (steps too, in a batch file, with epochs never going
back): duplicated or unsorted rows mean two runs wrote the file. Every error
names the file and the line.

Example:
    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "log.csv"
    >>> _ = path.write_text("epoch,loss,val_loss\\r\\n0.0,0.5,NA\\r\\n1.0,nan,0.25\\r\\n")
    >>> kind, table = read_csv_table(path)
    >>> kind, table.keys, table.column("val_loss")[1].tolist(), table.index_column("epoch")
    ('epoch', ['loss', 'val_loss'], [False, True], array([0, 1]))
"""

from __future__ import annotations

import io
import os

import numpy as np
import pandas as pd

from fittrack.history.columns import Table
from fittrack.history.csv_check import HELP, check_text, read_bytes

EPOCH_INDEX = ("epoch",)
BATCH_INDEX = ("step", "epoch", "batch")
_MISSING_TEXT = ["", "NA"]
_INT_MAX = 2 ** 63 - 1
_EXACT = 2 ** 53  # floats up to here hold every integer exactly


def _exact_float_options() -> dict:
    """pandas < 3.1 parses floats exactly only with the round-trip converter."""
    major, minor = (int(part) for part in pd.__version__.split(".")[:2])
    return {} if (major, minor) >= (3, 1) else {"float_precision": "round_trip"}


def read_csv_table(path: str | os.PathLike, sep: str = ",") -> tuple[str, Table]:
    """Read a CSV file; return ``("epoch" | "batch", table)``."""
    where = str(path)
    layout = check_text(path, read_bytes(path), sep)
    kind, index_names = _kind(where, layout.header, sep)
    n_fields = len(layout.header)
    frame = _parse(layout.body, sep, n_fields) if len(layout.lines) else None
    if frame is None:
        return kind, Table.from_arrays(index_names, np.empty((0, len(index_names))), {})
    lines = layout.lines
    index = np.column_stack([_integers(where, frame[i], name, lines)
                             for i, name in enumerate(index_names)])
    _check_order(where, kind, index, lines)
    data = {name: _floats(where, frame[i], name, lines)
            for i, name in enumerate(layout.header) if i >= len(index_names)}
    return kind, Table.from_arrays(index_names, index, data)


def _parse(body: bytes, sep: str, n_fields: int) -> pd.DataFrame:
    return pd.read_csv(io.BytesIO(body), sep=sep, header=None, names=list(range(n_fields)),
                       index_col=False, na_values=_MISSING_TEXT, keep_default_na=False,
                       encoding="utf-8", **_exact_float_options())


def _kind(where: str, columns: list[str], sep: str) -> tuple[str, tuple[str, ...]]:
    if columns[:3] == list(BATCH_INDEX):
        return "batch", BATCH_INDEX
    if columns[0] == "epoch":
        return "epoch", EPOCH_INDEX
    hint = ""
    if len(columns) == 1 and sep not in columns[0]:
        hint = (f" The header was read as the single column {columns[0]!r}: if the file uses "
                f"another separator, pass it, e.g. load_history(path, sep=';').")
    raise ValueError(f"{where!r} starts with the column {columns[0]!r}. {HELP}: the first "
                     f"column is 'epoch' (epoch rows) or 'step' followed by 'epoch,batch' "
                     f"(batch rows).{hint}")


def _integers(where: str, column: pd.Series, name: str, lines: np.ndarray) -> np.ndarray:
    """The int64 values of an index column; whole floats (``1.0``) are accepted."""
    kind = column.dtype.kind
    if kind == "i":
        values = column.to_numpy(dtype=np.int64)
        ok = values >= 0
    elif kind == "u":
        raw = column.to_numpy(dtype=np.uint64)
        ok = raw <= _INT_MAX
        values = np.where(ok, raw, 0).astype(np.int64)
    elif kind == "f":
        raw = column.to_numpy(dtype=np.float64)
        ok = np.isfinite(raw) & (raw == np.floor(raw)) & (np.abs(raw) <= _EXACT) & (raw >= 0)
        values = np.where(ok, raw, 0).astype(np.int64)
    else:
        parsed = [_integer(cell) for cell in column.to_numpy(dtype=object)]
        ok = np.array([v is not None for v in parsed], dtype=bool)
        values = np.array([0 if v is None else v for v in parsed], dtype=np.int64)
    if not ok.all():
        i = int(np.argmin(ok))
        cell = column.iloc[i]
        cell = "" if isinstance(cell, float) and np.isnan(cell) else cell
        raise ValueError(f"{where!r}, line {lines[i]}: the column {name!r} must hold whole "
                         f"numbers from 0 to 2**63 - 1; data row {i + 1} holds {str(cell)!r}. "
                         f"Fill in or fix that cell, or remove that row.")
    return values


def _integer(cell: object) -> int | None:
    """The whole number a text cell holds, or None (exact for long digit strings)."""
    text = str(cell).strip()
    try:
        value = int(text)
    except ValueError:
        try:
            number = float(text)
        except ValueError:
            return None
        if not (np.isfinite(number) and number == int(number) and abs(number) <= _EXACT):
            return None
        value = int(number)
    return value if 0 <= value <= _INT_MAX else None


def _floats(where: str, column: pd.Series, key: str,
            lines: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(values, present)`` of a value column; text cells (``nan``) are parsed."""
    if column.dtype.kind in "fiub":
        values = column.to_numpy(dtype=np.float64)
        return values, ~np.isnan(values)
    cells = column.to_numpy(dtype=object)
    present = ~pd.isna(cells)
    try:
        values = np.where(present, cells, "nan").astype(np.float64)
    except (TypeError, ValueError, OverflowError):
        bad = next(i for i, v in enumerate(cells) if present[i] and not _is_float_text(v))
        shown = str(cells[bad])
        shown = shown if len(shown) <= 60 else shown[:60] + "..."
        raise ValueError(f"{where!r}, line {lines[bad]}: the column {key!r} must hold numbers; "
                         f"data row {bad + 1} holds {shown!r}. Only numbers, 'nan', and empty "
                         f"or 'NA' cells (missing) can be loaded; remove that column or fix "
                         f"the cell.") from None
    return values, present


def _is_float_text(value: object) -> bool:
    try:
        float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        return False
    return True


def _check_order(where: str, kind: str, index: np.ndarray, lines: np.ndarray) -> None:
    """Epochs increase (epoch file); steps increase and epochs never go back (batch file)."""
    checks = [(index[:, 0], "epoch" if kind == "epoch" else "step", True)]
    if kind == "batch":
        checks.append((index[:, 1], "epoch", False))
    for values, label, strict in checks:
        step = np.diff(values)
        bad = np.flatnonzero(step <= 0 if strict else step < 0)
        if not len(bad):
            continue
        i = int(bad[0]) + 1
        what = "repeats" if values[i] == values[i - 1] else "goes back to"
        raise ValueError(
            f"{where!r}, line {lines[i]}: the row {what} {label} {values[i]} (line {lines[i - 1]} "
            f"holds {label} {values[i - 1]}); {label}s must increase. The file holds the rows of "
            f"two runs (two writers on one csv_path, or an append that did not continue at the "
            f"last epoch + 1). Keep the rows of one run (e.g. with pandas: "
            f"df.drop_duplicates('{label}', keep='last').sort_values('{label}')) to load it.")
