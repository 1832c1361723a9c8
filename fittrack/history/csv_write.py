"""Format table rows as CSV text that reads back exactly.

Integers are written as integers, floats with Python's shortest repr (which
round-trips exactly: ``float(repr(x)) == x``), a recorded NaN as ``nan`` and a
missing cell as an empty string. Lines end with ``\\n``. The header line is
:func:`~fittrack.history.header.header_line` (escaped, quoted where needed).

Example:
    >>> from fittrack.history.columns import Table
    >>> t = Table(("epoch",))
    >>> t.append((0,), {"loss": 0.1})
    >>> t.append((1,), {"loss": float("nan"), "auc": 1 / 3})
    >>> print("".join(csv_chunks(t)), end="")
    epoch,loss,auc
    0,0.1,
    1,nan,0.3333333333333333
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from fittrack.history.columns import Table
from fittrack.history.header import header_line

#: Rows formatted at a time, which bounds the memory of the Python strings.
CHUNK_ROWS = 65536


def float_strings(values: np.ndarray) -> list[str]:
    """Shortest exact text of every value of a float64 array.

    Example:
        >>> float_strings(np.array([0.5, float("nan"), -0.0, 1e-07]))
        ['0.5', 'nan', '-0.0', '1e-07']
    """
    if ((values == 0) & np.signbit(values)).any():  # np.unique would merge -0.0 into 0.0
        return list(map(repr, values.tolist()))
    return _texts(values, repr)


def _texts(values: np.ndarray, to_text: Callable[[Any], str]) -> list[str]:
    """``to_text`` of every value; a column with repeated values (an accuracy
    on a fixed data set, the epoch of batch rows) formats each distinct value once.
    """
    if len(values) >= 64:
        uniques, inverse = np.unique(values, return_inverse=True)
        if 2 * len(uniques) <= len(values):
            texts = np.array(list(map(to_text, uniques.tolist())), dtype=object)
            return texts[inverse.reshape(-1)].tolist()
    return list(map(to_text, values.tolist()))


def format_rows(table: Table, start: int, stop: int) -> str:
    """CSV lines (no header) of rows ``[start, stop)`` of ``table``."""
    if stop <= start:
        return ""
    cells = [_texts(table.index_column(name, start, stop), str) for name in table.index_names]
    for key in table.keys:
        values, present = table.column(key, start, stop)
        texts = float_strings(values)
        for i in np.flatnonzero(~present).tolist():
            texts[i] = ""
        cells.append(texts)
    return "\n".join(map(",".join, zip(*cells))) + "\n"


def csv_chunks(table: Table, start: int = 0, stop: int | None = None, *,
               header: bool = True, chunk_rows: int = CHUNK_ROWS) -> Iterator[str]:
    """The CSV text of ``table`` (header then rows ``[start, stop)``), in pieces."""
    stop = table.n_rows if stop is None else stop
    if header:
        yield header_line(table.columns)
    for lo in range(start, stop, chunk_rows):
        yield format_rows(table, lo, min(lo + chunk_rows, stop))
