"""Per-class ranking sums behind ROC AUC and average precision, exact and fast.

For each class (column of scores) the rows are ranked from the highest score
down, tied scores forming one threshold as scikit-learn does, and two sums are
kept: the area under the (unnormalised) ROC curve and the sum of precision
times positives gained (the average precision before dividing by the
positives). ROC AUC is ``area / (n_pos * n_neg)``, PR AUC ``ap_sum / n_pos``.

Unweighted scores are ranked by ``np.sort`` of packed (score bits, label)
integer keys. Small inputs exact in float32 (model outputs) take one
vectorized pass for all classes: a ``(C, N)`` matrix of keys, one row-wise
sort, one cumulative sum; ties are corrected on the tied runs only. Other
inputs sort a few classes at a time (``uint32`` keys for scores exact in
float32, ``uint64`` for float64 ones) and read the sorted keys one chunk at a
time (:mod:`fittrack.metrics.sorted_ranks`), so that the memory stays a
fraction of the scores'. With weights, large inputs exact in float32 sort
(score, row) keys and read them in chunks
(:mod:`fittrack.metrics.weighted_ranks`); otherwise (small inputs, float64
scores) each class's curve is built with :func:`binary_curve` (weighted
counts) and summed.

Example:
    >>> s = ranking_sums(np.array([[0.9], [0.5], [0.5], [0.1]]),
    ...                  np.array([[1], [0], [1], [0]]), None)
    >>> s.area.tolist(), s.n_pos.tolist(), s.n_neg.tolist()
    ([3.5], [2.0], [2.0])
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fittrack.metrics.chunks import row_chunks
from fittrack.metrics.sorted_ranks import positive_column, sorted_sums
from fittrack.metrics.weighted_ranks import weighted_sums

#: up to this many scores, all classes are ranked in one vectorized pass
VECTORIZED = 1 << 15


@dataclass
class RankingSums:
    """Per-class totals: weighted positives and negatives, ROC area, AP sum."""

    n_pos: np.ndarray
    n_neg: np.ndarray
    area: np.ndarray
    ap_sum: np.ndarray


def ranking_sums(scores: np.ndarray, positive: np.ndarray,
                 weights: np.ndarray | None) -> RankingSums:
    """The sums of every column of ``(N, C)`` scores against ``positive``: an
    ``(N, C)`` 0/1 matrix, or ``(N,)`` class indices (column ``c`` against ``== c``)."""
    if weights is None:
        exact = float32_exact(scores)
        if exact and scores.size <= VECTORIZED:
            columns = np.arange(scores.shape[1])
            matrix = positive if positive.ndim == 2 else positive[:, None] == columns
            bits = sortable_bits(scores)
            assert bits is not None  # float32-exact scores have sortable bits
            return _packed_sums(bits, matrix)
        n_rows, n_classes = scores.shape
        return RankingSums(*sorted_sums(scores.__getitem__, n_rows, n_classes, positive,
                                        np.float32 if exact else np.float64))
    if scores.size > VECTORIZED and float32_exact(scores):
        return RankingSums(*weighted_sums(scores, positive, weights))
    sums = [curve_sums(*binary_curve(scores[:, c], positive_column(positive, c), weights))
            for c in range(scores.shape[1])]
    return RankingSums(*(np.array(v, dtype=np.float64) for v in zip(*sums)))


def float32_exact(scores: np.ndarray) -> bool:
    """Whether every score is exact in float32 (model outputs are), checked by chunks."""
    if scores.dtype == np.float32:
        return True
    if scores.dtype != np.float64:
        return False
    with np.errstate(over="ignore"):
        return all(np.array_equal(scores[rows].astype(np.float32), scores[rows])
                   for rows in row_chunks(len(scores), scores[:1].size))


def _packed_sums(bits: np.ndarray, positive: np.ndarray) -> RankingSums:
    """All classes at once (small inputs): one ``(C, N)`` sort, one cumulative sum;
    ties are corrected on the tied runs only."""
    one = bits.dtype.type(1)
    # Sorting the complement ascending leaves the keys in descending order, and puts the
    # positives of a tied group before its negatives.
    keys = ~((np.ascontiguousarray(bits.T) << one) | positive.T.astype(bits.dtype))
    keys.sort(axis=1)
    np.invert(keys, out=keys)
    n_classes, n_rows = keys.shape
    y = (keys & one).astype(np.int32)
    tp = np.cumsum(y, axis=1, dtype=np.int32)             # positives ranked at or above
    n_pos = tp[:, -1].astype(np.float64)
    # A negative counts the positives ranked above it: the sum of tp over negatives.
    area = tp.sum(axis=1, dtype=np.float64) - n_pos * (n_pos + 1) / 2
    # Precision at each positive: its rank among positives (tp) / its rank overall.
    at = np.flatnonzero(y)                   # one flat pass (2-D np.nonzero is 5x slower)
    row = at // n_rows
    ap_sum = _sum_by(row, tp.reshape(-1)[at] / (at - row * n_rows + 1), n_classes)
    tied = (keys[:, 1:] >> one) == (keys[:, :-1] >> one)
    if tied.any():
        _correct_ties(tied, tp, area, ap_sum)
    return RankingSums(n_pos, n_rows - n_pos, area, ap_sum)


def _correct_ties(tied: np.ndarray, tp: np.ndarray, area: np.ndarray, ap_sum: np.ndarray) -> None:
    """Count half of each tied (positive, negative) pair; give a tied group's
    positives the group's precision. Updates ``area`` and ``ap_sum`` in place."""
    row, col = np.nonzero(tied)                        # pair (col, col + 1) is tied
    new_run = np.ones(len(row), dtype=bool)
    new_run[1:] = (row[1:] != row[:-1]) | (col[1:] != col[:-1] + 1)
    starts = np.flatnonzero(new_run)
    ends = np.append(starts[1:], len(row)) - 1
    r, first, last = row[starts], col[starts], col[ends] + 1     # group = first..last
    before = np.where(first > 0, tp[r, first - 1], 0).astype(np.float64)
    in_group = tp[r, last] - before
    negatives = (last - first + 1) - in_group
    n_classes = len(area)
    area -= 0.5 * _sum_by(r, in_group * negatives, n_classes)
    # The group's positives sit first in it, at first..first+p-1 with ranks before+1..before+p;
    # they were counted at those partial precisions, and all deserve the group's.
    p = in_group.astype(np.int64)
    group = np.repeat(np.arange(len(r)), p)
    k = np.arange(len(group)) - np.repeat(np.cumsum(p) - p, p)          # 0..p-1
    counted = _sum_by(group, (before[group] + k + 1) / (first[group] + k + 1), len(r))
    exact = in_group * tp[r, last] / (last + 1)
    ap_sum += _sum_by(r, exact - counted, n_classes)


def _sum_by(index: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """float64 sums of ``values`` per ``index`` in ``0..n-1`` (zeros when empty)."""
    return np.bincount(index, weights=values, minlength=n).astype(np.float64, copy=False)


def curve_sums(fps: np.ndarray, tps: np.ndarray) -> tuple[float, float, float, float]:
    """``(n_pos, n_neg, area, ap_sum)`` of cumulative counts at each distinct threshold
    (highest first): the trapezoid area under the unnormalised ROC curve and the sum of
    precision times positives gained. Unweighted counts give the area exactly while
    ``2 * n_pos * n_neg < 2**53`` (float sums of integers); the AP sum may differ from a
    rank-ordered sum in its last bits."""
    n_pos, n_neg = tps[-1], fps[-1]
    fps_prev, tps_prev = np.append(0.0, fps[:-1]), np.append(0.0, tps[:-1])
    area = float(np.sum((fps - fps_prev) * (tps + tps_prev)) / 2.0)
    predicted = tps + fps
    precision = np.divide(tps, predicted, out=np.zeros_like(tps), where=predicted > 0)
    return float(n_pos), float(n_neg), area, float(np.sum((tps - tps_prev) * precision))


def binary_curve(scores: np.ndarray, positive: np.ndarray,
                 weights: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """Cumulative weighted false and true positives at each distinct threshold.

    Thresholds run from the highest score down; tied scores share a threshold.

    >>> fps, tps = binary_curve(np.array([0.9, 0.5, 0.5, 0.1]),
    ...                         np.array([1, 0, 1, 0]), None)
    >>> fps.tolist(), tps.tolist()
    ([0.0, 1.0, 2.0], [1.0, 2.0, 2.0])
    """
    bits = sortable_bits(scores)
    n = len(scores)
    if bits is not None:  # (score bits, row index): a sort is faster than an argsort
        packed = (bits.astype(np.uint64) << np.uint64(32)) | np.arange(n, dtype=np.uint64)
        key = np.sort(packed)[::-1]
        order, thresholds = (key & np.uint64(0xFFFFFFFF)).astype(np.int64), key >> np.uint64(32)
    else:
        order = np.argsort(scores)[::-1]
        thresholds = scores[order]
    y = positive[order].astype(np.float64)
    w = np.ones(n) if weights is None else weights[order]
    idx = np.append(np.flatnonzero(thresholds[1:] != thresholds[:-1]), n - 1)
    tps = np.cumsum(y * w)[idx]
    return np.cumsum(w)[idx] - tps, tps


def sortable_bits(scores: np.ndarray) -> np.ndarray | None:
    """Unsigned keys ordered as the scores, when every score is exact in float32.

    Model outputs are float32 (or float16): their 32-bit patterns, with the
    sign bit flipped for positives and all bits flipped for negatives, sort
    like the values, so one ``np.sort`` of packed integers replaces an argsort.
    Non-negative scores keep their raw patterns (``uint32``, below ``2**31``);
    others become ``uint64``. None for scores that need float64.

    >>> sortable_bits(np.array([0.5, -2.0, 0.0, -0.0, 3.0])).argsort().tolist()
    [1, 2, 3, 0, 4]
    """
    if scores.dtype != np.float32:
        s32 = scores.astype(np.float32)
        if not np.array_equal(s32, scores):
            return None
        scores = s32
    s32 = scores + np.float32(0.0)      # -0.0 -> +0.0 (and a contiguous copy)
    low = s32.min(initial=np.inf)       # (no score: +inf)
    if np.isnan(low):                   # the minimum of scores holding NaN is NaN
        return None
    bits = s32.view(np.uint32)
    if low >= 0:
        return bits                     # non-negative: the raw patterns, below 2**31
    bits = bits.astype(np.uint64)
    negative = (bits >> np.uint64(31)) == 1
    return np.where(negative, bits ^ np.uint64(0xFFFFFFFF), bits | np.uint64(0x80000000))
