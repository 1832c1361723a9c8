"""Issue 10.5: one writer per run; a second one is refused before it writes anything."""

from __future__ import annotations

import gc
import json
import os
import signal
import textwrap

import pytest

from fittrack.history import CsvStream, MetricHistory, load_history
from fittrack.history.lock import CsvPathInUseError, RunLock

from .conftest import caught_warnings, python_process, run_python


def _epochs(history, stream, epochs, value=1.0):
    for epoch in epochs:
        history.record_batch(epoch + 1, epoch, 0, {"loss": value})
        history.record_epoch(epoch, {"loss": value})
        stream.flush()


def test_two_streams_of_one_fit_are_refused(tmp_path):
    path = tmp_path / "run.csv"
    fit = object()  # what the callbacks of one fit share (e.g. callback.params)
    first = CsvStream(path, MetricHistory())
    first.start(append=False, owner=fit)
    _epochs(first.history, first, range(2))
    second = CsvStream(path, MetricHistory())
    with pytest.raises(CsvPathInUseError, match=r"run\.csv' is already written by another "
                                                r"CsvStream of this fit"):
        second.start(append=False, owner=fit)
    _epochs(first.history, first, range(2, 4))  # the first writer goes on, untouched
    first.close()
    assert load_history(path).epoch == [0, 1, 2, 3] and load_history(path).steps == [1, 2, 3, 4]
    with pytest.raises(RuntimeError, match="not started"):
        second.flush()


@pytest.mark.parametrize("owner", ["another", None])
def test_a_stream_of_an_earlier_fit_is_taken_over(tmp_path, owner):
    """Keras does not call on_train_end when fit raises: the next fit takes the files over."""
    path = tmp_path / "run.csv"
    old = CsvStream(path, MetricHistory())
    old.start(append=False, owner="fit-1")
    _epochs(old.history, old, range(2), value=9.0)
    new_history = MetricHistory()
    new = CsvStream(path, new_history)
    with caught_warnings() as messages:
        new.start(append=False, owner=owner)
    assert messages == []
    _epochs(new_history, new, range(3))
    with pytest.warns(UserWarning, match="no longer writes .*run.csv.*took the file over"):
        _epochs(old.history, old, range(2, 4), value=9.0)  # writes nothing
    old.close()                                             # and does not remove the lock
    assert RunLock(path).path.exists()
    assert load_history(path).history == {"loss": [1.0, 1.0, 1.0]}
    new.close()
    assert sorted(os.listdir(tmp_path)) == ["run.batches.csv", "run.csv"]


def test_close_is_idempotent_and_garbage_collection_releases(tmp_path):
    path = tmp_path / "run.csv"
    stream = CsvStream(path, MetricHistory())
    stream.start(append=False, owner="fit")
    lock = RunLock(path).path
    assert lock.exists() and json.loads(lock.read_text())["pid"] == os.getpid()
    stream.close()
    stream.close()
    assert not lock.exists()
    stream.start(append=True, owner="fit")  # a closed stream can start again
    assert lock.exists()
    del stream
    gc.collect()
    assert not lock.exists()
    other = CsvStream(path, MetricHistory())
    other.start(append=False, owner="fit")  # same owner, but the holder is gone
    other.close()


HOLDER = textwrap.dedent("""
    import sys
    from fittrack.history import CsvStream, MetricHistory
    history = MetricHistory()
    stream = CsvStream(sys.argv[1], history)
    stream.start(append=False)
    history.record_epoch(0, {"loss": 0.5})
    stream.flush()
    print("ready", flush=True)
    if sys.stdin.readline().strip() == "close":
        stream.close()
    print("done", flush=True)   # exits without close() otherwise: released at exit
""")


@pytest.mark.parametrize("ending", ["close", "exit"])
def test_another_live_process_is_refused_until_it_ends(tmp_path, ending):
    path = tmp_path / "run.csv"
    with python_process(HOLDER, path) as holder:
        assert holder.stdout.readline().strip() == "ready"
        stream = CsvStream(path, MetricHistory())
        with pytest.raises(CsvPathInUseError, match=rf"run\.csv' is being written by process "
                                                    rf"{holder.pid} on host .*run\.csv\.lock"):
            stream.start(append=False)
        assert load_history(path).history == {"loss": [0.5]}  # nothing was touched
        holder.stdin.write(ending + "\n")
        holder.stdin.flush()
        assert holder.stdout.readline().strip() == "done"
    assert holder.returncode == 0
    assert not RunLock(path).path.exists()
    with caught_warnings() as messages:
        stream.start(append=True)
    assert messages == []
    stream.close()


def test_the_lock_of_a_killed_process_is_stale_and_taken_over(tmp_path):
    path = tmp_path / "run.csv"
    with python_process(HOLDER, path) as holder:
        assert holder.stdout.readline().strip() == "ready"
        holder.send_signal(signal.SIGKILL)
    assert holder.returncode == -signal.SIGKILL
    assert RunLock(path).path.exists()                       # left behind
    history = MetricHistory.from_csv(path)
    stream = CsvStream(path, history)
    with pytest.warns(UserWarning, match=rf"left by process {holder.pid} on host .* no longer "
                                         rf"runs .* taken over"):
        stream.start(append=True)
    _epochs(history, stream, [1])
    stream.close()
    assert load_history(path).epoch == [0, 1]


TWO_WRITERS = textwrap.dedent("""
    import sys
    from fittrack.history import CsvStream, MetricHistory
    from fittrack.history.lock import CsvPathInUseError
    history = MetricHistory()
    stream = CsvStream(sys.argv[1], history)
    try:
        stream.start(append=False)
    except CsvPathInUseError:
        print("refused", flush=True)
        raise SystemExit(0)
    print("writing", flush=True)
    sys.stdin.readline()
    for epoch in range(30):
        history.record_epoch(epoch, {"loss": float(sys.argv[2])})
        stream.flush()
    stream.close()
    print("wrote", flush=True)
""")


def test_two_processes_on_one_path_never_mix_their_rows(tmp_path):
    path = tmp_path / "run.csv"
    with python_process(TWO_WRITERS, path, 1) as first:
        assert first.stdout.readline().strip() == "writing"
        result = run_python(TWO_WRITERS, path, 2)
        assert result.stdout.strip() == "refused"
        first.stdin.write("go\n")
        first.stdin.flush()
        assert first.stdout.readline().strip() == "wrote"
    history = load_history(path)
    assert history.epoch == list(range(30)) and set(history["loss"]) == {1.0}


FORKED = textwrap.dedent("""
    import os, sys
    from fittrack.history import CsvStream, MetricHistory
    from fittrack.history.lock import RunLock
    stream = CsvStream(sys.argv[1], MetricHistory())
    stream.start(append=False)
    child = os.fork()
    if child == 0:
        sys.exit(0)                       # the child's exit runs the finalizers too
    os.waitpid(child, 0)
    print("kept" if RunLock(sys.argv[1]).path.exists() else "lost", flush=True)
    stream.close()
    print("released" if not RunLock(sys.argv[1]).path.exists() else "left", flush=True)
""")


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork here")
def test_a_forked_child_exiting_does_not_release_the_parents_lock(tmp_path):
    result = run_python(FORKED, tmp_path / "run.csv")
    assert result.stdout.split() == ["kept", "released"], result.stderr


def test_a_refused_restart_does_not_keep_writing(tmp_path):
    path = tmp_path / "run.csv"
    stream = CsvStream(path, MetricHistory())
    stream.start(append=False)
    stream.close()
    holder = CsvStream(path, MetricHistory())
    holder.start(append=False, owner="fit")
    with pytest.raises(CsvPathInUseError):
        stream.start(append=True, owner="fit")
    with pytest.raises(RuntimeError, match="not started"):
        stream.flush()
    holder.close()


@pytest.mark.parametrize("other", ["run", "run.CSV"])
def test_paths_that_share_their_sibling_files_share_the_lock(tmp_path, other):
    # run.csv, run and run.CSV all write run.batches.csv, run.meta.json, run.curves.npz
    path = tmp_path / "run.csv"
    with python_process(HOLDER, path) as holder:
        assert holder.stdout.readline().strip() == "ready"
        with pytest.raises(CsvPathInUseError, match=r"run\.csv\.lock"):
            CsvStream(tmp_path / other, MetricHistory()).start(append=False)
        assert load_history(path).history == {"loss": [0.5]}   # nothing of it removed
        holder.stdin.write("close\n")
        holder.stdin.flush()
        assert holder.stdout.readline().strip() == "done"
