"""Exact ranking sums of large inputs: sorted packed keys, read one chunk at a time.

Each class's scores (exact in float32) and 0/1 labels are packed into one
integer key per row: ``uint32`` for non-negative scores (probabilities: the
raw float32 bits shifted left, the label in the lowest bit), ``uint64``
otherwise (logits: the bits mapped to an order-preserving integer first). The
keys are complemented so that one ascending ``np.sort`` ranks the rows from
the highest score down, with the positives of a group of tied scores first.
The sorted keys are then read in chunks that end where a tied group starts;
each chunk is summed in closed form (no per-threshold arrays): a negative
counts the positives ranked above it, a positive the precision at its rank,
then each tied group's positives get the group's precision and its
(positive, negative) pairs count half, as scikit-learn's curves count them.
A tied group longer than a chunk is summed from its bounds (binary searches).

The keys of a few classes at a time (``GROUP`` elements) and a chunk's
temporaries are the whole extra memory: a fraction of the scores' (issue 17).

Example:
    >>> keys = sorted_keys(np.array([[0.9], [0.5], [0.5], [0.1]]), np.array([[1], [0], [1], [0]]),
    ...                    range(1), signed=False)
    >>> scan_sorted(keys[0])
    (2, 2, 3.5, 1.6666666666666665)
"""

from __future__ import annotations

import numpy as np

from fittrack.metrics.chunks import chunk_rows, row_chunks

#: keys of at most this many elements are sorted at once (a few classes of a large input)
GROUP = 1 << 20


def positive_column(positive: np.ndarray, c: int) -> np.ndarray:
    """Column ``c``'s 0/1 (or boolean) labels: of an ``(N, C)`` 0/1 matrix, or of
    ``(N,)`` class indices (one-vs-rest)."""
    return positive[:, c] if positive.ndim == 2 else positive == c


def sorted_sums(scores: np.ndarray, positive: np.ndarray) -> tuple[np.ndarray, ...]:
    """``(n_pos, n_neg, area, ap_sum)`` per column of ``(N, C)`` scores: a few classes'
    keys at a time, each class read in chunks."""
    n, n_classes = scores.shape
    signed = bool(np.min(scores) < 0)
    group = max(1, GROUP // n)
    sums = [scan_sorted(keys)
            for first in range(0, n_classes, group)
            for keys in sorted_keys(scores, positive, range(first, min(first + group, n_classes)),
                                    signed)]
    return tuple(np.array(v, dtype=np.float64) for v in zip(*sums))


def sorted_keys(scores: np.ndarray, positive: np.ndarray, classes: range,
                signed: bool) -> np.ndarray:
    """``(len(classes), N)`` keys, each row sorted: ascending keys are descending scores,
    a tied group's positives first; the lowest bit is 1 for a negative row."""
    keys = np.empty((len(classes), len(scores)), np.uint64 if signed else np.uint32)
    for row, c in zip(keys, classes):
        if signed:
            for rows in row_chunks(len(scores)):
                row[rows] = _signed_keys(scores[rows, c], positive_column(positive[rows], c))
        else:  # the raw float32 bits of non-negative scores sort like them; the shift
            column = scores[:, c]  # drops the sign bit of -0.0, which becomes +0.0
            if column.dtype == np.float32:
                np.left_shift(column.view(np.uint32), 1, out=row)
            else:
                row.view(np.float32)[...] = column
                np.left_shift(row, 1, out=row)
            np.bitwise_or(row, positive_column(positive, c), out=row, casting="unsafe")
            np.invert(row, out=row)
    keys.sort(axis=1)
    return keys


def _signed_keys(scores: np.ndarray, positive: np.ndarray) -> np.ndarray:
    bits = (scores + np.float32(0.0)).astype(np.float32).view(np.uint32).astype(np.uint64)
    negative = (bits >> np.uint64(31)) == 1
    ordered = np.where(negative, bits ^ np.uint64(0xFFFFFFFF), bits | np.uint64(0x80000000))
    return ~((ordered << np.uint64(1)) | positive.astype(np.uint64))


def scan_sorted(keys: np.ndarray) -> tuple[int, int, float, float]:
    """``(n_pos, n_neg, area, ap_sum)`` of one class's sorted keys (:func:`sorted_keys`).

    The keys are read one chunk at a time; a chunk ends where a group of tied
    scores starts, and a group longer than a chunk is counted whole from its
    bounds (two binary searches). Twice the area is an integer, summed exactly.
    """
    n, step = len(keys), chunk_rows(len(keys))
    tps = fps = area2 = 0
    ap_sum = 0.0
    start = 0
    while start < n:
        stop = _group_start(keys, min(start + step, n))
        if stop > start:
            pos, neg, chunk_area2, chunk_ap = _chunk_sums(keys[start:stop], start, tps)
        else:                            # one tied group from start on, longer than a chunk
            stop, pos = _group(keys, start)
            neg = stop - start - pos
            chunk_area2, chunk_ap = neg * (2 * tps + pos), pos * (tps + pos) / stop
        tps, fps = tps + pos, fps + neg
        area2 += chunk_area2
        ap_sum += chunk_ap
        start = stop
    return tps, fps, area2 / 2, ap_sum


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
    at = np.flatnonzero((block & 1) == 0)            # ranks of the positives in the chunk
    pos, neg = len(at), m - len(at)
    # sum over negatives of the positives above: tps + (rank - negatives above it in the chunk)
    area2 = 2 * (neg * tps + (m * (m - 1) // 2 - int(at.sum())) - neg * (neg - 1) // 2)
    precision = np.arange(tps + 1, tps + pos + 1, dtype=np.float64)
    precision /= at + (offset + 1)
    tied = np.flatnonzero((block[1:] ^ block[:-1]) <= 1)   # rank i ties with i + 1
    if len(tied):
        new = np.ones(len(tied), dtype=bool)
        new[1:] = tied[1:] != tied[:-1] + 1
        first, last = tied[new], tied[np.append(new[1:], True)] + 1   # group = first..last
        lo = np.searchsorted(at, first)
        in_group = np.searchsorted(at, last, side="right") - lo
        area2 -= int(np.dot(in_group, last - first + 1 - in_group))
        members = np.repeat(lo - (np.cumsum(in_group) - in_group), in_group) \
            + np.arange(in_group.sum())
        precision[members] = np.repeat((tps + lo + in_group) / (last + offset + 1), in_group)
    return pos, neg, area2, float(precision.sum())
