"""One of two JAX worker processes for tests/callbacks/test_workers.py.

Usage: python two_workers.py PROCESS_ID PORT OUT_DIR

Four fits in one pair of processes (starting JAX twice would cost more than
the fits): (1) ``auto_shard_dataset=False``, each worker passing its own shard
of NumPy arrays (uneven: 1,001 validation rows), with batch-level evaluations
and EarlyStopping on ``val_auc``; (2) ``auto_shard_dataset=True``, each worker
passing the whole set (NumPy validation rows, a ``tf.data`` train stream);
(3) workers passing different whole sets; (4) one worker's labels out of
range. After each epoch and each batch-level evaluation the worker saves the
weights and the logs, so the test recomputes every value on the whole set
(the data, the model and the recorder are ``workers_harness.py``'s).
"""

import json
import os
import sys

from tests.callbacks.workers_harness import (
    BATCH_FREQUENCY,
    METRICS,
    N_VAL,
    build,
    count_rows,
    data,
    recorder,
    refused,
)

PROCESS, PORT, OUT = int(sys.argv[1]), sys.argv[2], sys.argv[3]

import jax  # noqa: E402

jax.config.update("jax_cpu_collectives_implementation", "gloo")
jax.distributed.initialize(f"localhost:{PORT}", num_processes=2, process_id=PROCESS)

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from fittrack import MetricsCallback  # noqa: E402

ROWS = count_rows()


def fit(name, dist_whole_set, x_fit, callback, epochs, stop=None):
    ROWS.clear()
    distribution.auto_shard_dataset = dist_whole_set
    record = recorder(keras.callbacks.Callback, name, PROCESS, OUT, callback.batch_frequency)
    model = build(keras)
    callbacks = [callback, record] + ([stop] if stop else [])
    model.fit(x_fit, epochs=epochs, verbose=0, callbacks=callbacks) if isinstance(
        x_fit, tf.data.Dataset) else model.fit(*x_fit, batch_size=50, epochs=epochs, verbose=0,
                                                callbacks=callbacks)
    return {"points": record.points, "rows_predicted": dict(ROWS),
            "history": callback.history.history, "epochs_run": len(callback.history.epoch)}


def fit_once(callback, x_fit):
    if isinstance(x_fit, tf.data.Dataset):
        return build(keras).fit(x_fit, epochs=1, verbose=0, callbacks=[callback])
    return build(keras).fit(*x_fit, batch_size=50, epochs=1, verbose=0, callbacks=[callback])


distribution = keras.distribution.DataParallel(devices=jax.devices())
keras.distribution.set_distribution(distribution)
x, y, xv, yv, wv = data()
mine = slice(PROCESS, None, 2)
result = {}

stop = keras.callbacks.EarlyStopping(monitor="val_auc", mode="max", patience=1, min_delta=0.5)
shards = MetricsCallback(METRICS, train_data=(x[mine], y[mine]),
                         validation_data=(xv[mine], yv[mine], wv[mine]),
                         batch_frequency=BATCH_FREQUENCY, monitor_size=N_VAL, batch_size=128,
                         csv_path=os.path.join(OUT, f"shards{PROCESS}.csv"))
result["shards"] = fit("shards", False, (x[mine], y[mine]), shards, epochs=6, stop=stop)

whole = MetricsCallback(METRICS, validation_data=(xv, yv, wv),
                        train_data=tf.data.Dataset.from_tensor_slices((x, y)).batch(100),
                        batch_frequency=BATCH_FREQUENCY, monitor_size=N_VAL, batch_size=128,
                        csv_path=os.path.join(OUT, f"whole{PROCESS}.csv"))
train = tf.data.Dataset.from_tensor_slices((x, y)).batch(100)
result["whole"] = fit("whole", True, train, whole, epochs=2)

distribution.auto_shard_dataset = True
different = MetricsCallback(METRICS, validation_data=(xv[: N_VAL - PROCESS], yv[: N_VAL - PROCESS]))
result["different_sets"] = refused(lambda: fit_once(different, train))

distribution.auto_shard_dataset = False
labels = np.stack([yv[mine]] * 2, axis=1) if PROCESS == 1 else yv[mine]  # (n, 2): wrong shape
bad = MetricsCallback(["auc"], validation_data=(xv[mine], labels))
result["bad_labels"] = refused(lambda: fit_once(bad, (x[mine], y[mine])))

with open(os.path.join(OUT, f"result{PROCESS}.json"), "w") as handle:
    json.dump(result, handle)
print("DONE", flush=True)
