"""Exact ranking sums by sorting packed keys, read one chunk of ranks at a time.

Each class's scores and 0/1 labels are packed into one unsigned integer key
per row: the score's bits shifted left (``uint32`` for scores exact in
float32, ``uint64`` for float64 ones; the shift also drops the sign of -0.0),
the label in the lowest bit, complemented, so that one ascending ``np.sort``
ranks the rows from the highest score down with the positives of a group of
tied scores first. Negative scores (logits) are packed from their magnitudes
(not complemented) into the end of the same array and sorted apart: they rank
below every non-negative score, in the order of their magnitudes. The lowest
bit of every key is 1 for a negative row.

The sorted keys are read in chunks that end where a tied group starts; each
chunk is summed in closed form (no per-threshold arrays): a negative counts
the positives ranked above it, a positive the precision at its rank, then
each tied group's positives get the group's precision and its (positive,
negative) pairs count half, as scikit-learn's curves count them. A tied group
longer than a chunk is summed from its bounds (binary searches). Twice the
ROC area is an integer, summed exactly.

The keys of a few classes at a time and a chunk's temporaries are the whole
extra memory: a fraction of the scores' (issue 17). Scores can come from a
function of the rows (the softmax of logits, computed per chunk of rows).

Example:
    >>> scores = np.array([[0.9], [0.5], [0.5], [0.1]])
    >>> sorted_sums(lambda rows: scores[rows], 4, 1, np.array([[1], [0], [1], [0]]), np.float32)
    (array([2.]), array([2.]), array([3.5]), array([1.66666667]))
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from fittrack.metrics.chunks import chunk_rows, row_chunks

#: keys of at least this many elements are sorted at once (more for many classes)
GROUP = 1 << 20
_BITS = {np.dtype(np.float32): np.uint32, np.dtype(np.float64): np.uint64}


def positive_column(positive: np.ndarray, c: int) -> np.ndarray:
    """Column ``c``'s 0/1 (or boolean) labels: of an ``(N, C)`` 0/1 matrix, or of
    ``(N,)`` class indices (one-vs-rest)."""
    return positive[:, c] if positive.ndim == 2 else positive == c


def sorted_sums(values: Callable[[slice], np.ndarray], n: int, n_classes: int,
                positive: np.ndarray, dtype: type) -> tuple[np.ndarray, ...]:
    """``(n_pos, n_neg, area, ap_sum)`` of every class.

    Args:
        values: ``values(rows)`` is the ``(len(rows), n_classes)`` scores of rows ``rows``.
        n, n_classes: the number of rows and of classes (columns).
        positive: an ``(n, C)`` 0/1 matrix, or ``(n,)`` class indices.
        dtype: ``np.float32`` when every score is exact in float32, else ``np.float64``.
    """
    group = max(1, max(GROUP, n * n_classes // 4) // n)
    sums = []
    for first in range(0, n_classes, group):
        classes = range(first, min(first + group, n_classes))
        keys, split = _sorted_keys(values, n, n_classes, classes, positive, np.dtype(dtype))
        for row, m in zip(keys, split):
            step = chunk_rows(n)                     # non-negative scores, then negative ones
            high = scan_sorted(row[:m], step=step)
            low = scan_sorted(row[m:], offset=m, tps=high[0], step=step)
            sums.append((high[0] + low[0], high[1] + low[1], (high[2] + low[2]) / 2,
                         high[3] + low[3]))
    return tuple(np.array(v, dtype=np.float64) for v in zip(*sums))


def _sorted_keys(values: Callable[[slice], np.ndarray], n: int, n_classes: int, classes: range,
                 positive: np.ndarray, dtype: np.dtype) -> tuple[np.ndarray, np.ndarray]:
    """``(keys, split)``: per class, the sorted keys of its non-negative scores
    (``keys[i, :split[i]]``) and of its negative ones (``keys[i, split[i]:]``)."""
    keys = np.empty((len(classes), n), _BITS[dtype])
    front, back = np.zeros(len(classes), np.int64), np.full(len(classes), n, np.int64)
    for rows in row_chunks(n, n_classes):            # values(rows): (len(rows), n_classes)
        block, labels = values(rows), positive[rows]
        for i, c in enumerate(classes):
            v, label = block[:, c].astype(dtype, copy=False), positive_column(labels, c)
            negative = v < 0
            if negative.any():
                v, label, minus, minus_label = v[~negative], label[~negative], -v[negative], \
                    label[negative]
                back[i] -= len(minus)
                _pack(minus, minus_label, keys[i, back[i]:back[i] + len(minus)], flip=True)
            _pack(v, label, keys[i, front[i]:front[i] + len(v)], flip=False)
            front[i] += len(v)
    for row, m in zip(keys, front):
        row[:m].sort()
        row[m:].sort()
    return keys, front


def _pack(scores: np.ndarray, positive: np.ndarray, out: np.ndarray, flip: bool) -> None:
    """Keys of non-negative ``scores`` into ``out``: complemented (the highest score
    first), or for the magnitudes of negative scores (``flip``) not complemented."""
    np.left_shift(scores.view(out.dtype), 1, out=out)
    label = positive == 0 if flip else positive
    np.bitwise_or(out, label, out=out, dtype=out.dtype, casting="unsafe")
    if not flip:
        np.invert(out, out=out)


def scan_sorted(keys: np.ndarray, offset: int = 0, tps: int = 0,
                step: int | None = None) -> tuple[int, int, int, float]:
    """``(n_pos, n_neg, 2 * area, ap_sum)`` of sorted keys ranked from ``offset``
    on, below ``tps`` positives (the keys of higher scores, summed apart).

    The keys are read one chunk at a time; a chunk ends where a group of tied
    scores starts, and a group longer than a chunk is counted whole from its
    bounds (two binary searches). ``step``: the ranks of a chunk.
    """
    n, step = len(keys), step or chunk_rows(len(keys))
    tps0, fps, area2 = tps, 0, 0
    ap_sum = 0.0
    start = 0
    while start < n:
        stop = _group_start(keys, min(start + step, n))
        if stop > start:
            pos, neg, chunk_area2, chunk_ap = _chunk_sums(keys[start:stop], offset + start, tps)
        else:                            # one tied group from start on, longer than a chunk
            stop, pos = _group(keys, start)
            neg = stop - start - pos
            chunk_area2, chunk_ap = neg * (2 * tps + pos), pos * (tps + pos) / (offset + stop)
        tps, fps = tps + pos, fps + neg
        area2 += chunk_area2
        ap_sum += chunk_ap
        start = stop
    return tps - tps0, fps, area2, ap_sum


def _group_start(keys: np.ndarray, i: int) -> int:
    """The first rank of the tied group holding rank ``i`` (``len(keys)`` past the end)."""
    if i >= len(keys):
        return len(keys)
    return int(np.searchsorted(keys, keys[i] & ~keys.dtype.type(1), side="left"))


def _group(keys: np.ndarray, start: int) -> tuple[int, int]:
    """``(stop, positives)`` of the tied group starting at rank ``start``."""
    negative_key = keys[start] | keys.dtype.type(1)
    stop = int(np.searchsorted(keys, negative_key, side="right"))
    return stop, int(np.searchsorted(keys, negative_key, side="left")) - start


def _chunk_sums(block: np.ndarray, offset: int, tps: int) -> tuple[int, int, int, float]:
    """``(positives, negatives, 2 * area, ap_sum)`` of whole tied groups at ranks
    ``offset...``, below ``tps`` positives.

    Untied, a negative counts the positives above it and a positive the
    precision at its rank; a tied group's positives (first in it) are then
    given the group's precision, and its (positive, negative) pairs count half.
    """
    m = len(block)
    flags = block & 1                                # 1 for a negative row
    at = np.flatnonzero(flags == 0)                  # ranks of the positives in the chunk
    pos, neg = len(at), m - len(at)
    # sum over negatives of the positives above: tps + (rank - negatives above it in the chunk)
    area2 = 2 * (neg * tps + (m * (m - 1) // 2 - int(at.sum())) - neg * (neg - 1) // 2)
    precision = np.arange(tps + 1, tps + pos + 1, dtype=np.float64)
    precision /= np.add(at, offset + 1, dtype=np.float64)
    tied = np.flatnonzero((block[1:] ^ block[:-1]) <= 1)   # rank i ties with i + 1
    if len(tied):
        new = np.empty(len(tied), dtype=bool)
        new[0] = True
        np.not_equal(tied[1:], tied[:-1] + 1, out=new[1:])
        starts = np.flatnonzero(new)
        first = tied[starts]                                      # group = first..last
        last = np.append(tied[starts[1:] - 1], tied[-1]) + 1
        negatives = np.cumsum(flags, dtype=flags.dtype)           # at or above each rank
        lo = first - (negatives[first] - flags[first]).astype(np.int64)   # positives above
        in_group = last + 1 - negatives[last].astype(np.int64) - lo
        area2 -= int(np.dot(in_group, last - first + 1 - in_group))
        members = np.repeat(lo - (np.cumsum(in_group) - in_group), in_group) \
            + np.arange(in_group.sum())
        precision[members] = np.repeat((tps + lo + in_group) / (last + offset + 1), in_group)
    return pos, neg, area2, float(precision.sum())
