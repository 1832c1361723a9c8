"""Columnar, chunked row storage: the table behind :class:`MetricHistory`.

A :class:`Table` holds rows made of a few integer index cells (``epoch``, or
``step, epoch, batch``) and float cells keyed by name. Rows are appended to
flat typed buffers (``array.array``, which checks the types), compacted into
NumPy blocks every ``buffer_rows`` rows: appending never copies what is stored.

A key that first appears late gets a column that starts at that row (earlier
rows read as missing, at no memory cost); a new key is checked by
:func:`~fittrack.history.keys.check_key`. A key absent from a later row is
stored as a NaN with a private bit pattern (:data:`MISSING`), which keeps
"missing" apart from a recorded NaN without a separate mask.

Example:
    >>> t = Table(("epoch",))
    >>> t.append((0,), {"loss": 0.5})
    >>> t.append((1,), {"loss": float("nan"), "auc": 0.75})
    >>> t.append((2,), {"auc": 0.8})
    >>> t.keys, t.n_rows
    (['loss', 'auc'], 3)
    >>> values, present = t.column("loss")
    >>> present.tolist(), values.tolist()[0]
    ([True, True, False], 0.5)
    >>> t.column("auc")[1].tolist()
    [False, True, True]
"""

from __future__ import annotations

import operator
import struct
from array import array
from bisect import bisect_right
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from fittrack.history.keys import check_key

#: Bit pattern of a missing cell: a quiet NaN whose low payload bits are set,
#: so no NaN made by arithmetic or by widening a float32 NaN can equal it.
MISSING_BITS = 0x7FF8_D1CE_0000_0001
MISSING: float = struct.unpack("<d", struct.pack("<Q", MISSING_BITS))[0]
_NO_SIGN = np.uint64(0x7FFF_FFFF_FFFF_FFFF)

#: Rows kept in the append buffers before they are compacted into blocks.
BUFFER_ROWS = 65536
_CONVERSION_ERRORS = (KeyError, TypeError, ValueError, OverflowError)


def is_missing(values: np.ndarray) -> np.ndarray:
    """Boolean mask of the cells of a float64 array that hold :data:`MISSING`.

    Example:
        >>> is_missing(np.array([1.0, float("nan"), MISSING])).tolist()
        [False, False, True]
    """
    bits = np.ascontiguousarray(values, dtype=np.float64).view(np.uint64)
    return (bits & _NO_SIGN) == np.uint64(MISSING_BITS)


def _getter(keys: Sequence[str]) -> Callable[[Mapping[str, Any]], tuple]:
    """A function returning the values of ``keys`` from a mapping, as a tuple."""
    if not keys:
        return lambda values: ()
    if len(keys) == 1:
        key = keys[0]
        return lambda values: (values[key],)
    return operator.itemgetter(*keys)


def _push(blocks: list[np.ndarray], starts: list[int], new: np.ndarray, start: int,
          merge_below: int) -> None:
    """Append the rows ``new`` (starting at row ``start``) to a block list.

    A small last block (left by a compaction forced by a read) is merged with
    the new rows so that the number of blocks stays proportional to the rows.
    """
    if blocks and len(blocks[-1]) < merge_below:
        blocks[-1] = np.concatenate([blocks[-1], new])
    else:
        blocks.append(np.array(new, copy=True))
        starts.append(start)


def _gather(blocks: list[np.ndarray], starts: list[int], lo: int, hi: int) -> np.ndarray:
    """Rows ``[lo, hi)`` of a block list (a copy)."""
    parts = []
    i = max(bisect_right(starts, lo) - 1, 0)
    while i < len(blocks) and starts[i] < hi:
        s = starts[i]
        parts.append(blocks[i][max(lo - s, 0):hi - s])
        i += 1
    if not parts:
        return np.empty((0,) + blocks[0].shape[1:] if blocks else (0,), dtype=np.float64)
    return np.concatenate(parts)


class _Column:
    """One float column: blocks covering rows ``first`` to the table's end."""

    __slots__ = ("blocks", "first", "starts")

    def __init__(self, first: int) -> None:
        self.first = first
        self.blocks: list[np.ndarray] = []
        self.starts: list[int] = []


class Table:
    """Rows of integer index cells and float cells keyed by name.

    Args:
        index_names: names of the integer cells every row has.
        buffer_rows: rows buffered (in ``array.array`` buffers) before compaction.
    """

    def __init__(self, index_names: Sequence[str], buffer_rows: int = BUFFER_ROWS) -> None:
        self.index_names = tuple(index_names)
        self.revision = 0  # incremented whenever stored rows are removed or rewritten
        self._buffer_rows = buffer_rows
        self._keys: list[str] = []
        self._cols: dict[str, _Column] = {}
        self._iblocks: list[np.ndarray] = []
        self._istarts: list[int] = []
        self._ibuf = array("q")
        self._fbuf = array("d")
        self._pending = 0
        self._stored = 0
        self._get = _getter(())

    # ----- shape -----
    @property
    def n_rows(self) -> int:
        """Number of rows."""
        return self._stored + self._pending

    @property
    def keys(self) -> list[str]:
        """Float column names, in order of first appearance."""
        return list(self._keys)

    @property
    def columns(self) -> tuple[str, ...]:
        """Index names then keys: the CSV header."""
        return self.index_names + tuple(self._keys)

    def __contains__(self, key: object) -> bool:
        return key in self._cols

    def block_lengths(self, key: str) -> list[int]:
        """Rows in each compacted block of column ``key`` (how it is stored)."""
        return [len(block) for block in self._cols[key].blocks]

    def __getstate__(self) -> dict:  # _get may be a lambda: rebuilt on unpickling
        return {name: value for name, value in self.__dict__.items() if name != "_get"}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._get = _getter(self._keys)

    # ----- appending -----
    def append(self, index: Sequence[int], values: Mapping[str, Any]) -> None:
        """Append one row; ``index`` holds one integer per index name."""
        try:
            idx = array("q", index)
        except (TypeError, OverflowError):
            raise TypeError(f"{', '.join(self.index_names)} must be integers; "
                            f"received {tuple(index)!r}.") from None
        if len(idx) != len(self.index_names):
            raise ValueError(f"expected {len(self.index_names)} index values "
                             f"({', '.join(self.index_names)}); received {tuple(index)!r}.")
        row = None
        if len(values) == len(self._keys):  # common case: the same keys as before
            try:
                row = array("d", self._get(values))
            except _CONVERSION_ERRORS:
                row = None
        if row is None:
            row = self._general_row(values)
        self._ibuf.extend(idx)
        self._fbuf.extend(row)
        self._pending += 1
        if self._pending >= self._buffer_rows:
            self.compact()

    def _general_row(self, values: Mapping[str, Any]) -> array:
        """The row's cells in column order, adding columns for new keys."""
        converted = {}
        for key, value in values.items():
            if not isinstance(key, str):
                raise TypeError(f"metric keys must be strings; received {key!r}.")
            try:
                converted[key] = array("d", (value,))[0]
            except _CONVERSION_ERRORS:
                raise TypeError(f"the value of {key!r} must be a number (a float or a "
                                f"0-d array); received {value!r}.") from None
        new = [key for key in converted if key not in self._cols]
        for key in new:
            check_key(key)
        if new:
            self.compact()
            for key in new:
                self._cols[key] = _Column(self.n_rows)
                self._keys.append(key)
            self._get = _getter(self._keys)
        return array("d", [converted.get(key, MISSING) for key in self._keys])

    def compact(self) -> None:
        """Move the buffered rows into NumPy blocks."""
        n = self._pending
        if not n:
            return
        ints = np.frombuffer(self._ibuf, dtype=np.int64).reshape(n, len(self.index_names))
        floats = np.frombuffer(self._fbuf, dtype=np.float64).reshape(n, len(self._keys))
        self._ibuf, self._fbuf, self._pending = array("q"), array("d"), 0
        start, small = self._stored, self._buffer_rows
        _push(self._iblocks, self._istarts, ints, start, small)
        for j, key in enumerate(self._keys):
            column = self._cols[key]
            _push(column.blocks, column.starts, floats[:, j], start, small)
        self._stored += n

    # ----- reading -----
    def _bounds(self, start: int, stop: int | None) -> tuple[int, int]:
        self.compact()
        n = self._stored
        stop = n if stop is None else min(stop, n)
        return min(max(start, 0), stop), stop

    def index_column(self, name: str, start: int = 0, stop: int | None = None) -> np.ndarray:
        """The int64 values of index cell ``name`` for rows ``[start, stop)``."""
        j = self.index_names.index(name)
        lo, hi = self._bounds(start, stop)
        if lo == hi:
            return np.empty(0, dtype=np.int64)
        return _gather(self._iblocks, self._istarts, lo, hi)[:, j].copy()

    def column(self, key: str, start: int = 0,
               stop: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """``(values, present)`` of column ``key`` for rows ``[start, stop)``.

        Missing cells read as NaN in ``values`` and False in ``present``.
        """
        column = self._cols[key]
        lo, hi = self._bounds(start, stop)
        values = np.full(hi - lo, np.nan)
        present = np.zeros(hi - lo, dtype=bool)
        first = max(lo, column.first)
        if first < hi:
            data = _gather(column.blocks, column.starts, first, hi)
            missing = is_missing(data)
            data[missing] = np.nan
            values[first - lo:] = data
            present[first - lo:] = ~missing
        return values, present

    # ----- rewriting -----
    def keep_rows(self, keep: np.ndarray) -> None:
        """Keep only the rows where the boolean mask ``keep`` is True.

        Keys left without any recorded value are removed.
        """
        self.compact()
        index = (np.concatenate(self._iblocks) if self._iblocks
                 else np.empty((0, len(self.index_names)), dtype=np.int64))
        data = {key: tuple(part[keep] for part in self.column(key)) for key in self._keys}
        self._load(index[keep], data)

    @classmethod
    def from_arrays(cls, index_names: Sequence[str], index: np.ndarray,
                    data: Mapping[str, tuple[np.ndarray, np.ndarray]]) -> Table:
        """A table from an ``(n, len(index_names))`` int array and per key
        ``(values, present)`` arrays; keys without a present value are dropped.
        """
        table = cls(index_names)
        table._load(np.asarray(index, dtype=np.int64).reshape(-1, len(table.index_names)), data)
        table.revision = 0
        return table

    def _load(self, index: np.ndarray, data: Mapping[str, tuple[np.ndarray, np.ndarray]]) -> None:
        n = len(index)
        self._ibuf, self._fbuf, self._pending, self._stored = array("q"), array("d"), 0, n
        self._iblocks = [np.array(index, dtype=np.int64)] if n else []
        self._istarts = [0] if n else []
        self._keys, self._cols = [], {}
        for key, (values, present) in data.items():
            present = np.asarray(present, dtype=bool)
            if not present.any():
                continue
            first = int(np.argmax(present))
            block = np.array(values[first:], dtype=np.float64)
            block[~present[first:]] = MISSING
            column = _Column(first)
            column.blocks, column.starts = [block], [first]
            self._cols[key] = column
            self._keys.append(key)
        self._get = _getter(self._keys)
        self.revision += 1
