"""Grouping keys into panels, choosing panels, and each key's direction."""

from __future__ import annotations

import pytest

from fittrack.history import MetricHistory
from fittrack.history.groups import group_keys, key_direction


def _layout(panels):
    return [(p.name, p.train, p.val, p.running) for p in panels]


def test_pairs_and_running_values_share_a_panel():
    keys = ["accuracy", "loss", "val_accuracy", "val_loss", "auc", "val_auc",
            "accuracy_keras", "val_accuracy_keras"]
    assert _layout(group_keys(keys)) == [
        ("loss", "loss", "val_loss", []),
        ("accuracy", "accuracy", "val_accuracy", ["accuracy_keras", "val_accuracy_keras"]),
        ("auc", "auc", "val_auc", []),
    ]


def test_validation_only_and_orphan_running_key():
    assert _layout(group_keys(["val_loss", "custom_keras"])) == [
        ("loss", None, "val_loss", []), ("custom_keras", "custom_keras", None, [])]


def test_metrics_select_panels_in_order_by_name_or_key():
    keys = ["loss", "val_loss", "auc", "val_auc", "f1", "val_f1"]
    assert [p.name for p in group_keys(keys, ["val_f1", "loss"])] == ["f1", "loss"]
    assert [p.name for p in group_keys(keys, ["auc", "val_auc"])] == ["auc"]
    assert [p.name for p in group_keys(keys, "f1")] == ["f1"]


def test_unknown_metric_lists_the_keys():
    with pytest.raises(ValueError, match=r"Unknown metric 'aucc'.*loss, val_loss, auc"):
        group_keys(["loss", "val_loss", "auc"], ["aucc"])


def test_direction_recorded_in_the_store_wins():
    h = MetricHistory()
    h.set_greater_is_better("weird_error", True)  # a user metric that says so
    assert key_direction(h, "val_weird_error") is True
    assert key_direction(h, "weird_error_keras") is True


@pytest.mark.parametrize("key, greater", [
    ("val_auc", True), ("mae", False), ("val_mean_squared_error", False),
    ("cosine", False), ("cosine_similarity", True), ("head_auc", True),
    ("out_1_mse", False), ("val_f1_3", True), ("r2", True), ("log_loss", False),
    ("val_accuracy_keras", True),
    # not registered: the name decides
    ("loss", False), ("val_head_loss", False), ("my_error", False), ("my_score", True),
])
def test_direction_from_registry_then_name(key, greater):
    assert key_direction(MetricHistory(), key) is greater
