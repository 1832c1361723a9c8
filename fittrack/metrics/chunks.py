"""Row chunks: the temporaries of a metric stay small next to the predictions.

A metric whose work needs arrays the size of its inputs (float64 copies, masks,
ranks) computes them one chunk of rows at a time on large data, so that the
extra memory of an evaluation stays a small multiple of the predictions (issue
17: at most 3x the float32 predictions). Small data are one chunk: the
vectorized computation, unchanged. Row-wise values do not depend on the chunks;
sums over rows are summed per chunk, then over the chunks.

Example:
    >>> row_chunks(10)
    [slice(0, 10, None)]
    >>> len(row_chunks(1_000_000)), row_chunks(1_000_000)[0]
    (16, slice(0, 62500, None))
    >>> row_mean(lambda rows: np.arange(rows.start, rows.stop) % 2, 1_000_000, None)
    0.5
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from fittrack.metrics.common import per_row_mean, row_values

#: up to this many elements, data are one chunk (the vectorized path)
SMALL = 1 << 17
#: elements of one chunk of larger data: about a sixteenth of them, within these bounds
CHUNK_MIN, CHUNK_MAX = 1 << 13, 1 << 16
PIECES = 16


def chunk_rows(n_rows: int, row_size: int = 1) -> int:
    """Rows per chunk for ``n_rows`` rows of ``row_size`` elements."""
    row_size = max(int(row_size), 1)
    total = n_rows * row_size
    if total <= SMALL:
        return max(n_rows, 1)
    elements = min(CHUNK_MAX, max(CHUNK_MIN, total // PIECES))
    return max(1, elements // row_size)


def row_chunks(n_rows: int, row_size: int = 1) -> list[slice]:
    """Consecutive row slices covering ``0..n_rows`` (one slice for small data)."""
    if n_rows * row_size <= SMALL:
        return [slice(0, n_rows)]
    step = chunk_rows(n_rows, row_size)
    return [slice(start, min(start + step, n_rows)) for start in range(0, max(n_rows, 1), step)]


def row_mean(values: Callable[[slice], np.ndarray], n_rows: int,
             weights: np.ndarray | None, row_size: int = 1) -> float:
    """Keras' reduction (:func:`~fittrack.metrics.common.per_row_mean`) of
    ``values(rows)``, computed for one chunk of rows at a time.

    One chunk (small data) is exactly ``per_row_mean(values(all rows), weights)``.
    """
    chunks = row_chunks(n_rows, row_size)
    if len(chunks) == 1:
        return per_row_mean(values(chunks[0]), weights)
    if weights is not None and weights.sum() == 0:
        return 0.0
    total = 0.0
    for rows in chunks:
        v = np.asarray(values(rows))
        if v.dtype == bool and weights is None and v[:1].size == 1:  # hits: an exact count
            total += np.count_nonzero(v)
            continue
        v = row_values(v.astype(np.float64, copy=False))
        total += float(v.sum() if weights is None else v @ weights[rows])
    return total / (n_rows if weights is None else float(weights.sum()))


def all_finite(array: np.ndarray) -> bool:
    """Whether every element is finite, without a temporary of the array's size.

    A finite sum proves it at once (a NaN or an infinity makes the sum
    non-finite); otherwise (a NaN, or finite values whose sum overflows) the
    elements are checked one chunk at a time.
    """
    if array.dtype.kind != "f":
        return True
    if array.size <= SMALL:
        return bool(np.isfinite(array).all())
    with np.errstate(over="ignore", invalid="ignore"):
        if np.isfinite(np.sum(array)):
            return True
    return all(np.isfinite(array[rows]).all() for rows in row_chunks(len(array), array[:1].size))
