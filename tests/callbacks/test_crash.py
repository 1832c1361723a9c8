"""A run killed with SIGKILL keeps every finished epoch on disk, with no torn row."""

import csv
import os
import signal
import subprocess
import sys
import textwrap

import pandas as pd
import pytest

from tests.keras_under_test import BACKEND

SCRIPT = textwrap.dedent("""
    import sys, time
    import numpy as np
    from fittrack import MetricsCallback
    from tests.keras_under_test import keras

    class Announce(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            print(f"EPOCH {epoch}", flush=True)
            if epoch == int(sys.argv[2]):
                time.sleep(60)          # killed here, right after the epoch ended

    rng = np.random.default_rng(0)
    x = rng.normal(size=(400, 5)).astype("float32")
    y = (x[:, 0] > 0).astype("int64")
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(1, activation="sigmoid")])
    model.compile("adam", "binary_crossentropy")
    initial = int(sys.argv[3])
    cb = MetricsCallback(["auc", "f1"], (x, y), (x[:100], y[:100]), batch_frequency=3,
                         csv_path=sys.argv[1], append=initial > 0)
    model.fit(x, y, epochs=6, initial_epoch=initial, batch_size=40, verbose=0,
              callbacks=[cb, Announce()])
    print("DONE", flush=True)
""")


def run_until_killed(tmp_path, kill_after_epoch, initial_epoch=0):
    script = tmp_path / "train.py"
    script.write_text(SCRIPT)
    env = dict(os.environ, PYTHONPATH=os.getcwd())
    proc = subprocess.Popen([sys.executable, str(script), str(tmp_path / "run.csv"),
                             str(kill_after_epoch), str(initial_epoch)],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
    try:
        for line in proc.stdout:
            if line.strip() == f"EPOCH {kill_after_epoch}":
                proc.send_signal(signal.SIGKILL)
                break
    finally:
        proc.wait(timeout=120)
    return proc.returncode


def well_formed(path):
    with open(path, newline="") as handle:
        rows = list(csv.reader(handle))
    header, body = rows[0], rows[1:]
    assert all(len(r) == len(header) for r in body), "a torn or short row"
    assert sum(r[:1] == header[:1] for r in rows) == 1, "a second header"
    return pd.read_csv(path)


@pytest.mark.skipif(BACKEND in ("tensorflow", "torch"),
                    reason="Keras 3 calls the hooks that write the files the same way on every "
                           "backend: killed on JAX (and on tf_keras, whose hooks differ)")
def test_sigkill_after_an_epoch_keeps_every_finished_epoch(tmp_path):
    assert run_until_killed(tmp_path, kill_after_epoch=2) == -signal.SIGKILL
    epochs = well_formed(tmp_path / "run.csv")
    assert epochs["epoch"].tolist() == [0, 1, 2]
    assert epochs[["auc", "val_auc", "f1", "val_f1", "loss"]].notna().all().all()
    batches = well_formed(tmp_path / "run.batches.csv")
    assert batches["step"].tolist() == list(range(3, 31, 3))       # 10 steps/epoch, epochs 0-2
    # Resume from epoch 3 in a new process: both files continue, one header each.
    script_rc = run_until_killed(tmp_path, kill_after_epoch=99, initial_epoch=3)
    assert script_rc == 0
    epochs = well_formed(tmp_path / "run.csv")
    assert epochs["epoch"].tolist() == [0, 1, 2, 3, 4, 5]
    batches = well_formed(tmp_path / "run.batches.csv")
    assert batches["step"].tolist() == list(range(3, 61, 3))
