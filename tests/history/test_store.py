"""MetricHistory recording and reading, against Keras History semantics."""

from __future__ import annotations

import math

import numpy as np
import pytest

from fittrack.history import MetricHistory
from fittrack.history.columns import Table  # noqa: F401

from .conftest import KerasLikeHistory, same_floats

NAN = float("nan")


def _record(logs_per_epoch, epochs=None):
    history, keras_like = MetricHistory(), KerasLikeHistory()
    for i, logs in enumerate(logs_per_epoch):
        epoch = i if epochs is None else epochs[i]
        history.record_epoch(epoch, logs)
        keras_like.on_epoch_end(epoch, logs)
    return history, keras_like


def test_history_and_epoch_match_keras_semantics():
    logs = [{"loss": 0.9, "accuracy": 0.5},
            {"loss": 0.7, "accuracy": 0.6, "val_loss": 0.8, "val_accuracy": 0.55},
            {"loss": NAN, "accuracy": 0.7},
            {"loss": 0.5, "accuracy": 0.8, "val_loss": 0.6, "val_accuracy": 0.65, "auc": 0.9}]
    history, expected = _record(logs, epochs=[3, 4, 5, 6])
    assert history.keys() == list(expected.history)
    assert list(history.history) == list(expected.history)
    for key, values in expected.history.items():
        assert same_floats(history.history[key], values), key
        assert same_floats(history[key], values), key
    assert history.epoch == expected.epoch == [3, 4, 5, 6]
    assert len(history) == 4
    assert "val_loss" in history and "val_auc" not in history
    assert list(history) == history.keys()


def test_nan_is_kept_and_missing_is_skipped():
    history, _ = _record([{"a": 1.0, "b": NAN}, {"a": 2.0}, {"a": 3.0, "b": 4.0}])
    b = history["b"]
    assert len(b) == 2 and math.isnan(b[0]) and b[1] == 4.0
    frame = history.to_frame()
    assert frame["b"].isna().tolist() == [True, True, False]


def test_late_key_gets_a_column_and_order_of_first_appearance():
    history, _ = _record([{"z": 1.0}, {"a": 2.0, "z": 3.0}, {"m": 4.0}])
    assert history.keys() == ["z", "a", "m"]
    assert history["a"] == [2.0] and history["m"] == [4.0] and history["z"] == [1.0, 3.0]


def test_unknown_key_error_lists_available_keys():
    history, _ = _record([{"loss": 1.0, "val_loss": 2.0}])
    history.record_batch(1, 0, 0, {"batch_only": 0.5})
    with pytest.raises(KeyError, match=r"val_auc.*'loss', 'val_loss'"):
        history["val_auc"]
    with pytest.raises(KeyError, match="batch_values"):
        history["batch_only"]


def test_batch_level_reading():
    history = MetricHistory()
    assert history.last_step is None and history.steps == [] and history.batch_keys == []
    history.record_batch(2, 0, 1, {"loss": 0.5})
    history.record_batch(4, 0, 3, {"loss": 0.25, "acc": NAN})
    history.record_batch(6, 1, 1, {"acc": 0.75})
    assert history.steps == [2, 4, 6]
    assert history.last_step == 6
    assert history.batch_keys == ["loss", "acc"]
    assert history.batch_values("loss") == [0.5, 0.25]
    acc = history.batch_values("acc")
    assert math.isnan(acc[0]) and acc[1] == 0.75
    assert len(history) == 0 and history.keys() == []
    with pytest.raises(KeyError, match="Available batch keys"):
        history.batch_values("nope")


def test_greater_is_better_lookup():
    history = MetricHistory()
    history.set_greater_is_better("auc", True)
    history.set_greater_is_better("out_a_loss", False)
    history.set_greater_is_better("val_special", False)
    history.set_greater_is_better("median_ae", None)      # a user function, no direction
    history.set_greater_is_better("weird_error", True)    # the record wins over the name
    assert history.greater_is_better("auc") is True
    assert history.greater_is_better("val_auc") is True
    assert history.greater_is_better("val_out_a_loss") is False
    assert history.greater_is_better("val_special") is False
    assert history.greater_is_better("special") is None     # no record, no rule
    assert history.greater_is_better("f1") is True          # the registry
    assert history.greater_is_better("val_weird_error_keras") is True
    assert history.greater_is_better("val_median_ae") is None
    assert history.greater_is_better("my_loss") is False    # a name rule
    assert history.directions == {"auc": True, "out_a_loss": False, "val_special": False,
                                  "median_ae": None, "weird_error": True}
    with pytest.raises(TypeError, match="True, False or None"):
        history.set_greater_is_better("auc", "yes")


def test_best_uses_stored_direction_then_the_name():
    history, _ = _record([{"loss": 0.5, "val_auc": 0.7, "odd": 3.0},
                          {"loss": NAN, "val_auc": 0.9, "odd": 1.0},
                          {"loss": 0.2, "val_auc": 0.9, "odd": 2.0},
                          {"loss": 0.3, "val_auc": math.inf, "odd": 5.0}],
                         epochs=[10, 11, 12, 13])
    assert history.best("loss") == (12, 0.2)        # lower is better, NaN skipped
    assert history.best("val_auc") == (11, 0.9)     # higher, first of ties, inf skipped
    with pytest.raises(ValueError, match=r"direction of 'odd' is unknown.*"
                                         r"best\('odd', greater_is_better=True\)"):
        history.best("odd")                         # unknown name: no guess
    assert history.best("odd", greater_is_better=True) == (13, 5.0)
    assert history.best("odd", greater_is_better=False) == (11, 1.0)
    history.set_greater_is_better("odd", False)
    assert history.best("odd") == (11, 1.0)
    history.set_greater_is_better("odd", None)      # recorded unknown: still unknown
    with pytest.raises(ValueError, match="unknown"):
        history.best("odd")
    history.set_greater_is_better("auc", False)     # the stored direction wins over the name
    assert history.best("val_auc") == (10, 0.7)
    assert history.best("val_auc", greater_is_better=True) == (11, 0.9)


def test_best_errors():
    history, _ = _record([{"loss": NAN}, {"loss": math.inf}])
    with pytest.raises(ValueError, match="no finite value"):
        history.best("loss")
    with pytest.raises(KeyError, match="val_loss"):
        history.best("val_loss")


def test_truncate_drops_late_epochs_and_their_batches():
    history, _ = _record([{"loss": 3.0}, {"loss": 2.0, "auc": 0.5}, {"loss": 1.0, "f1": 0.1}])
    for step, epoch in [(1, 0), (2, 0), (3, 1), (4, 2)]:
        history.record_batch(step, epoch, step, {"loss": float(step), f"k{epoch}": 1.0})
    history.truncate(1)
    assert history.epoch == [0]
    assert history.history == {"loss": [3.0]}       # keys only seen in dropped rows are gone
    assert history.steps == [1, 2]
    assert history.batch_keys == ["loss", "k0"]
    history.record_epoch(1, {"loss": 1.5})
    assert history.history == {"loss": [3.0, 1.5]} and history.epoch == [0, 1]


def test_truncate_beyond_the_last_epoch_changes_nothing():
    history, _ = _record([{"loss": 3.0}, {"loss": 2.0}])
    revision = history.table("epoch").revision
    history.truncate(5)
    assert history.epoch == [0, 1] and history.table("epoch").revision == revision


def test_repr_is_a_short_summary():
    history, _ = _record([{f"k{i}": 1.0 for i in range(12)}])
    assert repr(MetricHistory()) == "MetricHistory(0 epochs, keys=[])"
    text = repr(history)
    assert text.startswith("MetricHistory(1 epochs, keys=['k0',") and "..." in text
    assert "k11" not in text
    history.record_batch(1, 0, 0, {"loss": 1.0})
    assert repr(history).endswith(", 1 batch rows)")


def test_bad_values_and_indexes_fail_clearly():
    history = MetricHistory()
    history.record_epoch(0, {"loss": 1.0})
    with pytest.raises(TypeError, match="'loss' must be a number"):
        history.record_epoch(1, {"loss": "high"})
    with pytest.raises(TypeError, match="must be a number"):
        history.record_epoch(1, {"loss": [1.0, 2.0]})
    with pytest.raises(TypeError, match="epoch must be integers"):
        history.record_epoch(1.5, {"loss": 1.0})
    with pytest.raises(TypeError, match="keys must be strings"):
        history.record_epoch(1, {3: 1.0})
    assert history.epoch == [0] and history.history == {"loss": [1.0]}  # nothing half-recorded


def test_numpy_scalars_are_accepted():
    history = MetricHistory()
    history.record_epoch(np.int64(0), {"loss": np.float32(0.5), "n": np.int64(3),
                                       "a": np.array(0.25)})
    assert history.history == {"loss": [0.5], "n": [3.0], "a": [0.25]}


def test_random_recording_matches_a_reference_model(rng):
    """Many rows, random key subsets, NaN, reads between appends, small buffers."""
    history = MetricHistory(buffer_rows=7)
    pool = [f"k{i}" for i in range(6)]
    reference: dict[str, list[float]] = {}
    steps = []
    for step in range(1, 400):
        keys = [k for k in pool if rng.random() < 0.6]
        values = {k: (NAN if rng.random() < 0.1 else float(rng.normal())) for k in keys}
        history.record_batch(step, step // 50, step % 50, values)
        steps.append(step)
        for k, v in values.items():
            reference.setdefault(k, []).append(v)
        if rng.random() < 0.05:  # a read in the middle forces a compaction
            k = next(iter(reference))
            assert same_floats(history.batch_values(k), reference[k])
    assert history.steps == steps
    assert history.batch_keys == list(reference)
    for k, values in reference.items():
        assert same_floats(history.batch_values(k), values), k


def test_pickle_and_deepcopy_keep_everything():
    import copy
    import pickle

    history, _ = _record([{"loss": 1.0}, {"loss": NAN, "auc": 0.5}])
    history.record_batch(1, 0, 0, {"x": 2.0})
    history.set_greater_is_better("auc", False)
    for clone in (pickle.loads(pickle.dumps(history)), copy.deepcopy(history)):
        assert clone.keys() == ["loss", "auc"] and clone["auc"] == [0.5]
        assert math.isnan(clone["loss"][1]) and clone.batch_values("x") == [2.0]
        assert clone.greater_is_better("val_auc") is False
        clone.record_epoch(2, {"loss": 3.0})  # the clone keeps recording on its own
        assert clone["loss"][-1] == 3.0 and len(history) == 2


def test_an_empty_key_is_refused_before_it_reaches_a_file():
    with pytest.raises(ValueError, match="cannot be empty"):
        MetricHistory.from_dict({"loss": [1.0], "": [2.0]})
    history = MetricHistory()
    with pytest.raises(ValueError, match="cannot be empty"):
        history.record_epoch(0, {"": 1.0})
