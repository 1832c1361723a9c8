"""Issue 10.2: a path that is not a regular file is refused; a symlink is written through."""

from __future__ import annotations

import os
import stat
import textwrap

import pytest

from fittrack.history import CsvStream, MetricHistory, load_history
from fittrack.history.paths import NotRegularFileError

from .conftest import run_python

FIFO_SCRIPT = textwrap.dedent("""
    import os, sys
    from fittrack.history import CsvStream, MetricHistory
    path = sys.argv[1]
    for call in ("check_writable", "start"):
        stream = CsvStream(path, MetricHistory())
        try:
            stream.check_writable() if call == "check_writable" else stream.start(append=False)
        except Exception as error:
            print(call, type(error).__name__, error)
    fifo = sys.argv[2]
    print("exists", os.path.exists(fifo),
          "fifo", __import__("stat").S_ISFIFO(os.stat(fifo).st_mode))
""")


@pytest.mark.parametrize("name", ["run.csv", "run.batches.csv", "link.csv"])
def test_a_fifo_is_refused_before_anything_is_written(tmp_path, name):
    """Run in a subprocess with a timeout: opening a FIFO to write would wait forever."""
    fifo = tmp_path / name
    if name == "link.csv":
        os.mkfifo(tmp_path / "pipe")
        os.symlink(tmp_path / "pipe", fifo)
    else:
        os.mkfifo(fifo)
    csv_path = fifo if name == "link.csv" else tmp_path / "run.csv"
    result = run_python(FIFO_SCRIPT, csv_path, fifo, timeout=60)
    lines = result.stdout.splitlines()
    assert len(lines) == 3, result.stderr
    for line, call in zip(lines, ("check_writable", "start")):
        assert line.startswith(f"{call} NotRegularFileError")
        assert "is a FIFO (named pipe), not a regular file" in line and name in line
    assert lines[2] == "exists True fifo True"  # untouched
    assert sorted(os.listdir(tmp_path)) == (["link.csv", "pipe"] if name == "link.csv" else [name])


def test_a_device_node_is_refused(tmp_path):
    node = tmp_path / "null"
    try:
        os.mknod(node, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    except (PermissionError, OSError):       # no mknod here (containers): a link to one
        os.symlink(os.devnull, node)
    assert stat.S_ISCHR(os.stat(node).st_mode)
    for call in ("check_writable", "start"):
        stream = CsvStream(node, MetricHistory())
        with pytest.raises(NotRegularFileError, match="is a character device, not a regular"):
            stream.check_writable() if call == "check_writable" else stream.start(append=False)
    assert stat.S_ISCHR(os.stat(node).st_mode)  # still the device


def test_a_folder_is_refused(tmp_path):
    (tmp_path / "dir.csv").mkdir()
    os.symlink(tmp_path / "dir.csv", tmp_path / "link.csv")
    for path in (tmp_path / "dir.csv", tmp_path / "link.csv"):
        with pytest.raises(IsADirectoryError, match="is a folder"):
            CsvStream(path, MetricHistory()).start(append=False)
    assert (tmp_path / "dir.csv").is_dir() and (tmp_path / "link.csv").is_symlink()


def _run(path, epochs, append=False, start_epoch=0, late=None):
    history = MetricHistory.from_csv(path) if append else MetricHistory()
    stream = CsvStream(path, history)
    stream.check_writable()
    stream.start(append=append)
    for epoch in range(start_epoch, start_epoch + epochs):
        row = {"loss": epoch / 4}
        if late is not None and epoch >= late:
            row["auc"] = 0.5  # a late key: the files are rewritten atomically
        history.record_batch(epoch + 1, epoch, 0, row)
        history.record_epoch(epoch, row)
        stream.flush()
    stream.close()
    return history


def test_a_symlink_is_written_through_and_stays_a_link(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    target = data / "real.csv"
    target.write_text("epoch,old\n0,1\n")
    link = tmp_path / "run.csv"
    os.symlink(target, link)
    _run(link, 3, late=1)                             # fresh run: appends and a rewrite
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert target.read_text() == "epoch,loss,auc\n0,0.0,\n1,0.25,0.5\n2,0.5,0.5\n"
    _run(link, 2, append=True, start_epoch=3, late=4)  # resume: append, then a rewrite
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert load_history(link).epoch == [0, 1, 2, 3, 4]
    assert load_history(target).history == load_history(link).history
    assert sorted(os.listdir(data)) == ["real.csv"]    # no temporary file, the lock removed
    assert sorted(os.listdir(tmp_path)) == ["data", "run.batches.csv", "run.csv"]


def test_a_dangling_symlink_creates_its_target(tmp_path):
    link = tmp_path / "run.csv"
    os.symlink(tmp_path / "target.csv", link)
    _run(link, 2)
    assert link.is_symlink() and load_history(tmp_path / "target.csv").epoch == [0, 1]


def test_fresh_run_through_a_link_removes_the_old_rows_not_the_link(tmp_path):
    target = tmp_path / "real.csv"
    target.write_text("epoch,loss\n0,1.0\n")
    link = tmp_path / "run.csv"
    os.symlink(target, link)
    stream = CsvStream(link, MetricHistory())
    stream.start(append=False)
    assert link.is_symlink() and not target.exists()   # like a fresh CSVLogger run
    stream.close()
