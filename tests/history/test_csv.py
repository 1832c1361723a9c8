"""CSV files: exact round trips, the text written, Keras CSVLogger files, errors."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from fittrack.history import MetricHistory, batch_csv_path, load_history

from .conftest import cells, same_rows

NAN = float("nan")


def _sample() -> MetricHistory:
    history = MetricHistory()
    history.record_epoch(0, {"loss": 0.1, "acc": NAN})
    history.record_epoch(1, {"loss": 1 / 3, "acc": 0.5, "f1": -0.0})      # f1 every 2 epochs
    history.record_epoch(2, {"loss": 1e-300, "acc": 2.0 ** 0.5})
    history.record_epoch(3, {"loss": 5e-324, "acc": math.inf, "f1": 1.7976931348623157e308,
                             "val_loss": 12345678.9})                       # a late key
    history.record_batch(1, 0, 0, {"loss": 0.7})
    history.record_batch(2, 0, 1, {"loss": NAN, "monitor_auc": 0.25})
    history.record_batch(3, 1, 0, {"monitor_auc": 0.5})
    return history


def test_batch_csv_path():
    assert batch_csv_path("run.csv").as_posix() == "run.batches.csv"
    assert batch_csv_path("logs/run").as_posix() == "logs/run.batches.csv"
    assert batch_csv_path("logs/run.CSV").as_posix() == "logs/run.batches.csv"
    assert batch_csv_path("training.log").as_posix() == "training.log.batches.csv"


def test_written_text_is_exact_and_readable(tmp_path):
    history = _sample()
    path = history.to_csv(tmp_path / "run.csv")
    assert path == tmp_path / "run.csv"
    assert path.read_text() == (
        "epoch,loss,acc,f1,val_loss\n"
        "0,0.1,nan,,\n"
        "1,0.3333333333333333,0.5,-0.0,\n"
        "2,1e-300,1.4142135623730951,,\n"
        "3,5e-324,inf,1.7976931348623157e+308,12345678.9\n")
    batches = history.to_csv(tmp_path / "run.batches.csv", level="batch")
    assert batches.read_text() == ("step,epoch,batch,loss,monitor_auc\n"
                                   "1,0,0,0.7,\n2,0,1,nan,0.25\n3,1,0,,0.5\n")
    assert not list(tmp_path.glob(".*tmp"))  # no temporary file left behind


def test_round_trip_keeps_nan_missing_late_keys_and_batches(tmp_path):
    history = _sample()
    history.to_csv(tmp_path / "run.csv")
    history.to_csv(tmp_path / "run.batches.csv", level="batch")
    back = load_history(tmp_path / "run.csv")        # brings the batch file along
    assert back.keys() == history.keys()
    assert same_rows(cells(back), cells(history))
    assert same_rows(cells(back, "batch"), cells(history, "batch"))
    assert math.copysign(1, back["f1"][0]) == -1.0
    only_batches = MetricHistory.from_csv(tmp_path / "run.batches.csv")
    assert len(only_batches) == 0
    assert same_rows(cells(only_batches, "batch"), cells(history, "batch"))


def test_round_trip_of_many_random_doubles(tmp_path, rng):
    values = rng.random((3000, 4)) * 10.0 ** rng.integers(-30, 30, (3000, 4))
    values[::7, 1] = np.nan
    history = MetricHistory()
    keys = ["a", "b", "c", "d"]
    for step, row in enumerate(values.tolist()):
        history.record_batch(step + 1, step // 100, step % 100, dict(zip(keys, row)))
    path = history.to_csv(tmp_path / "b.csv", level="batch")
    back = load_history(path).to_frame("batch")
    np.testing.assert_array_equal(back[keys].to_numpy(), values)
    # pandas reading the file on its own agrees
    frame = pd.read_csv(path)
    np.testing.assert_array_equal(frame[keys].to_numpy(), values)
    assert frame["step"].tolist() == list(range(1, 3001))


def test_pandas_reads_the_epoch_file_like_to_frame(tmp_path):
    history = _sample()
    path = history.to_csv(tmp_path / "run.csv")
    frame = pd.read_csv(path, index_col="epoch")
    pd.testing.assert_frame_equal(frame, history.to_frame())


def test_csvlogger_format_file(tmp_path):
    """What keras.callbacks.CSVLogger writes: sorted keys, NA, \\r\\n, unused val_ columns."""
    path = tmp_path / "training.log"
    path.write_bytes(b"epoch,accuracy,loss,val_accuracy,val_loss\r\n"
                     b"0,0.5,0.6931471824645996,NA,NA\r\n"
                     b"1,0.625,nan,NA,NA\r\n"
                     b"2,0.75,0.4,NA,NA\r\n")
    history = load_history(path)
    assert history.keys() == ["accuracy", "loss"]  # all-NA columns are not keys
    assert history.epoch == [0, 1, 2]
    assert history["accuracy"] == [0.5, 0.625, 0.75]
    loss = history["loss"]
    assert loss[0] == 0.6931471824645996 and math.isnan(loss[1]) and loss[2] == 0.4


def test_csvlogger_validation_every_other_epoch(tmp_path):
    path = tmp_path / "log.csv"
    path.write_text("epoch,loss,val_loss\n0,0.5,NA\n1,0.4,0.45\n2,0.3,NA\n3,0.2,0.25\n")
    history = load_history(path)
    assert history.history == {"loss": [0.5, 0.4, 0.3, 0.2], "val_loss": [0.45, 0.25]}
    assert history.to_frame()["val_loss"].notna().tolist() == [False, True, False, True]


def test_other_separator_and_header_only_file(tmp_path):
    path = tmp_path / "semi.csv"
    path.write_text("epoch;loss\n0;0.5\n1;NaN\n")
    history = load_history(path, sep=";")
    assert history.epoch == [0, 1] and history["loss"][0] == 0.5 and math.isnan(history["loss"][1])
    empty = tmp_path / "header.csv"
    empty.write_text("epoch,loss\n")
    assert len(load_history(empty)) == 0 and load_history(empty).keys() == []


def test_errors_say_what_and_how_to_fix(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist.*check the path"):
        load_history(tmp_path / "nope.csv")
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(ValueError, match="is empty.*header"):
        load_history(tmp_path / "empty.csv")
    (tmp_path / "wrong.csv").write_text("time,loss\n0,1\n")
    with pytest.raises(ValueError, match="starts with the column 'time'.*'epoch'.*'step'"):
        load_history(tmp_path / "wrong.csv")
    (tmp_path / "semi.csv").write_text("epoch;loss\n0;1\n")
    with pytest.raises(ValueError, match="sep=';'"):
        load_history(tmp_path / "semi.csv")
    (tmp_path / "text.csv").write_text('epoch,loss,probs\n0,1,"[0.1, 0.9]"\n')
    with pytest.raises(ValueError, match="'probs' must hold numbers; data row 1"):
        load_history(tmp_path / "text.csv")
    (tmp_path / "torn.csv").write_text("epoch,loss,acc\n0,1,0.5\n1,0.9")
    with pytest.raises(ValueError, match="interrupted mid-row"):
        load_history(tmp_path / "torn.csv")
    (tmp_path / "extra.csv").write_text("epoch,loss\n0,1,2\n1,2,3\n")
    with pytest.raises(ValueError, match="line 2: .* 3 fields, more than the 2 of the header"):
        load_history(tmp_path / "extra.csv")
    (tmp_path / "ragged.csv").write_text("epoch,loss\n0,1\n1,2,3\n")
    with pytest.raises(ValueError, match="line 3: the row '1,2,3' has 3 fields, more"):
        load_history(tmp_path / "ragged.csv")
    (tmp_path / "noint.csv").write_text("epoch,loss\n0,1\n,2\n")
    with pytest.raises(ValueError, match="line 3: the column 'epoch' must hold whole numbers.*"
                                         "data row 2"):
        load_history(tmp_path / "noint.csv")
    (tmp_path / "a.csv").write_text("epoch,loss\n0,1\n")
    (tmp_path / "a.batches.csv").write_text("epoch,loss\n0,1\n")
    with pytest.raises(ValueError, match="batch rows"):
        load_history(tmp_path / "a.csv")


def test_to_csv_replaces_a_file_atomically(tmp_path):
    path = tmp_path / "run.csv"
    path.write_text("old content\n")
    path.chmod(0o640)
    _sample().to_csv(path)
    assert path.read_text().startswith("epoch,loss")
    assert path.stat().st_mode & 0o777 == 0o640


def test_keys_that_need_quoting_round_trip(tmp_path):
    from fittrack.history import CsvStream

    history = MetricHistory()
    stream = CsvStream(tmp_path / "run.csv", history)
    stream.start(append=False)
    history.record_epoch(0, {"a,b": 1.0, 'say "hi"': 2.0, "précision": 0.5})
    stream.flush()
    assert (tmp_path / "run.csv").read_text(encoding="utf-8").splitlines()[0] == \
        'epoch,"a,b","say ""hi""",précision'
    resumed = load_history(tmp_path / "run.csv")
    assert resumed.history == {"a,b": [1.0], 'say "hi"': [2.0], "précision": [0.5]}
    stream = CsvStream(tmp_path / "run.csv", resumed)
    stream.start(append=True)
    resumed.record_epoch(1, {"a,b": 3.0, 'say "hi"': 4.0, "précision": 0.75})
    stream.flush()
    assert load_history(tmp_path / "run.csv").history["a,b"] == [1.0, 3.0]
    assert (tmp_path / "run.csv").read_text(encoding="utf-8").count("epoch") == 1
