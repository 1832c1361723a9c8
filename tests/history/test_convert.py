"""from_dict: aligning Keras History lists with epochs."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from fittrack.history import MetricHistory
from fittrack.notices import FittrackWarning


def test_equal_lengths_align_one_to_one():
    h = MetricHistory.from_dict({"loss": [3, 2, 1], "acc": [0.1, 0.2, 0.3]})
    assert h.epoch == [0, 1, 2]
    assert h.history == {"loss": [3.0, 2.0, 1.0], "acc": [0.1, 0.2, 0.3]}


def test_validation_freq_rule():
    h = MetricHistory.from_dict({"loss": [6, 5, 4, 3, 2, 1], "val_loss": [5.5, 3.5, 1.5]})
    frame = h.to_frame()
    assert frame.index[frame["val_loss"].notna()].tolist() == [1, 3, 5]
    # the same rule with an initial epoch: epochs 4..7 validate at 5 and 7
    h = MetricHistory.from_dict({"loss": [4, 3, 2, 1], "val_loss": [2.5, 0.5]},
                                epochs=[4, 5, 6, 7])
    frame = h.to_frame()
    assert frame.index[frame["val_loss"].notna()].tolist() == [5, 7]
    assert h.history["val_loss"] == [2.5, 0.5]


def test_every_third_epoch_and_the_fallback():
    h = MetricHistory.from_dict({"loss": list(range(9)), "f1": [0.1, 0.2, 0.3]})
    frame = h.to_frame()
    assert frame.index[frame["f1"].notna()].tolist() == [2, 5, 8]
    # 2 values over 3 epochs: no rule fits, the first epochs
    h = MetricHistory.from_dict({"loss": [3, 2, 1], "late": [0.5, 0.6]})
    frame = h.to_frame()
    assert frame.index[frame["late"].notna()].tolist() == [0, 1]


def test_key_order_and_values_are_kept():
    source = {"val_loss": [1.0], "loss": [4.0, 3.0], "z": [np.float32(0.5), np.nan]}
    h = MetricHistory.from_dict(source)
    assert h.keys() == ["val_loss", "loss", "z"]
    assert h["z"][0] == 0.5 and np.isnan(h["z"][1])


def test_errors_and_edge_cases():
    with pytest.raises(ValueError, match="only 2 epochs"):
        MetricHistory.from_dict({"loss": [1, 2, 3]}, epochs=[0, 1])
    with pytest.raises(ValueError, match="shape"):
        MetricHistory.from_dict({"loss": [[1, 2], [3, 4]]})
    assert len(MetricHistory.from_dict({})) == 0
    h = MetricHistory.from_dict({"loss": [], "acc": [0.5]})
    assert h.keys() == ["acc"]  # an empty list records nothing
    h = MetricHistory.from_dict({}, epochs=[0, 1])
    assert h.epoch == [0, 1] and h.keys() == []


def test_a_count_that_fits_two_validation_freqs_warns_and_names_them():
    # fit(epochs=8, validation_freq=3) logs 2 values (epochs 2 and 5); so does 4 (3 and 7)
    with pytest.warns(FittrackWarning, match=r"validation_freq=3: epochs 2, 5.*epochs 3, 7 "
                                         r"\(validation_freq=4\)"):
        h = MetricHistory.from_dict({"loss": list(range(8)), "val_loss": [0.75, 0.55]})
    frame = h.to_frame()
    assert frame.index[frame["val_loss"].notna()].tolist() == [3, 7]
    with warnings.catch_warnings():
        warnings.simplefilter("error")        # one validation_freq fits: no warning
        MetricHistory.from_dict({"loss": list(range(10)), "val_loss": [1, 2, 3, 4, 5]})
        MetricHistory.from_dict({"loss": list(range(9)), "f1": [0.1, 0.2, 0.3]})
