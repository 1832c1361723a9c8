"""The summary table: best and final values per key and per run."""

from __future__ import annotations

import math

import pytest

from fittrack.history.summary import format_summary, summarize
from tests.runs import AUC, LOSS, VAL_AUC, VAL_LOSS, make_run


@pytest.fixture
def run():
    return make_run()


def test_summary_rows(run):
    rows = {r.key: r for r in summarize(run)}
    assert list(rows) == ["loss", "val_loss", "auc", "val_auc", "auc_keras"]
    assert (rows["val_auc"].best_index, rows["val_auc"].best) == (2, 0.84)
    assert (rows["loss"].best_index, rows["loss"].best) == (2, 0.45)
    assert rows["val_auc"].final == VAL_AUC[-1]
    assert rows["val_auc"].gap == pytest.approx(AUC[-1] - VAL_AUC[-1])
    assert rows["val_loss"].gap == pytest.approx(LOSS[-1] - VAL_LOSS[-1])
    assert rows["auc"].gap is None and rows["auc_keras"].gap is None
    assert rows["loss"].greater is False and rows["auc"].greater is True


def test_summary_batch_level_and_selection(run):
    rows = summarize(run, ["val_auc"], level="batch")
    assert [r.key for r in rows] == ["auc", "val_auc"]
    assert rows[1].best_index == run.steps[-1]


def test_summary_all_nan_key_has_no_best():
    rows = summarize({"auc": [math.nan, math.nan]})
    assert rows[0].best_index is None and math.isnan(rows[0].final)
    line = format_summary(rows).splitlines()[1]
    assert line.split() == ["auc", "higher", "nan", "nan"][:2] + ["nan"]


def test_format_summary_aligns_columns(run):
    lines = format_summary(summarize(run)).splitlines()
    assert lines[0].split() == ["metric", "better", "best", "epoch", "best", "value", "final",
                                "value", "gap", "(train-val)"]
    val_auc = next(line for line in lines if line.startswith("val_auc "))
    assert val_auc.index("higher") == lines[0].index("better")
    assert len(val_auc) == len(lines[0])  # right-aligned under the last header
    assert val_auc.split() == ["val_auc", "higher", "2", "0.8400", "0.8000", "0.1300"]
    assert len({len(line) for line in lines if line.startswith("val_")}) == 1


def test_summary_of_several_runs_names_each_run_per_key():
    a = {"loss": [0.9, 0.5], "val_loss": [1.0, 0.7], "acc": [0.6, 0.8], "val_acc": [0.5, 0.7]}
    b = {"loss": [0.8, 0.6], "val_loss": [0.9, 0.8], "accuracy": [0.7, 0.7],
         "val_accuracy": [0.6, 0.65]}
    rows = summarize({"keras2": a, "keras3": b})
    assert [(r.run, r.key) for r in rows] == [
        ("keras2", "loss"), ("keras3", "loss"), ("keras2", "val_loss"), ("keras3", "val_loss"),
        ("keras2", "acc"), ("keras3", "accuracy"), ("keras2", "val_acc"),
        ("keras3", "val_accuracy")]
    lines = format_summary(rows).splitlines()
    assert lines[0].split()[:3] == ["run", "metric", "better"]
    assert lines[-1].split() == ["keras3", "val_accuracy", "higher", "1", "0.6500", "0.6500",
                                 "0.0500"]
    assert [r.key for r in summarize({"x": a, "y": b}, ["accuracy"])] == \
        ["acc", "accuracy", "val_acc", "val_accuracy"]


def test_summary_of_a_metric_of_unknown_direction():
    from fittrack.history import MetricHistory

    history = MetricHistory.from_dict({"score": [0.3, 0.9, 0.5]})
    history.set_greater_is_better("score", None)      # a user function's, undeclared
    rows = summarize(history)
    assert (rows[0].greater, rows[0].best_index, rows[0].best, rows[0].final) == \
        (None, None, None, 0.5)
    assert format_summary(rows).splitlines()[1].split() == ["score", "unknown", "0.5000"]


def test_summary_leaves_timing_keys_out_unless_asked():
    data = {"loss": [0.5, 0.4], "eval_seconds": [1.5, 1.2]}
    assert [r.key for r in summarize(data)] == ["loss"]
    assert [r.key for r in summarize(data, ["eval_seconds"])] == ["eval_seconds"]


def test_the_gap_compares_the_same_epoch(tmp_path):
    # Validation not logged at the last epoch (NA in a CSVLogger file, or validation_freq):
    # the gap is taken at the last epoch with both values, never across two epochs.
    path = tmp_path / "run.csv"
    path.write_text("epoch,loss,val_loss\n0,0.9,0.85\n1,0.8,0.70\n2,0.5,NA\n")
    rows = {r.key: r for r in summarize(str(path))}
    assert rows["loss"].final == 0.5 and rows["val_loss"].final == 0.7
    assert rows["val_loss"].gap == pytest.approx(0.8 - 0.7)
    rows = {r.key: r for r in summarize({"loss": [0.9, 0.8, 0.5], "val_loss": [0.85, 0.7, 0.6]})}
    assert rows["val_loss"].gap == pytest.approx(0.5 - 0.6)
