"""Exact weighted ranking sums of large inputs: (score, row) keys sorted, read by chunks.

With sample weights, each row's weight must follow its score through the sort:
one ``uint64`` key per row, the order-preserving bits of its float32 score
(complemented, so the highest score sorts first) above its row index, sorted
once per class. The sorted keys are then read one chunk of ranks at a time:
the chunk's weights and labels are gathered by row, the weighted positives
and rows ranked so far summed, and at the end of each group of tied scores
the ROC trapezoid and the precision times the positives gained are added, as
scikit-learn sums its weighted curves. The extra memory is the keys (8 bytes
per row) and one chunk's temporaries, instead of the float64 curves of every
row.

Example:
    >>> scores = np.array([[0.9], [0.5], [0.5], [0.1]], dtype=np.float32)
    >>> weighted_sums(scores, np.array([[1], [0], [1], [0]]), np.array([1.0, 2.0, 1.0, 1.0]))
    (array([2.]), array([3.]), array([5.]), array([1.5]))
"""

from __future__ import annotations

import numpy as np

from fittrack.metrics.chunks import chunk_rows
from fittrack.metrics.sorted_ranks import positive_column

_LOW = np.uint64(0xFFFFFFFF)


def weighted_sums(scores: np.ndarray, positive: np.ndarray,
                  weights: np.ndarray) -> tuple[np.ndarray, ...]:
    """``(n_pos, n_neg, area, ap_sum)`` (weighted) of every column of ``(N, C)``
    scores exact in float32, against an ``(N, C)`` 0/1 matrix or ``(N,)`` classes."""
    sums = [_scan(_sorted_keys(scores[:, c]), positive_column(positive, c), weights)
            for c in range(scores.shape[1])]
    return tuple(np.array(v, dtype=np.float64) for v in zip(*sums))


def _sorted_keys(scores: np.ndarray) -> np.ndarray:
    """Row indices in the low 32 bits, below the complemented order-preserving bits of
    the float32 scores: sorted ascending, the highest score first."""
    n, step = len(scores), _step(len(scores))
    keys = np.empty(n, np.uint64)
    for rows in (slice(start, min(start + step, n)) for start in range(0, n, step)):
        bits = (scores[rows] + np.float32(0.0)).astype(np.float32).view(np.uint32)  # -0.0 -> 0.0
        flip = (np.uint32(0) - (bits >> np.uint32(31))) | np.uint32(0x80000000)
        high = ~(bits ^ flip)                      # negatives: all bits flipped; others: the sign
        keys[rows] = (high.astype(np.uint64) << np.uint64(32)) \
            | np.arange(rows.start, rows.stop, dtype=np.uint64)
    keys.sort()
    return keys


def _step(n: int) -> int:
    """Ranks per chunk: a quarter of the usual chunk (the keys already take 8 bytes per
    row, a chunk about 60 bytes per rank), at least 2048."""
    return max(2048, chunk_rows(n) // 4)


def _scan(keys: np.ndarray, positive: np.ndarray, weights: np.ndarray) -> tuple[float, ...]:
    """``(n_pos, n_neg, area, ap_sum)`` of one class's sorted keys."""
    n, step = len(keys), _step(len(keys))
    tps = seen = 0.0                  # weighted positives and rows ranked so far
    last = (0.0, 0.0)                 # (tps, fps) at the last threshold
    area = ap_sum = 0.0
    for start in range(0, n, step):
        stop = min(start + step, n)
        block = keys[start:stop]
        rows = (block & _LOW).astype(np.intp)
        w = weights[rows]
        t = np.cumsum(w * positive[rows])
        t += tps
        s = np.cumsum(w)
        s += seen
        ends = np.flatnonzero((block[:-1] ^ block[1:]) > _LOW)   # the last rank of a group
        if stop == n or (block[-1] ^ keys[stop]) > _LOW:
            ends = np.append(ends, len(block) - 1)
        tk = t[ends]
        fk = s[ends] - tk
        t_prev, f_prev = np.append(last[0], tk[:-1]), np.append(last[1], fk[:-1])
        area += float(np.sum((fk - f_prev) * (tk + t_prev))) / 2.0
        predicted = tk + fk
        precision = np.divide(tk, predicted, out=np.zeros_like(tk), where=predicted > 0)
        ap_sum += float(np.sum((tk - t_prev) * precision))
        if len(ends):
            last = (tk[-1], fk[-1])
        tps, seen = t[-1], s[-1]
    return tps, seen - tps, area, ap_sum
