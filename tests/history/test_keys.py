"""One module decides the direction of a key: best(), the plots and the files agree."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fittrack.history import MetricHistory
from fittrack.history.groups import key_direction as plot_direction
from fittrack.history.keys import (
    check_key,
    key_direction,
    metadata_names,
    name_rule_direction,
    parse_key,
    registry_direction,
)
from fittrack.metrics.registry import available, lookup

USER = ["median_ae", "my_error", "my_score", "weird", "hit_rate", "worst_loss", "gain",
        "precision_at_5", "coverage"]
OUTPUTS = ["", "out_", "head_1_", "cls_"]
VALUES = [1.0, 3.0, 2.0]  # best epoch: 1 if greater is better, 0 if lower


def generated_keys() -> list[str]:
    """Keys of the grammar [val_][<output>_]<metric>[_<i>][_keras], over every registry name."""
    names = available() + USER
    parts = itertools.product(["", "val_"], OUTPUTS, names, ["", "_0", "_3"], ["", "_keras"])
    return [val + out + name + index + keras for val, out, name, index, keras in parts]


@pytest.fixture(scope="module")
def history() -> MetricHistory:
    keys = generated_keys()
    h = MetricHistory.from_dict({key: VALUES for key in keys})
    h.set_greater_is_better("median_ae", None)      # a user function with no direction
    h.set_greater_is_better("my_error", True)       # declared: wins over the name
    h.set_greater_is_better("val_head_1_gain", False)
    return h


def test_best_and_plots_agree_on_every_generated_key(history):
    keys = history.keys()
    assert len(keys) > 1000
    disagree, unknown = [], 0
    for key in keys:
        direction = plot_direction(history, key)
        assert direction is history.greater_is_better(key)
        if direction is None:
            unknown += 1
            with pytest.raises(ValueError, match="unknown"):
                history.best(key)
            continue
        if history.best(key) != ((1, 3.0) if direction else (0, 1.0)):
            disagree.append(key)
    assert disagree == []
    assert 0 < unknown < len(keys) // 4


def test_registry_names_keep_their_direction_under_every_prefix_and_suffix(history):
    registry = set(available())
    for key in history:
        name = parse_key(key).name
        metric = next((name[len(out):] for out in sorted(OUTPUTS, key=len, reverse=True)
                       if name.startswith(out) and name[len(out):] in registry), None)
        if metric is not None:
            assert history.greater_is_better(key) is lookup(metric).greater_is_better, key
    assert history.greater_is_better("val_cosine_0") is False     # disagreed before
    assert history.greater_is_better("val_cls_cosine_similarity_3_keras") is True


@pytest.mark.parametrize("key, greater", [
    ("val_f1_fn", True),                 # an F1 function, not false negatives of "f1"
    ("val_auc_fp", True), ("val_head_fn", False), ("val_head_auc", True),
    ("val_brier_score", False), ("brier", False), ("val_jaccard_distance", False),
    ("cosine_distance", False), ("val_jaccard", True), ("val_f1_score", True)])
def test_user_names_read_the_way_their_words_say(key, greater):
    # A Keras CSVLogger file has no metadata: the registry and the name rules decide;
    # each key's best epoch is then the one its values improve to (epoch 1 here).
    history = MetricHistory.from_dict({key: [2.0, 1.0, 1.5] if not greater else [1.0, 2.0, 1.5]})
    assert key_direction(key) is greater
    assert history.best(key)[0] == 1


def test_recorded_directions_come_first_and_none_is_final(history):
    for key in ("median_ae", "val_median_ae", "out_median_ae_keras", "val_median_ae_2"):
        assert history.greater_is_better(key) is None
    assert history.greater_is_better("val_my_error_keras") is True   # the name says lower
    assert history.greater_is_better("my_error_1") is True
    assert history.greater_is_better("val_head_1_gain") is False
    assert history.greater_is_better("head_1_gain") is None          # recorded for val_ only
    assert history.greater_is_better("worst_loss") is False          # name rule
    assert history.greater_is_better("weird") is None


def test_unknown_stays_unknown_without_a_history():
    assert plot_direction(None, "val_mae") is False
    assert plot_direction(None, "median_ae") is None
    assert plot_direction(None, "val_head_auc") is True


def test_grammar_parts():
    assert parse_key("val_out_f1_2_keras") == (True, "out_f1", 2, True)
    assert parse_key("val_") == (False, "val_", None, False)
    assert parse_key("_keras") == (False, "_keras", None, False)
    assert parse_key("x_٣") == (False, "x_٣", None, False)  # only ASCII digits index
    assert metadata_names("auc") == ["auc"]
    assert metadata_names("val_auc_keras") == ["val_auc_keras", "val_auc", "auc_keras", "auc"]
    assert registry_direction("val_out_1_mse_7") is False
    assert name_rule_direction("val_brier_score_loss") is False   # a loss, whatever else
    assert name_rule_direction("val_out_f1_macro") is True


@settings(max_examples=300, deadline=None)
@given(val=st.booleans(), words=st.lists(st.sampled_from(
           ["auc", "loss", "mse", "out", "head", "1", "f1", "cosine", "x", "error", "score",
            "median", "ae", "keras", "val", "precision", "similarity"]), min_size=1, max_size=4),
       index=st.one_of(st.none(), st.integers(0, 12)), keras=st.booleans(),
       recorded=st.dictionaries(st.sampled_from(["auc", "x", "median_ae", "loss", "out_f1"]),
                                st.sampled_from([True, False, None]), max_size=3))
def test_property_best_follows_the_one_direction(val, words, index, keras, recorded):
    key = ("val_" if val else "") + "_".join(words) + \
        ("" if index is None else f"_{index}") + ("_keras" if keras else "")
    if key in ("epoch", "step", "batch"):
        return
    h = MetricHistory.from_dict({key: VALUES})
    for name, greater in recorded.items():
        h.set_greater_is_better(name, greater)
    direction = key_direction(key, recorded)
    assert h.greater_is_better(key) is direction is plot_direction(h, key)
    if direction is None:
        with pytest.raises(ValueError):
            h.best(key)
    else:
        assert h.best(key)[0] == (1 if direction else 0)
    assert h.best(key, greater_is_better=True)[0] == 1
    hit = next((n for n in metadata_names(key) if n in recorded), None)
    if hit is not None:
        assert direction is recorded[hit]


def test_reserved_and_unwritable_keys_are_refused():
    history = MetricHistory()
    for key in ("epoch", "step", "batch"):
        with pytest.raises(ValueError, match=f"'{key}' cannot be a metric key"):
            history.record_epoch(0, {"loss": 1.0, key: 2.0})
        with pytest.raises(ValueError, match="index columns"):
            history.record_batch(1, 0, 0, {key: 2.0})
        with pytest.raises(ValueError, match="cannot be a metric key"):
            MetricHistory.from_dict({key: [1.0]})
    with pytest.raises(ValueError, match="line break"):
        history.record_epoch(0, {"a\nb": 1.0})
    assert history.epoch == [] and history.steps == []  # nothing half-recorded
    history.record_epoch(0, {"val_epoch": 1.0, "epochs": 2.0})  # only the exact names
    check_key("batch_loss")
    assert np.isfinite(history["val_epoch"][0])
