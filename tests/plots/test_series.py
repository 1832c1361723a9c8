"""Series helpers of the plots: gaps, smoothing, batch positions."""

from __future__ import annotations

import math

import numpy as np
import pytest

from fittrack.plots.series import batch_positions, epoch_length, smooth, with_gaps


def test_with_gaps():
    x, y = with_gaps([0, 1, 2, 3, 4, 5], [1, 2, math.nan, 4, math.inf, 6])
    assert np.isnan(x).sum() == 2  # breaks at the NaN and at the infinity
    assert list(y[np.isfinite(y)]) == [1, 2, 4, 6]
    x, y = with_gaps([1, 3, 5, 7], [1, 2, 3, 4])  # a regular stride: no break
    assert not np.isnan(x).any()


def test_smooth():
    values = [0.0, 1.0, math.nan, 1.0, 1.0]
    out = smooth(values, 0.5)
    assert out[0] == 0.0 and math.isnan(out[2])
    assert out[1] == pytest.approx((0.5 * 1.0) / 0.75)  # debiased EMA
    np.testing.assert_allclose(smooth(values, 0.0), values)
    with pytest.raises(ValueError):
        smooth(values, 1.0)


def test_epoch_length_and_positions():
    # 7 batches per epoch, evaluated every 3 steps: rows at steps 3, 6, 9, 12, 15, 18, 21
    steps = np.arange(3, 22, 3)
    epoch, batch = (steps - 1) // 7, (steps - 1) % 7
    assert epoch_length(epoch, batch, steps) == 7
    np.testing.assert_allclose(batch_positions(epoch, batch, steps), steps / 7)  # epochs done
    assert epoch_length([0, 0], [2, 5], [3, 6]) == 6  # one epoch seen: the largest batch + 1
