"""False and true positives at each distinct threshold: the counts behind the curves.

scikit-learn's ``confusion_matrix_at_thresholds``: the rows ranked from the
highest score down, tied scores forming one threshold, the (weighted) false
and true positives counted at each threshold. Unweighted scores exact in
float32 (model outputs) sort as packed ``(score bits, label)`` integer keys:
the order of the rows inside a tied group does not change the counts at its
end, so no row order (argsort) and no gather is needed, and the thresholds are
read back from the keys. Weighted or float64 scores sort as (score, row) keys.

Example:
    >>> fps, tps, thresholds = threshold_counts(
    ...     np.array([True, False, True, False]), np.array([0.9, 0.5, 0.5, 0.1], np.float32), None)
    >>> fps.tolist(), tps.tolist(), thresholds.tolist()
    ([0.0, 1.0, 2.0], [1.0, 2.0, 2.0], [0.8999999761581421, 0.5, 0.10000000149011612])
"""

from __future__ import annotations

import numpy as np

from fittrack.metrics.curves import sortable_bits

Counts = tuple[np.ndarray, np.ndarray, np.ndarray]


def threshold_counts(positive: np.ndarray, scores: np.ndarray,
                     weights: np.ndarray | None) -> Counts:
    """``(fps, tps, thresholds)`` at each distinct threshold, highest first (float64).

    ``positive``: boolean labels; ``weights``: None, or one weight per row (rows
    of weight zero are left out, as scikit-learn does)."""
    if weights is not None:
        keep = weights != 0
        positive, scores, weights = positive[keep], scores[keep], weights[keep]
    if not len(scores):
        raise ValueError("A curve needs rows with a non-zero weight; received none.")
    bits = sortable_bits(scores) if len(scores) < 2**32 else None
    if weights is None and bits is not None:
        return _packed_counts(bits, positive)
    order = _descending(scores, bits)
    scores, y = scores[order], positive[order].astype(np.float64)
    idx = np.append(np.flatnonzero(np.diff(scores)), len(scores) - 1)
    thresholds = scores[idx].astype(np.float64)
    if weights is None:
        tps = np.cumsum(y)[idx]
        return 1.0 + idx - tps, tps, thresholds
    w = weights[order]
    return np.cumsum((1.0 - y) * w)[idx], np.cumsum(y * w)[idx], thresholds


def _packed_counts(bits: np.ndarray, positive: np.ndarray) -> Counts:
    """Unweighted counts from one ascending sort of ``bits << 1 | label``: the rows at or
    above a threshold are those from its group's first row up, so every pass runs
    forwards over the sorted keys and only the per-threshold arrays are reversed."""
    one = bits.dtype.type(1)
    keys = np.left_shift(bits, 1, dtype=bits.dtype)   # uint32 bits are below 2**31: no overflow
    np.bitwise_or(keys, positive, out=keys, casting="unsafe")
    keys.sort()
    score_bits = keys >> one
    last = np.flatnonzero(score_bits[1:] != score_bits[:-1])  # of each group but the top one
    below = np.cumsum(keys & one, dtype=keys.dtype)   # positives up to each row (< 2**32 rows)
    starts = np.zeros(len(last) + 1, np.int64)        # each group's first row, ascending
    np.add(last, 1, out=starts[1:])
    before = np.zeros(len(starts), np.int64)          # positives below each group
    before[1:] = below[last]
    starts, before = starts[::-1], before[::-1]       # the highest threshold first
    tps = np.subtract(int(below[-1]), before, dtype=np.float64)
    fps = np.subtract(len(keys), starts, dtype=np.float64)
    fps -= tps
    return fps, tps, _scores_of(score_bits[starts])


def _scores_of(bits: np.ndarray) -> np.ndarray:
    """The float64 scores of :func:`~fittrack.metrics.curves.sortable_bits` keys."""
    if bits.dtype == np.uint64:        # sign flipped for positives, all bits for negatives
        negative = bits < np.uint64(0x80000000)
        bits = np.where(negative, bits ^ np.uint64(0xFFFFFFFF), bits ^ np.uint64(0x80000000))
    return bits.astype(np.uint32).view(np.float32).astype(np.float64)


def _descending(scores: np.ndarray, bits: np.ndarray | None) -> np.ndarray:
    """Row order by decreasing score, tied rows in row order (a stable sort); scores
    exact in float32 sort as packed (complemented score bits, row) integer keys,
    several times faster than a stable argsort."""
    if bits is None:
        return np.argsort(-scores, kind="stable")
    key = (np.uint64(0xFFFFFFFF) - bits.astype(np.uint64)) << np.uint64(32)
    key |= np.arange(len(scores), dtype=np.uint64)
    key.sort()
    return (key & np.uint64(0xFFFFFFFF)).astype(np.int64)
