"""Issue 10.6 and 10.7: a log file never stops training, and the stream repairs what others did.

The folder deleted, the file made read-only or removed, the file truncated by
logrotate (copytruncate): flush never raises, warns once naming csv_path and
the error, keeps every value in the history, retries at each flush and says
when writing works again. No row is lost once the file can be written again.
"""

from __future__ import annotations

import errno
import os
import shutil

import pytest

from fittrack.history import CsvStream, MetricHistory, load_history

from .conftest import caught_warnings, cells, same_rows


def _run(tmp_path, folder="logs"):
    (tmp_path / folder).mkdir()
    path = tmp_path / folder / "run.csv"
    history = MetricHistory()
    stream = CsvStream(path, history)
    stream.check_writable()
    stream.start(append=False)
    return path, history, stream


def _epoch(history, epoch, **extra):
    history.record_batch(epoch + 1, epoch, 0, {"loss": epoch / 7, **extra})
    history.record_epoch(epoch, {"loss": epoch / 3, **extra})


def _same_as_disk(path, history):
    back = load_history(path)
    assert same_rows(cells(back), cells(history))
    assert same_rows(cells(back, "batch"), cells(history, "batch"))


def test_folder_deleted_mid_run(tmp_path):
    path, history, stream = _run(tmp_path)
    for epoch in range(2):
        _epoch(history, epoch)
        stream.flush()
    shutil.rmtree(path.parent)
    with caught_warnings() as messages:
        for epoch in range(2, 6):                     # "hours of training" go on
            _epoch(history, epoch, **({"late": 1.0} if epoch == 4 else {}))
            stream.flush()
    assert len(messages) == 1, messages               # once, naming csv_path and the error
    assert f"could not write csv_path={str(path)!r}" in messages[0]
    assert "No such file or directory" in messages[0] and "callback.history" in messages[0]
    assert history.epoch == list(range(6)) and not stream.writing
    path.parent.mkdir()                               # back: everything is written in full
    with caught_warnings() as messages:
        stream.flush()
    assert any("is written again" in m for m in messages) and stream.writing
    _same_as_disk(path, history)
    stream.close()


def test_file_made_read_only_mid_run(tmp_path, monkeypatch):
    path, history, stream = _run(tmp_path)
    _epoch(history, 0)
    stream.flush()
    if os.geteuid() != 0:
        path.chmod(0o444)
    else:  # root writes anyway: make the kernel's answer for a non-root user
        real_open, real_access = os.open, os.access

        def refuse(p, flags, *args, **kwargs):
            if os.fspath(p) == str(path) and flags & (os.O_WRONLY | os.O_RDWR):
                raise PermissionError(errno.EACCES, "Permission denied", str(path))
            return real_open(p, flags, *args, **kwargs)

        monkeypatch.setattr(os, "open", refuse)
        monkeypatch.setattr(os, "access", lambda p, mode: False if os.fspath(p) == str(path)
                            else real_access(p, mode))
    before = path.read_bytes()
    with caught_warnings() as messages:
        _epoch(history, 1)
        stream.flush()                                # an append: refused
        _epoch(history, 2, late=1.0)
        stream.flush()                                # a rewrite: the file is not replaced
    assert len(messages) == 1 and "Permission denied" in messages[0], messages
    assert path.read_bytes() == before                # the user's read-only file is respected
    monkeypatch.undo()
    path.chmod(0o644)
    with caught_warnings() as messages:
        stream.flush()
    assert any("is written again" in m for m in messages)
    _same_as_disk(path, history)
    stream.close()


def test_file_removed_mid_run_is_written_again_in_full(tmp_path):
    path, history, stream = _run(tmp_path)
    for epoch in range(2):
        _epoch(history, epoch)
        stream.flush()
    path.unlink()
    (path.parent / "run.batches.csv").unlink()
    _epoch(history, 2)
    with caught_warnings() as messages:
        stream.flush()
    assert len(messages) == 2 and all("was removed; it was written again in full" in m
                                      for m in messages)
    _same_as_disk(path, history)
    stream.close()


@pytest.mark.parametrize("size", [0, 5])
def test_logrotate_copytruncate_gets_the_whole_file_with_its_header(tmp_path, size):
    path, history, stream = _run(tmp_path)
    for epoch in range(2):
        _epoch(history, epoch)
        stream.flush()
    shutil.copy(path, tmp_path / "run.csv.1")         # logrotate copytruncate
    os.truncate(path, size)
    _epoch(history, 2)
    with pytest.warns(UserWarning, match=r"run\.csv' was truncated .* written again in full"):
        stream.flush()
    assert path.read_text().startswith("epoch,loss\n0,0.0\n")
    _same_as_disk(path, history)
    stream.close()


def test_a_file_grown_by_someone_else_is_rewritten_from_the_history(tmp_path):
    path, history, stream = _run(tmp_path)
    _epoch(history, 0)
    stream.flush()
    with open(path, "a") as handle:
        handle.write("7,0.9\n")                       # not ours
    _epoch(history, 1)
    with pytest.warns(UserWarning, match="written to by another program"):
        stream.flush()
    _same_as_disk(path, history)
    stream.close()
