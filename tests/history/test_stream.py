"""CsvStream: appends with one write, atomic rewrites, resume, writability checks."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from fittrack.history import CsvStream, MetricHistory, batch_csv_path, load_history

from .conftest import cells, same_rows


class Calls:
    """Counts the calls of an os function while forwarding them."""

    def __init__(self, monkeypatch, name: str) -> None:
        self.count = 0
        original = getattr(os, name)

        def counted(*args, **kwargs):
            self.count += 1
            return original(*args, **kwargs)

        monkeypatch.setattr(os, name, counted)


def _new_run(tmp_path):
    history = MetricHistory()
    stream = CsvStream(tmp_path / "run.csv", history)
    stream.check_writable()
    stream.start(append=False)
    return history, stream


def test_rows_are_appended_under_one_header(tmp_path, monkeypatch):
    history, stream = _new_run(tmp_path)
    history.record_epoch(0, {"loss": 0.5, "val_loss": 0.75})
    history.record_batch(1, 0, 0, {"loss": 0.6})
    stream.flush()
    writes, replaces = Calls(monkeypatch, "write"), Calls(monkeypatch, "replace")
    history.record_epoch(1, {"loss": 0.25, "val_loss": 0.5})
    history.record_batch(2, 1, 0, {"loss": 0.3})
    history.record_batch(3, 1, 1, {"loss": 0.2})
    stream.flush()
    assert writes.count == 2 and replaces.count == 0  # one os.write per file
    assert (tmp_path / "run.csv").read_text() == "epoch,loss,val_loss\n0,0.5,0.75\n1,0.25,0.5\n"
    assert (tmp_path / "run.batches.csv").read_text() == (
        "step,epoch,batch,loss\n1,0,0,0.6\n2,1,0,0.3\n3,1,1,0.2\n")


def test_flush_with_nothing_new_is_a_no_op(tmp_path, monkeypatch):
    history, stream = _new_run(tmp_path)
    stream.flush()
    assert not (tmp_path / "run.csv").exists()  # nothing recorded: no file
    history.record_epoch(0, {"loss": 0.5})
    stream.flush()
    before = (tmp_path / "run.csv").stat()
    writes, replaces = Calls(monkeypatch, "write"), Calls(monkeypatch, "replace")
    stream.flush()
    stream.flush()
    assert writes.count == 0 and replaces.count == 0
    after = (tmp_path / "run.csv").stat()
    assert (after.st_ino, after.st_mtime_ns, after.st_size) == \
        (before.st_ino, before.st_mtime_ns, before.st_size)
    assert not batch_csv_path(tmp_path / "run.csv").exists()


def test_late_key_rewrites_the_file_atomically(tmp_path, monkeypatch):
    history, stream = _new_run(tmp_path)
    history.record_epoch(0, {"loss": 0.5})
    history.record_epoch(1, {"loss": 0.4})
    stream.flush()
    replaces = Calls(monkeypatch, "replace")
    history.record_epoch(2, {"loss": 0.3, "f1": 0.75})
    stream.flush()
    assert replaces.count == 1
    assert (tmp_path / "run.csv").read_text() == "epoch,loss,f1\n0,0.5,\n1,0.4,\n2,0.3,0.75\n"
    assert not [p for p in os.listdir(tmp_path) if p.endswith(".tmp")]
    history.record_epoch(3, {"loss": 0.2})  # back to the append path with the new header
    writes = Calls(monkeypatch, "write")
    stream.flush()
    assert writes.count == 1 and replaces.count == 1
    assert (tmp_path / "run.csv").read_text().endswith("2,0.3,0.75\n3,0.2,\n")


def test_truncate_rewrites_shorter_files(tmp_path):
    history, stream = _new_run(tmp_path)
    for epoch in range(4):
        history.record_epoch(epoch, {"loss": 1.0 / (epoch + 1)})
        history.record_batch(epoch + 1, epoch, 0, {"loss": float(epoch)})
    stream.flush()
    history.truncate(2)
    for epoch in (2, 3):  # the same number of rows as before, other values
        history.record_epoch(epoch, {"loss": 10.0 + epoch})
    stream.flush()
    assert (tmp_path / "run.csv").read_text() == "epoch,loss\n0,1.0\n1,0.5\n2,12.0\n3,13.0\n"
    expected = "step,epoch,batch,loss\n1,0,0,0.0\n2,1,0,1.0\n"
    assert (tmp_path / "run.batches.csv").read_text() == expected


def test_resume_with_append_continues_without_a_second_header(tmp_path, monkeypatch):
    history, stream = _new_run(tmp_path)
    for epoch in range(2):
        history.record_epoch(epoch, {"loss": 0.5 - epoch / 10, "val_auc": 0.7})
        history.record_batch(epoch + 1, epoch, 0, {"loss": 0.1})
    stream.flush()
    inode = (tmp_path / "run.csv").stat().st_ino

    resumed = MetricHistory.from_csv(tmp_path / "run.csv")
    replaces = Calls(monkeypatch, "replace")
    stream = CsvStream(tmp_path / "run.csv", resumed)
    stream.start(append=True)
    resumed.record_epoch(2, {"loss": 0.25, "val_auc": 0.8})
    resumed.record_batch(3, 2, 0, {"loss": 0.05})
    stream.flush()
    assert replaces.count == 0 and (tmp_path / "run.csv").stat().st_ino == inode
    text = (tmp_path / "run.csv").read_text()
    assert text == "epoch,loss,val_auc\n0,0.5,0.7\n1,0.4,0.7\n2,0.25,0.8\n"
    assert (tmp_path / "run.batches.csv").read_text().count("step") == 1
    assert same_rows(cells(load_history(tmp_path / "run.csv"), "batch"), cells(resumed, "batch"))


def test_append_converts_a_csvlogger_file(tmp_path):
    path = tmp_path / "run.csv"
    path.write_text("epoch,loss,val_loss\r\n0,0.5,NA\r\n")
    history = MetricHistory.from_csv(path)
    stream = CsvStream(path, history)
    stream.start(append=True)  # the file does not match the history's layout: rewritten
    assert path.read_text() == "epoch,loss\n0,0.5\n"
    history.record_epoch(1, {"loss": 0.4})
    stream.flush()
    assert path.read_text() == "epoch,loss\n0,0.5\n1,0.4\n"


def test_fresh_start_removes_old_files(tmp_path):
    (tmp_path / "run.csv").write_text("epoch,old\n0,1\n")
    (tmp_path / "run.batches.csv").write_text("step,epoch,batch,old\n1,0,0,1\n")
    history, stream = _new_run(tmp_path)
    assert not (tmp_path / "run.csv").exists() and not (tmp_path / "run.batches.csv").exists()
    history.record_epoch(0, {"loss": 1.0})
    stream.flush()
    assert (tmp_path / "run.csv").read_text() == "epoch,loss\n0,1.0\n"


def test_a_failed_rewrite_leaves_the_old_file(tmp_path, monkeypatch):
    history, stream = _new_run(tmp_path)
    history.record_epoch(0, {"loss": 0.5})
    stream.flush()

    def broken_replace(*args):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    history.record_epoch(1, {"loss": 0.4, "new": 1.0})
    with pytest.warns(UserWarning, match="could not write csv_path=.*run.csv.*disk full"):
        stream.flush()                                # a warning, never an exception
    assert (tmp_path / "run.csv").read_text() == "epoch,loss\n0,0.5\n"
    assert sorted(os.listdir(tmp_path)) == ["run.csv", "run.csv.lock"]  # no temporary file
    monkeypatch.undo()
    with pytest.warns(UserWarning, match="is written again"):
        stream.flush()
    assert (tmp_path / "run.csv").read_text() == "epoch,loss,new\n0,0.5,\n1,0.4,1.0\n"
    stream.close()
    assert os.listdir(tmp_path) == ["run.csv"]


def test_a_file_removed_behind_the_stream_is_written_again(tmp_path):
    history, stream = _new_run(tmp_path)
    history.record_epoch(0, {"loss": 0.5})
    stream.flush()
    (tmp_path / "run.csv").unlink()
    history.record_epoch(1, {"loss": 0.4})
    with pytest.warns(UserWarning, match="was removed; it was written again in full"):
        stream.flush()
    assert (tmp_path / "run.csv").read_text() == "epoch,loss\n0,0.5\n1,0.4\n"


def test_flush_before_start_fails_clearly(tmp_path):
    with pytest.raises(RuntimeError, match="start"):
        CsvStream(tmp_path / "run.csv", MetricHistory()).flush()


def test_check_writable_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist.*os.makedirs"):
        CsvStream(tmp_path / "missing" / "run.csv", MetricHistory()).check_writable()
    (tmp_path / "file").write_text("")
    with pytest.raises(NotADirectoryError, match="not a folder"):
        CsvStream(tmp_path / "file" / "run.csv", MetricHistory()).check_writable()
    with pytest.raises(IsADirectoryError, match="is a folder"):
        CsvStream(tmp_path, MetricHistory()).check_writable()
    if os.geteuid() == 0:  # root writes anywhere chmod allows; /sys refuses new files
        folder = "/sys"
    else:
        folder = tmp_path / "locked"
        folder.mkdir()
        folder.chmod(0o500)
    with pytest.raises(PermissionError, match="cannot be written.*permissions"):
        CsvStream(os.path.join(folder, "run.csv"), MetricHistory()).check_writable()
    CsvStream(tmp_path / "ok.csv", MetricHistory()).check_writable()
    assert os.listdir(tmp_path) == ["file"] or sorted(os.listdir(tmp_path)) == ["file", "locked"]


WRITER = textwrap.dedent("""
    import sys
    from fittrack.history import CsvStream, MetricHistory
    history = MetricHistory()
    stream = CsvStream(sys.argv[1], history)
    stream.start(append=False)
    epoch = 0
    while True:
        for batch in range(50):
            step = epoch * 50 + batch + 1
            history.record_batch(step, epoch, batch, {"loss": step / 7, f"k{epoch % 9}": 1.5})
        history.record_epoch(epoch, {"loss": epoch / 3, f"m{epoch % 5}": 0.25})
        stream.flush()
        if epoch == 3:
            print("ready", flush=True)
        epoch += 1
""")


def test_a_killed_writer_leaves_complete_files(tmp_path):
    path = tmp_path / "run.csv"
    process = subprocess.Popen([sys.executable, "-c", WRITER, str(path)], stdout=subprocess.PIPE)
    try:
        assert process.stdout.readline().strip() == b"ready"
        time.sleep(0.5)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    history = load_history(path)  # a torn row or a second header would fail to load
    epochs = history.epoch
    assert len(epochs) >= 4 and epochs == list(range(len(epochs)))
    assert history["loss"] == [e / 3 for e in epochs]
    assert path.read_text().count("epoch") == 1
    steps = history.steps
    assert steps == list(range(1, len(steps) + 1)) and len(steps) % 50 == 0
    assert history.batch_values("loss") == [s / 7 for s in steps]


def test_append_without_a_file_writes_the_history_at_start(tmp_path):
    history = MetricHistory.from_dict({"loss": [0.5, 0.25]})
    stream = CsvStream(tmp_path / "run.csv", history)
    stream.start(append=True)
    assert (tmp_path / "run.csv").read_text() == "epoch,loss\n0,0.5\n1,0.25\n"
    assert not (tmp_path / "run.batches.csv").exists()
