"""Directions are saved next to the files (run.meta.json) and restored by load_history."""

from __future__ import annotations

import json
import os

import pytest

from fittrack.history import CsvStream, MetricHistory, load_history
from fittrack.history.groups import key_direction
from fittrack.history.meta import FORMAT, meta_path
from fittrack.history.paths import NotRegularFileError

from .conftest import caught_warnings

DIRECTIONS = {"loss": False, "auc": True, "median_ae": None, "weird_error": True}


def _streamed(path, directions=DIRECTIONS) -> MetricHistory:
    history = MetricHistory()
    stream = CsvStream(path, history)
    stream.start(append=False)
    history.set_greater_is_better("loss", False)
    for epoch in range(3):
        if epoch == 1:  # directions recorded after start, as the callback does
            for name, greater in directions.items():
                history.set_greater_is_better(name, greater)
        values = [1.0, 3.0, 2.0][epoch]
        row = {k: values for k in ("loss", "auc", "median_ae", "weird_error")}
        history.record_batch(epoch + 1, epoch, 0, {f"val_{k}": v for k, v in row.items()})
        history.record_epoch(epoch, {**row, **{f"val_{k}": v for k, v in row.items()}})
        stream.flush()
    stream.close()
    return history


def test_the_stream_writes_the_sidecar_and_load_history_restores_it(tmp_path):
    path = tmp_path / "run.csv"
    history = _streamed(path)
    data = json.loads(meta_path(path).read_text())
    assert data == {"format": FORMAT, "version": 1,
                    "greater_is_better": dict(sorted(DIRECTIONS.items()))}
    back = load_history(path)
    assert back.directions == DIRECTIONS == history.directions
    for key in back:
        assert back.greater_is_better(key) is history.greater_is_better(key), key
        assert key_direction(back, key) is history.greater_is_better(key)
    assert back.greater_is_better("val_median_ae") is None     # not guessed after the trip
    assert back.greater_is_better("val_weird_error") is True   # the record beats the name
    assert back.best("val_auc") == (1, 3.0) and back.best("val_loss") == (0, 1.0)
    with pytest.raises(ValueError, match="unknown"):
        back.best("median_ae")
    assert MetricHistory.from_csv(tmp_path / "run.batches.csv").directions == DIRECTIONS
    assert sorted(os.listdir(tmp_path)) == ["run.batches.csv", "run.csv", "run.meta.json"]


def test_the_sidecar_follows_changes_and_a_fresh_run_removes_it(tmp_path):
    path = tmp_path / "run.csv"
    _streamed(path)
    history = MetricHistory.from_csv(path)
    stream = CsvStream(path, history)
    stream.start(append=True)
    history.set_greater_is_better("median_ae", False)   # declared now
    history.record_epoch(3, {"loss": 0.5})
    stream.close()
    assert load_history(path).greater_is_better("val_median_ae") is False
    _streamed(path, directions={})                       # append=False: a new run
    assert load_history(path).directions == {"loss": False}
    stream = CsvStream(path, MetricHistory())
    stream.start(append=False)
    assert not meta_path(path).exists()
    stream.close()


def test_to_csv_writes_or_removes_the_sidecar(tmp_path):
    history = MetricHistory.from_dict({"loss": [1.0, 0.5], "median_ae": [3.0, 2.0]})
    history.set_greater_is_better("median_ae", None)
    path = history.to_csv(tmp_path / "run.csv")
    assert load_history(path).greater_is_better("median_ae") is None
    history.to_csv(tmp_path / "run.batches.csv", level="batch")   # the batch level: no sidecar
    assert load_history(path).directions == {"median_ae": None}
    MetricHistory.from_dict({"loss": [1.0]}).to_csv(path)          # another history, no record
    assert not meta_path(path).exists()


def test_csvlogger_files_have_no_sidecar_and_get_the_registry_and_names(tmp_path):
    path = tmp_path / "training.log"
    path.write_text("epoch,loss,median_ae,val_auc,my_error\r\n0,1,2,0.5,1\r\n")
    history = load_history(path)
    assert history.directions == {}
    assert [history.greater_is_better(k) for k in history] == [False, None, True, False]


@pytest.mark.parametrize("content, why", [
    ("not json", "Expecting value"),
    ('{"format": "something-else"}', "not a 'fittrack-meta' file"),
    ('{"format": "fittrack-meta", "version": 2, "greater_is_better": {}}', "newer fittrack"),
    ('{"format": "fittrack-meta", "version": 1, "greater_is_better": {"auc": "yes"}}',
     "direction of 'auc' is 'yes'"),
    ('{"format": "fittrack-meta", "version": 1, "greater_is_better": []}', "not an object"),
    (b"\xff\xfe\x00", "codec can't decode"),
])
def test_a_corrupt_or_foreign_sidecar_gives_a_warning_and_no_guess(tmp_path, content, why):
    path = tmp_path / "run.csv"
    _streamed(path)
    data = content if isinstance(content, bytes) else content.encode()
    meta_path(path).write_bytes(data)
    with pytest.warns(UserWarning, match=rf"run\.meta\.json' cannot be used \(.*{why}.*\).*"
                                         rf"left unknown"):
        history = load_history(path)
    assert {history.greater_is_better(k) for k in history} == {None}  # never wrong
    with pytest.raises(ValueError, match="unknown"):
        history.best("val_loss")
    assert history.best("val_loss", greater_is_better=False) == (0, 1.0)
    stream = CsvStream(path, history)                 # a resume keeps "guess nothing"
    with caught_warnings():
        stream.start(append=True)
    history.record_epoch(3, {"loss": 0.5})
    stream.close()
    assert json.loads(meta_path(path).read_text())["guess"] is False
    assert load_history(path).greater_is_better("loss") is None


def test_a_sidecar_that_is_not_a_file(tmp_path):
    path = tmp_path / "run.csv"
    _streamed(path)
    meta_path(path).unlink()
    meta_path(path).mkdir()
    with pytest.warns(UserWarning, match="not a regular file"):
        assert load_history(path).greater_is_better("loss") is None
    with pytest.raises(IsADirectoryError, match="metadata path"):
        CsvStream(path, MetricHistory()).start(append=False)
    os.rmdir(meta_path(path))
    os.mkfifo(meta_path(path))
    with pytest.raises(NotRegularFileError, match="metadata path.*FIFO"):
        CsvStream(path, MetricHistory()).check_writable()
