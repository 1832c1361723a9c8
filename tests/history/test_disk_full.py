"""Issue 10.3: disk full / EFBIG never leaves a partial row, and no wrong value is read.

A failed or short append is undone (the file is cut back to its old size);
flush warns instead of raising; the rows stay in the history and are written
when the disk takes them again. Faults: a write cut at every byte of a row
(in process), a real file-size limit (RLIMIT_FSIZE, SIGXFSZ ignored) in a
subprocess, and a failed cut-back.
"""

from __future__ import annotations

import errno
import json
import os
import textwrap

import pytest

from fittrack.history import CsvStream, MetricHistory, load_history

from .conftest import caught_warnings, run_python


def _epoch(history: MetricHistory, epoch: int, batches: int = 2) -> None:
    for batch in range(batches):
        step = epoch * batches + batch + 1
        history.record_batch(step, epoch, batch, {"loss": step / 7})
    history.record_epoch(epoch, {"loss": epoch / 3, "val_accuracy": 0.57 + epoch})


def _assert_exact(history: MetricHistory, epochs: int, batches: int = 2,
                  batch_epochs: int | None = None) -> None:
    """The rows of ``epochs`` epochs (batch rows of ``batch_epochs``), each value exact."""
    assert history.epoch == list(range(epochs))
    assert history["loss"] == [e / 3 for e in range(epochs)]
    assert history["val_accuracy"] == [0.57 + e for e in range(epochs)]
    batch_epochs = epochs if batch_epochs is None else batch_epochs
    assert history.steps == list(range(1, batch_epochs * batches + 1))
    if batches:
        assert history.batch_values("loss") == [s / 7 for s in history.steps]


class CutWrites:
    """os.write that writes only ``cut`` bytes to one file, then fails with EFBIG."""

    def __init__(self, monkeypatch, path, cut: int) -> None:
        self.inode, self.cut, self.calls = os.stat(path).st_ino, cut, 0
        real = os.write

        def write(fd, data):
            if os.fstat(fd).st_ino != self.inode:
                return real(fd, data)
            self.calls += 1
            if self.calls == 1 and self.cut:
                return real(fd, bytes(data)[:self.cut])  # a short write
            raise OSError(errno.EFBIG, "File too large")

        monkeypatch.setattr(os, "write", write)


@pytest.mark.parametrize("which", ["run.csv", "run.batches.csv"])
def test_a_write_cut_at_any_byte_is_undone(tmp_path, monkeypatch, which):
    path = tmp_path / "run.csv"
    history = MetricHistory()
    stream = CsvStream(path, history)
    stream.start(append=False)
    for epoch in range(3):
        _epoch(history, epoch)
        stream.flush()
    before = {name: (tmp_path / name).read_bytes() for name in ("run.csv", "run.batches.csv")}
    _epoch(history, 3)
    if which == "run.csv":  # the batch rows go first, and get through: not committed
        before["run.batches.csv"] += b"7,3,0,1.0\n8,3,1,1.1428571428571428\n"
    row_length = len(b"3,1.0,3.57\n") if which == "run.csv" else len(b"7,3,0,1.0\n8,3,1,")
    with caught_warnings() as messages:
        for cut in range(row_length):                 # one trial per byte of the row
            with monkeypatch.context() as patch:
                writes = CutWrites(patch, tmp_path / which, cut)
                stream.flush()                          # never raises
                assert writes.calls >= 1
            for name, content in before.items():        # nothing half-written, nothing ahead
                assert (tmp_path / name).read_bytes() == content, (name, cut)
            _assert_exact(load_history(path), 3, batch_epochs=3 + (which == "run.csv"))
    assert len([m for m in messages if "could not write" in m]) == 1  # warned once
    assert "File too large" in messages[0] and str(path) in messages[0]
    with caught_warnings() as messages:
        stream.flush()                                  # the disk takes it again
    assert any("is written again" in m for m in messages)
    _assert_exact(load_history(path), 4)
    stream.close()


def test_a_failed_cut_back_gets_the_file_rewritten(tmp_path, monkeypatch):
    path = tmp_path / "run.csv"
    history = MetricHistory()
    stream = CsvStream(path, history)
    stream.start(append=False)
    _epoch(history, 0, batches=0)
    stream.flush()
    _epoch(history, 1, batches=0)
    with monkeypatch.context() as patch, pytest.warns(UserWarning, match="could not be undone"):
        CutWrites(patch, path, 5)
        patch.setattr(os, "ftruncate", lambda fd, size: (_ for _ in ()).throw(OSError("EIO")))
        stream.flush()
    with pytest.raises(ValueError, match="line 3: the last line '1,0.3' does not end"):
        load_history(path)                              # refused, never read as 0.3
    with pytest.warns(UserWarning, match="is written again"):
        stream.flush()                                  # rewritten in full
    assert path.read_text().count("\n") == 3
    assert load_history(path)["val_accuracy"] == [0.57, 0.57 + 1]


LIMITED = textwrap.dedent("""
    import json, os, resource, signal, sys, warnings
    from fittrack.history import CsvStream, MetricHistory
    path, cut, batches = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)   # EFBIG instead of a signal
    warnings.simplefilter("always")
    history = MetricHistory()
    stream = CsvStream(path, history)
    stream.start(append=False)

    def epoch(e, late=False):
        for b in range(batches):
            step = e * batches + b + 1
            history.record_batch(step, e, b, {"loss": step / 7})
        row = {"loss": e / 3, "val_accuracy": 0.57 + e}
        if late:
            row["auc"] = 0.5  # a late key: a full rewrite, larger than the limit
        history.record_epoch(e, row)

    for e in range(3):
        epoch(e)
        stream.flush()
    limited = path if batches == 0 else path[:-4] + ".batches.csv"
    limit = os.path.getsize(limited) + cut   # the next row of that file is cut here
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for e in range(3, 6):
            epoch(e, late=e == 4)
            stream.flush()
        stream.close()
    sizes = {name: os.path.getsize(os.path.join(os.path.dirname(path), name))
             for name in sorted(os.listdir(os.path.dirname(path)))}
    print(json.dumps({"warnings": [str(w.message) for w in caught], "limit": limit,
                      "sizes": sizes}))
""")


@pytest.mark.parametrize("batches, cut", [(0, 1), (0, 2), (0, 8), (0, 9), (0, 10),
                                          (3, 1), (3, 9), (3, 20)])
def test_a_file_size_limit_in_a_real_process(tmp_path, batches, cut):
    path = tmp_path / "run.csv"
    result = run_python(LIMITED, path, cut, batches, timeout=120)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    failures = [m for m in report["warnings"] if "could not write" in m]
    assert len(failures) == 1 and "File too large" in failures[0], report
    assert all(size <= report["limit"] for size in report["sizes"].values())
    assert sorted(report["sizes"]) == (["run.csv"] if batches == 0
                                       else ["run.batches.csv", "run.csv"])  # no temp file
    on_disk = load_history(path)                  # loads: no torn row, no wrong value
    _assert_exact(on_disk, 3, batches)
    # resume with append=True (no limit now): everything after epoch 2 is written again
    history = MetricHistory.from_csv(path)
    stream = CsvStream(path, history)
    stream.start(append=True)
    for epoch in range(3, 6):
        for batch in range(batches):
            step = epoch * batches + batch + 1
            history.record_batch(step, epoch, batch, {"loss": step / 7})
        history.record_epoch(epoch, {"loss": epoch / 3, "val_accuracy": 0.57 + epoch})
        stream.flush()
    stream.close()
    _assert_exact(load_history(path), 6, batches)
