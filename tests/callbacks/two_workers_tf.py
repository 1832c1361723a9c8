"""One of two tf_keras workers under MultiWorkerMirroredStrategy, for test_workers_tf.py.

Usage: python two_workers_tf.py OUT_DIR (TF_CONFIG names both workers and this one)

Three fits in one pair of processes (starting the strategy twice would cost
more than the fits), every worker passing the whole sets, as Keras' rule is
under this strategy: (1) NumPy validation rows (uneven: 1,001) with sample
weights and a ``tf.data`` train stream, batch-level evaluations, EarlyStopping
on ``val_auc``; (2) workers passing different validation sets; (3) one
worker's labels of the wrong shape. After
each epoch and each batch-level evaluation the worker saves the weights and
the logs, so the test recomputes every value on the whole set.
"""

import json
import os
import sys

import tensorflow as tf

strategy = tf.distribute.MultiWorkerMirroredStrategy()   # before any other TensorFlow call

import tf_keras  # noqa: E402

from fittrack import MetricsCallback  # noqa: E402
from fittrack.callbacks import workers  # noqa: E402
from tests.callbacks.workers_harness import (  # noqa: E402
    BATCH_FREQUENCY,
    METRICS,
    N_VAL,
    build,
    count_rows,
    data,
    recorder,
    refused,
)

OUT = sys.argv[1]
WORKER = strategy.cluster_resolver.task_id
ROWS = count_rows()


def model():
    with strategy.scope():
        return build(tf_keras)


def fit(name, callback, epochs, stop=None):
    ROWS.clear()
    record = recorder(tf_keras.callbacks.Callback, name, WORKER, OUT, callback.batch_frequency)
    callbacks = [callback, record] + ([stop] if stop else [])
    model().fit(x, y, batch_size=50, epochs=epochs, verbose=0, callbacks=callbacks)
    return {"points": record.points, "rows_predicted": dict(ROWS),
            "history": callback.history.history, "epochs_run": len(callback.history.epoch)}


x, y, xv, yv, wv = data()
train = tf.data.Dataset.from_tensor_slices((x, y)).batch(100)
result = {"worker": WORKER, "index_count": workers.tf_worker(model())}

stop = tf_keras.callbacks.EarlyStopping(monitor="val_auc", mode="max", patience=1, min_delta=0.5)
whole = MetricsCallback(METRICS, train_data=train, validation_data=(xv, yv, wv),
                        batch_frequency=BATCH_FREQUENCY, monitor_size=N_VAL, batch_size=128,
                        csv_path=os.path.join(OUT, f"whole{WORKER}.csv"))
result["whole"] = fit("whole", whole, epochs=4, stop=stop)

different = MetricsCallback(METRICS, validation_data=(xv[: N_VAL - WORKER], yv[: N_VAL - WORKER]))
result["different_sets"] = refused(lambda: fit("different", different, epochs=1))

labels = yv[:, None].repeat(2, axis=1) if WORKER == 1 else yv   # (n, 2): the wrong shape
bad = MetricsCallback(["auc"], validation_data=(xv, labels))
result["bad_labels"] = refused(lambda: fit("bad", bad, epochs=1))

with open(os.path.join(OUT, f"result{WORKER}.json"), "w") as handle:
    json.dump(result, handle)
print("DONE", flush=True)
