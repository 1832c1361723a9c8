"""The x and y arrays a panel draws: gaps, smoothing, batch positions in epochs.

Example:
    >>> x, y = with_gaps([0, 1, 2, 3, 4], [1.0, 2.0, float("nan"), 4.0, 5.0])
    >>> x.tolist(), y.tolist()[:3]
    ([0.0, 1.0, nan, 3.0, 4.0], [1.0, 2.0, nan])
    >>> with_gaps([0, 1, 2, 3], [float("nan"), 2.0, float("nan"), 4.0])[1].tolist()
    [2.0, 4.0]
    >>> smooth([1.0, 1.0, 1.0], 0.9).tolist()
    [1.0, 1.0, 1.0]
"""

from __future__ import annotations

import itertools

import numpy as np
from numpy.typing import ArrayLike


def with_gaps(x: ArrayLike, y: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """The finite points of ``(x, y)``, with a break where a point is unexpectedly missing.

    Points logged at a regular stride (validation every 2 epochs) are joined;
    where the spacing grows past the smallest spacing (a NaN or a missing
    value) the line breaks, so a gap shows as a gap, not a straight segment.
    """
    xs = np.asarray(x, dtype=np.float64)
    ys = np.asarray(y, dtype=np.float64)
    keep = np.isfinite(xs) & np.isfinite(ys)
    x, y = xs[keep], ys[keep]
    if len(x) < 3:
        return x, y
    steps = np.diff(x)
    breaks = np.flatnonzero(steps > 1.5 * steps.min()) + 1
    return np.insert(x, breaks, np.nan), np.insert(y, breaks, np.nan)


def smooth(values: ArrayLike, weight: float) -> np.ndarray:
    """Exponential moving average with bias correction (TensorBoard's smoothing).

    ``weight`` in ``[0, 1)``: 0 returns the values, 0.9 smooths strongly. NaN
    values stay NaN and do not move the average.
    """
    if not 0.0 <= weight < 1.0:
        raise ValueError(f"smoothing must be in [0, 1) (0: none, 0.9: strong); "
                         f"received {weight!r}.")
    values = np.array(values, dtype=np.float64)
    if weight == 0.0:
        return values
    out = np.full_like(values, np.nan)
    average, norm = 0.0, 0.0
    for i, value in enumerate(values):
        if np.isfinite(value):
            average = weight * average + (1.0 - weight) * value
            norm = weight * norm + (1.0 - weight)
            out[i] = average / norm
    return out


def epoch_length(epoch: np.ndarray, batch: np.ndarray, step: np.ndarray) -> float:
    """Training batches per epoch, read from the batch rows' ``step - batch``.

    ``step`` counts batches from 1 across the run, so ``step - batch`` is the
    step of the epoch's first batch; its growth per epoch is the epoch length.
    Without two epochs to compare, the largest batch index + 1.
    """
    epoch, batch, step = (np.asarray(a, dtype=np.int64) for a in (epoch, batch, step))
    if len(epoch) == 0:
        return 1.0
    starts = {int(e): int(np.median(step[epoch == e] - batch[epoch == e]))
              for e in np.unique(epoch)}
    known = sorted(starts)
    lengths = [(starts[b] - starts[a]) / (b - a) for a, b in itertools.pairwise(known)]
    length = float(np.median(lengths)) if lengths else 0.0
    return max(length, float(batch.max()) + 1.0)


def batch_positions(epoch: ArrayLike, batch: ArrayLike, step: ArrayLike) -> np.ndarray:
    """Where batch rows go on an axis of epochs completed (never below 0).

    Batch ``b`` of epoch ``e`` is at ``e + (b + 1) / L`` (``L`` batches per
    epoch): the epochs completed when it was evaluated. The last batch of
    epoch ``e`` lands on ``e + 1``, where that axis puts epoch ``e``'s value.

    Example:
        >>> batch_positions([0, 0, 1, 1], [4, 9, 4, 9], [5, 10, 15, 20]).tolist()
        [0.5, 1.0, 1.5, 2.0]
    """
    epochs, batches = np.asarray(epoch, dtype=np.float64), np.asarray(batch, dtype=np.float64)
    length = epoch_length(epochs, batches, np.asarray(step))
    result: np.ndarray = epochs + (batches + 1.0) / length
    return result


def epoch_starts(epoch: ArrayLike, batch: ArrayLike, step: ArrayLike) -> list[float]:
    """The step of each epoch's first batch (for epoch boundaries on a step axis)."""
    e_, b_, s_ = (np.asarray(a, dtype=np.int64) for a in (epoch, batch, step))
    return [float(np.min(s_[e_ == e] - b_[e_ == e])) for e in np.unique(e_)]
