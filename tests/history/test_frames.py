"""to_frame at the epoch and batch levels."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fittrack.history import MetricHistory


def test_epoch_frame():
    history = MetricHistory()
    history.record_epoch(2, {"loss": 0.5, "acc": float("nan")})
    history.record_epoch(3, {"loss": 0.25, "val_loss": 0.75})
    frame = history.to_frame()
    expected = pd.DataFrame({"loss": [0.5, 0.25], "acc": [np.nan, np.nan],
                             "val_loss": [np.nan, 0.75]},
                            index=pd.Index([2, 3], name="epoch"))
    pd.testing.assert_frame_equal(frame, expected)
    assert frame.index.dtype == np.int64


def test_batch_frame():
    history = MetricHistory()
    history.record_batch(5, 0, 4, {"loss": 1.5})
    history.record_batch(10, 1, 2, {"auc": 0.5})
    frame = history.to_frame("batch")
    assert list(frame.columns) == ["step", "epoch", "batch", "loss", "auc"]
    assert isinstance(frame.index, pd.RangeIndex)
    assert frame["step"].tolist() == [5, 10] and frame["step"].dtype == np.int64
    assert frame["batch"].tolist() == [4, 2] and frame["epoch"].tolist() == [0, 1]
    assert frame["loss"].iloc[0] == 1.5 and np.isnan(frame["loss"].iloc[1])
    assert np.isnan(frame["auc"].iloc[0]) and frame["auc"].iloc[1] == 0.5


def test_empty_frames_keep_their_shape():
    history = MetricHistory()
    epoch = history.to_frame()
    assert epoch.shape == (0, 0) and epoch.index.name == "epoch"
    assert list(history.to_frame("batch").columns) == ["step", "epoch", "batch"]


def test_bad_level():
    with pytest.raises(ValueError, match="'epoch' or 'batch'; received 'batches'"):
        MetricHistory().to_frame("batches")
