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
the positives ranked above it, a positive the precision at its rank; then the
tied groups that hold a positive, found from the positives' neighbours (one
binary search per group: the work follows the positives, not the ties), give
their positives the group's precision and count their (positive, negative)
pairs half, as scikit-learn's curves count them. A tied group longer than a
chunk is summed from its bounds (binary searches). Twice the ROC area is an
integer, summed exactly.

The keys of a few classes at a time and a chunk's temporaries are the whole
extra memory: a fraction of the scores' (issue 17). Scores can come from a
function of the rows (the softmax of logits, computed per chunk of rows). On
a large input the groups of classes are packed, sorted and summed on a few
threads (:mod:`fittrack.metrics.parallel`), with the same sums.

Example:
    >>> scores = np.array([[0.9], [0.5], [0.5], [0.1]])
    >>> sorted_sums(lambda rows: scores[rows], 4, 1, np.array([[1], [0], [1], [0]]), np.float32)
    (array([2.]), array([2.]), array([3.5]), array([1.66666667]))
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import chain

import numpy as np

from fittrack.metrics import parallel
from fittrack.metrics.chunks import PIECES, chunk_rows, row_chunks

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
    group = max(1, max(GROUP, n * n_classes // 4) // n)   # classes whose keys are made at once
    if n * n_classes >= parallel.THREADS_FROM:     # a group per thread: all of them busy
        group = min(group, -(-n_classes // parallel.threads()))
    # ranks per chunk of the scan: with many classes, longer chunks (fewer calls); the
    # temporaries of a chunk (up to about 30 bytes a rank) stay a fraction of the scores'
    step = max(chunk_rows(n), n * n_classes // (4 * PIECES))

    def group_sums(first: int) -> list[tuple[int, int, float, float]]:
        classes = range(first, min(first + group, n_classes))
        keys, split = _packed_keys(values, n, n_classes, classes, positive, np.dtype(dtype))
        return [_class_sums(row, int(m), step) for row, m in zip(keys, split)]

    groups = parallel.parallel_map(group_sums, range(0, n_classes, group), elements=n * n_classes)
    return tuple(np.array(v, dtype=np.float64) for v in zip(*chain.from_iterable(groups)))


def _class_sums(keys: np.ndarray, m: int, step: int) -> tuple[int, int, float, float]:
    """Sort one class's keys in place (non-negative scores ``keys[:m]``, then negative
    ones) and sum them: ``(n_pos, n_neg, area, ap_sum)``."""
    keys[:m].sort()
    keys[m:].sort()
    high = scan_sorted(keys[:m], step=step)
    low = scan_sorted(keys[m:], offset=m, tps=high[0], step=step)
    return (high[0] + low[0], high[1] + low[1], (high[2] + low[2]) / 2, high[3] + low[3])


def _packed_keys(values: Callable[[slice], np.ndarray], n: int, n_classes: int, classes: range,
                 positive: np.ndarray, dtype: np.dtype) -> tuple[np.ndarray, np.ndarray]:
    """``(keys, split)``: per class, the keys of its non-negative scores
    (``keys[i, :split[i]]``) and of its negative ones (``keys[i, split[i]:]``), unsorted.

    While no score is negative (probabilities), a chunk of rows is packed for all
    the classes at once: one transposed copy of the score bits, then in place."""
    keys = np.empty((len(classes), n), _BITS[dtype])
    front, back = np.zeros(len(classes), np.int64), np.full(len(classes), n, np.int64)
    sign = keys.dtype.type(1) << keys.dtype.type(8 * keys.itemsize - 1)
    # chunks of rows sized by the classes packed, up to 4x when values(rows) (all the
    # classes: a softmax of logits is computed) is much wider
    for rows in row_chunks(n, max(len(classes), n_classes // 4)):
        block = values(rows)[:, classes.start:classes.stop].astype(dtype, copy=False)
        if (front == front[0]).all():
            out = keys[:, front[0]:front[0] + len(block)]
            out[...] = block.view(out.dtype).T
            if not (out > sign).any():               # no negative score (-0.0 is the sign)
                _pack(out, _class_labels(positive[rows], classes), out, flip=False)
                front += len(block)
                continue
        labels = _class_labels(positive[rows], classes)
        for i, (v, label) in enumerate(zip(block.T, labels)):
            minus = v < 0
            if minus.any():
                back[i] -= int(minus.sum())
                _pack(-v[minus], label[minus], keys[i, back[i]:back[i] + int(minus.sum())],
                      flip=True)
                v, label = v[~minus], label[~minus]
            _pack(v, label, keys[i, front[i]:front[i] + len(v)], flip=False)
            front[i] += len(v)
    return keys, front


def _class_labels(labels: np.ndarray, classes: range) -> np.ndarray:
    """``(len(classes), rows)`` 0/1 labels of ``classes``: columns of an ``(rows, C)``
    0/1 matrix, or of ``(rows,)`` class indices (one-vs-rest)."""
    if labels.ndim == 2:
        return labels[:, classes.start:classes.stop].T
    return labels == np.arange(classes.start, classes.stop).astype(labels.dtype)[:, None]


def _pack(scores: np.ndarray, positive: np.ndarray, out: np.ndarray, flip: bool) -> None:
    """Keys of non-negative ``scores`` into ``out``: complemented (the highest score
    first), or for the magnitudes of negative scores (``flip``) not complemented."""
    bits = scores if scores.dtype == out.dtype else scores.view(out.dtype)
    np.left_shift(bits, 1, out=out)
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
    precision at its rank; then each tied group holding a positive is found
    from the positives' keys (binary searches: the work follows the positives,
    not the ties): its positives (first in it) get the group's precision, and
    its (positive, negative) pairs count half.
    """
    m = len(block)
    at = np.flatnonzero((block & 1) == 0)            # ranks of the positives in the chunk
    pos, neg = len(at), m - len(at)
    # sum over negatives of the positives above: tps + (rank - negatives above it in the chunk)
    area2 = 2 * (neg * tps + (m * (m - 1) // 2 - int(at.sum())) - neg * (neg - 1) // 2)
    precision = np.arange(tps + 1, tps + pos + 1, dtype=np.float64)
    precision /= np.add(at, offset + 1, dtype=np.float64)
    tied = _tied(block, at)                          # positives in a tied group, by index in at
    if len(tied):
        key = block[at[tied]]                        # a group's positives share one key
        starts = np.flatnonzero(np.diff(key, prepend=key[0] ^ 1))
        lo = tied[starts]                            # positives above each group
        in_group = np.diff(starts, append=len(tied))  # all of a group's positives are tied
        first = at[lo]                               # its positives come first: group = first..
        last = np.searchsorted(block, key[starts] | 1, side="right") - 1        # ..last
        area2 -= int(np.dot(in_group, last - first + 1 - in_group))
        members = np.repeat(lo - (np.cumsum(in_group) - in_group), in_group) \
            + np.arange(in_group.sum())
        precision[members] = np.repeat((tps + lo + in_group) / (last + offset + 1), in_group)
    return pos, neg, area2, float(precision.sum())


def _tied(block: np.ndarray, at: np.ndarray) -> np.ndarray:
    """Indices in ``at`` of the positives whose score ties with a neighbour's."""
    last = len(block) - 1
    if len(at) * 4 > len(block):                     # many positives: one pass over the keys
        same = np.empty(len(block) + 1, dtype=bool)  # same[i + 1]: rank i ties with i + 1
        same[0] = same[-1] = False
        np.equal(block[1:] | 1, block[:-1] | 1, out=same[1:-1])
        return np.flatnonzero(same[at] | same[at + 1])
    score = block[at] | 1                            # the key without its label bit
    above = (block[np.maximum(at - 1, 0)] | 1 == score) & (at > 0)
    below = (block[np.minimum(at + 1, last)] | 1 == score) & (at < last)
    return np.flatnonzero(above | below)
