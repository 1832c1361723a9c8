"""csv_path streaming and resuming with append=True and initial_epoch."""

import pandas as pd
import pytest

from fittrack import MetricsCallback, load_history
from fittrack.notices import FittrackWarning
from tests.callbacks.probes import binary_classifier
from tests.keras_under_test import BACKEND, KERAS_VERSION, keras


class CountBatches(keras.callbacks.Callback):
    def __init__(self, fail_at=None):
        super().__init__()
        self.batches, self.fail_at = 0, fail_at

    def on_train_batch_begin(self, batch, logs=None):
        if self.batches == self.fail_at:
            raise KeyboardInterrupt("stopped by the test")
        self.batches += 1


def test_epoch_and_batch_files_match_the_store(binary_data, tmp_path):
    x, y, xv, yv = binary_data
    model = binary_classifier()
    path = tmp_path / "run.csv"
    cb = MetricsCallback(["auc", "f1"], (x, y), (xv, yv), batch_frequency=2, csv_path=path)
    model.fit(x, y, epochs=3, batch_size=50, verbose=0, callbacks=[cb])
    epochs = pd.read_csv(path)
    assert list(epochs.columns[:1]) == ["epoch"] and epochs["epoch"].tolist() == [0, 1, 2]
    assert epochs["val_auc"].tolist() == cb.history["val_auc"]
    batches = pd.read_csv(tmp_path / "run.batches.csv")
    assert list(batches.columns[:3]) == ["step", "epoch", "batch"]
    assert batches["step"].tolist() == [2, 4, 6, 8, 10, 12]
    assert batches["val_f1"].tolist() == cb.history.batch_values("val_f1")
    loaded = load_history(path)
    assert loaded.history == cb.history.history
    assert loaded.to_frame("batch").equals(cb.history.to_frame("batch"))


def test_resume_with_initial_epoch_continues_both_files(binary_data, tmp_path):
    x, y, xv, yv = binary_data
    path = tmp_path / "run.csv"
    model = binary_classifier()
    first = MetricsCallback(["auc"], validation_data=(xv, yv), batch_frequency=3, csv_path=path)
    model.fit(x, y, epochs=3, batch_size=50, verbose=0, callbacks=[first])   # 4 steps / epoch
    # A new process would build a new callback: resume from epoch 2 (epoch 2 is re-run,
    # which must be asked for: append="replace"), adding a metric on the way.
    resumed = MetricsCallback(["auc", "f1"], validation_data=(xv, yv), batch_frequency=3,
                              csv_path=path, append="replace")
    model.fit(x, y, epochs=5, initial_epoch=2, batch_size=50, verbose=0, callbacks=[resumed])
    text = path.read_text().splitlines()
    assert sum(line.startswith("epoch,") for line in text) == 1
    frame = pd.read_csv(path)
    assert frame["epoch"].tolist() == [0, 1, 2, 3, 4]
    assert frame["val_auc"].iloc[:2].tolist() == first.history["val_auc"][:2]
    assert frame["val_f1"].iloc[:2].isna().all() and frame["val_f1"].iloc[2:].notna().all()
    batches = pd.read_csv(tmp_path / "run.batches.csv")
    assert sum(line.startswith("step,") for line in
               (tmp_path / "run.batches.csv").read_text().splitlines()) == 1
    # Steps continue from the 8 batches of epochs 0-1, on the grid an uninterrupted run uses.
    assert batches["step"].tolist() == [3, 6, 9, 12, 15, 18]
    assert batches["epoch"].tolist() == [0, 1, 2, 2, 3, 4]
    assert batches["batch"].tolist() == [2, 1, 0, 3, 2, 1]
    assert resumed.history.epoch == [0, 1, 2, 3, 4]


def test_same_callback_resumed_in_process_keeps_its_history(binary_data, tmp_path):
    x, y, xv, yv = binary_data
    model = binary_classifier()
    cb = MetricsCallback(["auc"], validation_data=(xv, yv), csv_path=tmp_path / "r.csv",
                         append=True)
    model.fit(x, y, epochs=2, verbose=0, callbacks=[cb])
    model.fit(x, y, epochs=4, initial_epoch=2, verbose=0, callbacks=[cb])
    assert cb.history.epoch == [0, 1, 2, 3]
    assert pd.read_csv(tmp_path / "r.csv")["epoch"].tolist() == [0, 1, 2, 3]


def test_without_append_a_second_run_overwrites(binary_data, tmp_path):
    x, y, xv, yv = binary_data
    model = binary_classifier()
    path = tmp_path / "r.csv"
    for epochs in (3, 2):
        cb = MetricsCallback(["auc"], validation_data=(xv, yv), csv_path=path)
        model.fit(x, y, epochs=epochs, verbose=0, callbacks=[cb])
    assert pd.read_csv(path)["epoch"].tolist() == [0, 1]


def _three_epochs(binary_data, path):
    x, y, xv, yv = binary_data
    model = binary_classifier()
    cb = MetricsCallback(["auc"], validation_data=(xv, yv), csv_path=path)
    model.fit(x, y, epochs=3, batch_size=50, verbose=0, callbacks=[cb])
    return model


def test_append_over_finished_epochs_fails_before_the_first_batch(binary_data, tmp_path):
    x, y, xv, yv = binary_data
    path = tmp_path / "run.csv"
    model = _three_epochs(binary_data, path)
    before = path.read_bytes()
    cb = MetricsCallback(["auc"], validation_data=(xv, yv), csv_path=path, append=True)
    count = CountBatches()
    with pytest.raises(ValueError) as err:
        model.fit(x, y, epochs=2, verbose=0, callbacks=[cb, count])   # initial_epoch=0
    message = str(err.value)
    assert "holds epochs 0-2" in message and "initial_epoch=3" in message
    assert "append='replace'" in message and "append=False" in message
    assert count.batches == 0
    assert path.read_bytes() == before
    assert load_history(path).epoch == [0, 1, 2]


def test_append_with_a_gap_warns_and_keeps_every_row(binary_data, tmp_path):
    x, y, xv, yv = binary_data
    path = tmp_path / "run.csv"
    model = _three_epochs(binary_data, path)
    cb = MetricsCallback(["auc"], validation_data=(xv, yv), csv_path=path, append=True)
    with pytest.warns(UserWarning, match="epochs 3-4 will have no rows"):
        model.fit(x, y, epochs=6, initial_epoch=5, verbose=0, callbacks=[cb])
    assert load_history(path).epoch == [0, 1, 2, 5]


@pytest.mark.skipif(
    BACKEND == "jax" and KERAS_VERSION < (3, 10),
    reason="Keras < 3.10 on JAX cannot fit a model again after an interrupted fit, even "
    "without fittrack (keras-team/keras#21019)")
def test_in_process_resume_after_an_interrupt_records_each_step_once(binary_data, tmp_path):
    x, y, xv, yv = binary_data
    path = tmp_path / "run.csv"
    model = binary_classifier()
    cb = MetricsCallback(["auc"], validation_data=(xv, yv), batch_frequency=2, csv_path=path,
                         append=True)
    with pytest.raises(KeyboardInterrupt):       # 4 steps per epoch: stops inside epoch 1
        model.fit(x, y, epochs=3, batch_size=50, verbose=0, callbacks=[cb, CountBatches(7)])
    assert cb.history.epoch == [0]
    with pytest.warns(FittrackWarning, match="batch rows of epoch 1.*dropped"):
        model.fit(x, y, epochs=3, initial_epoch=len(cb.history.epoch), batch_size=50, verbose=0,
                  callbacks=[cb])
    steps = cb.history.steps
    assert steps == [2, 4, 6, 8, 10, 12] == sorted(set(steps))
    on_disk = pd.read_csv(tmp_path / "run.batches.csv")
    assert on_disk["step"].tolist() == steps
    assert load_history(path).epoch == [0, 1, 2]


def test_two_callbacks_on_one_path_in_one_fit_are_refused(binary_data, tmp_path):
    x, y, xv, yv = binary_data
    model = binary_classifier()
    path = tmp_path / "run.csv"
    first = MetricsCallback(["auc"], validation_data=(xv, yv), csv_path=path)
    second = MetricsCallback(["f1"], validation_data=(xv, yv), csv_path=path)
    count = CountBatches()
    with pytest.raises(RuntimeError, match="run.csv"):
        model.fit(x, y, epochs=2, verbose=0, callbacks=[first, second, count])
    assert count.batches == 0
    # the lock was released on the way out: a new fit on the path works
    third = MetricsCallback(["auc"], validation_data=(xv, yv), csv_path=path)
    model.fit(x, y, epochs=1, verbose=0, callbacks=[third])
    assert load_history(path).epoch == [0]


def test_resumed_steps_count_every_batch_of_a_source_of_unknown_length(binary_data, tmp_path):
    # a generator: Keras does not know the batches per epoch (7 here, the last not a
    # multiple of 3); the steps of the resumed epoch continue from the batches run
    x, y, xv, yv = binary_data
    n = -(-len(x) // 32)

    def batches():
        for i in range(0, len(x), 32):
            yield x[i:i + 32], y[i:i + 32]
    model = binary_classifier()
    path = tmp_path / "run.csv"
    cb = MetricsCallback(["auc"], (x, y), (xv, yv), batch_frequency=3, monitor_size=50,
                         append=True, csv_path=path)
    model.fit(batches(), epochs=1, verbose=0, callbacks=[cb])
    model.fit(batches(), initial_epoch=1, epochs=2, verbose=0, callbacks=[cb])
    rows = cb.history.to_frame("batch").reset_index()
    assert n % 3 and list(zip(rows.step, rows.epoch, rows.batch)) == [
        (s, (s - 1) // n, (s - 1) % n) for s in range(3, 2 * n + 1, 3)]   # uninterrupted
    # resumed from the files by a new callback: the count is lost, and a warning says so
    again = MetricsCallback(["auc"], (x, y), (xv, yv), batch_frequency=3, monitor_size=50,
                            append=True, csv_path=path)
    with pytest.warns(FittrackWarning, match="Pass steps_per_epoch to fit"):
        model.fit(batches(), initial_epoch=2, epochs=3, verbose=0, callbacks=[again])
