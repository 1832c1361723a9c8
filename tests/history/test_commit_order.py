"""Issue 10.1: batch rows first, the epoch file last (the commit marker); a resume cuts back.

A writer is killed (SIGKILL, from inside, at a chosen write) before the batch
write, between the batch and the epoch write, or after both; in epochs whose
flush appends and in epochs whose flush rewrites a file (a late key). The
files always load, every value read is the value recorded, and an
``append=True`` resume ends with every epoch and every batch row exactly once.
"""

from __future__ import annotations

import signal
import textwrap

import numpy as np
import pytest

from fittrack.history import CsvStream, MetricHistory, load_history
from fittrack.history.curve_store import CurveStore, curves_path

from .conftest import caught_warnings, run_python

BATCHES = 4  # batch rows per epoch

WRITER = textwrap.dedent(f"""
    import os, signal, sys
    import fittrack.history.mirror as mirror
    from fittrack.history import CsvStream, MetricHistory

    path, kill_epoch, kill_at = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    state = {{"epoch": -1, "writes": 0}}

    def hooked(write):
        def call(*args, **kwargs):
            if state["epoch"] == kill_epoch and state["writes"] == kill_at:
                os.kill(os.getpid(), signal.SIGKILL)
            state["writes"] += 1
            return write(*args, **kwargs)
        return call

    mirror.append_once = hooked(mirror.append_once)
    mirror.atomic_write = hooked(mirror.atomic_write)
    history = MetricHistory()
    stream = CsvStream(path, history)
    stream.start(append=False)
    for epoch in range(8):
        for batch in range({BATCHES}):
            step = epoch * {BATCHES} + batch + 1
            row = {{"loss": step / 7}}
            if epoch % 3 == 0:
                row[f"k{{epoch}}"] = 0.5  # a late key: this flush rewrites the batch file
            history.record_batch(step, epoch, batch, row)
        history.record_epoch(epoch, {{"loss": epoch / 3, f"m{{epoch % 4}}": 0.25}})
        state["epoch"], state["writes"] = epoch, 0
        stream.flush()
        if epoch == kill_epoch and kill_at == 2:
            os.kill(os.getpid(), signal.SIGKILL)
    print("not killed", flush=True)
""")


def check_values(history: MetricHistory) -> None:
    """Every value read back is the one recorded: nothing wrong, nothing torn."""
    assert history["loss"] == [e / 3 for e in history.epoch]
    assert history.batch_values("loss") == [s / 7 for s in history.steps]
    frame = history.to_frame("batch")
    assert (frame["step"] == frame["epoch"] * BATCHES + frame["batch"] + 1).all()


def resume(path, epochs: int) -> MetricHistory:
    """Continue the run in this process up to ``epochs`` epochs, as the callback does."""
    history = MetricHistory.from_csv(path)
    stream = CsvStream(path, history)
    stream.start(append=True)
    first = history.epoch[-1] + 1 if history.epoch else 0
    for epoch in range(first, epochs):
        for batch in range(BATCHES):
            step = epoch * BATCHES + batch + 1
            history.record_batch(step, epoch, batch, {"loss": step / 7})
        history.record_epoch(epoch, {"loss": epoch / 3})
        stream.flush()
    stream.close()
    return history


# kill_at: 0 = before the batch write, 1 = between the batch and the epoch write,
#          2 = after both writes (before the next epoch)
@pytest.mark.parametrize("kill_epoch", [0, 2, 3])      # 0 and 3 rewrite, 2 appends
@pytest.mark.parametrize("kill_at", [0, 1, 2])
def test_a_kill_at_any_write_loses_nothing_finished(tmp_path, kill_epoch, kill_at):
    path = tmp_path / "run.csv"
    result = run_python(WRITER, path, kill_epoch, kill_at)
    assert result.returncode == -signal.SIGKILL, result.stderr
    finished = kill_epoch + (kill_at == 2)  # epochs whose epoch row was written
    if finished == 0:
        assert not path.exists()
        batches_on_disk = 4 * (kill_at == 1)
    else:
        on_disk = load_history(path)
        check_values(on_disk)
        assert on_disk.epoch == list(range(finished))
        batches_on_disk = len(on_disk.steps)
    assert batches_on_disk == BATCHES * (finished + (kill_at == 1))  # one epoch ahead, or not

    with caught_warnings() as messages:
        resumed = resume(path, 6) if path.exists() else None
    if kill_at == 1 and finished:  # batch rows of the unfinished epoch: dropped, with a warning
        assert any(f"holds {BATCHES} batch rows of epoch {kill_epoch}, after the last finished "
                   f"epoch in" in m for m in messages)
        assert any("was left by process" in m for m in messages)  # the killed run's lock
    if resumed is None:
        return
    back = load_history(path)
    check_values(back)
    assert back.epoch == list(range(6)) == resumed.epoch
    assert back.steps == list(range(1, 6 * BATCHES + 1)) == resumed.steps  # each exactly once
    assert path.read_text().count("epoch") == 1


def test_resume_in_process_drops_the_interrupted_epochs_batch_rows(tmp_path):
    """An epoch interrupted after some batch rows (an exception, Ctrl-C): start(append=True)
    with the same history drops them, so the epoch run again does not duplicate steps."""
    path = tmp_path / "run.csv"
    history = MetricHistory()
    stream = CsvStream(path, history)
    stream.start(append=False)
    for epoch in range(2):
        history.record_batch(epoch + 1, epoch, 0, {"loss": 1.0})
        history.record_epoch(epoch, {"loss": 1.0})
        stream.flush()
    history.record_batch(3, 2, 0, {"loss": 9.0})          # epoch 2 never ends
    history.record_batch(4, 2, 1, {"loss": 9.0, "late": 1.0})
    with pytest.warns(UserWarning, match=r"holds 2 batch rows of epoch 2, after the last "
                                         r"finished epoch .* \(1\).*initial_epoch=2"):
        CsvStream(path, history).start(append=True)
    assert history.steps == [1, 2] and history.batch_keys == ["loss"]
    assert load_history(path).steps == [1, 2]


def test_without_epoch_rows_every_batch_row_is_uncommitted(tmp_path):
    history = MetricHistory()
    history.record_batch(1, 0, 0, {"loss": 1.0})
    with pytest.warns(UserWarning, match=r"holds 1 batch rows of epoch 0, .*\(none\)"):
        CsvStream(tmp_path / "run.csv", history).start(append=True)
    assert history.steps == [] and not (tmp_path / "run.batches.csv").exists()


def test_curves_of_an_epoch_without_its_epoch_row_are_not_committed(tmp_path):
    # a kill between the curves write and the epoch write: the curves file is one epoch
    # ahead; loading leaves that epoch out, and a resume (even with a gap) drops it
    path = tmp_path / "run.csv"
    history = MetricHistory()
    stream = CsvStream(path, history)
    stream.start(append=False)
    roc = {"fpr": [0.0, 1.0], "tpr": [0.0, 1.0], "thresholds": [np.inf, 0.5], "class": [1, 1]}
    for epoch in range(3):
        history.curves.add(epoch, "val", "roc", roc)
        if epoch < 2:
            history.record_epoch(epoch, {"loss": 1.0})
        stream.flush() if epoch < 2 else stream._write_curves()   # killed before epoch 2's row
    assert 2 in CurveStore.load(curves_path(path)).epochs()
    assert load_history(path).curves.epochs() == [0, 1]
    resumed = MetricHistory.from_csv(path)
    resumed.curves.add(2, "val", "roc", roc)          # as if read before this fix
    with caught_warnings():
        CsvStream(path, resumed).start(append=True)
    assert resumed.curves.epochs() == [0, 1]
