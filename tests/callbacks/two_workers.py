"""One of two JAX worker processes for tests/callbacks/test_workers.py.

Usage: python two_workers.py PROCESS_ID PORT OUT_DIR

Four fits in one pair of processes (starting JAX twice would cost more than
the fits): (1) ``auto_shard_dataset=False``, each worker passing its own shard
of NumPy arrays (uneven: 1,001 validation rows), with batch-level evaluations
and EarlyStopping on ``val_auc``; (2) ``auto_shard_dataset=True``, each worker
passing the whole set (NumPy validation rows, a ``tf.data`` train stream);
(3) workers passing different whole sets; (4) one worker's labels out of
range. After each epoch and each batch-level evaluation the worker saves the
weights and the logs, so the test recomputes every value on the whole set.
"""

import json
import os
import sys

import numpy as np

PROCESS, PORT, OUT = int(sys.argv[1]), sys.argv[2], sys.argv[3]
N_TRAIN, N_VAL, BATCH_FREQUENCY = 800, 1001, 4

import jax  # noqa: E402

jax.config.update("jax_cpu_collectives_implementation", "gloo")
jax.distributed.initialize(f"localhost:{PORT}", num_processes=2, process_id=PROCESS)

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

from fittrack import MetricsCallback  # noqa: E402
from fittrack.callbacks.inference import Predictor  # noqa: E402

METRICS = ["auc", "accuracy", "f1"]


def data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(N_TRAIN + N_VAL, 5)).astype("float32")
    y = (x[:, 0] + 0.5 * x[:, 1] + rng.normal(scale=0.8, size=len(x)) > 0).astype("int64")
    w = rng.uniform(0.5, 2.0, size=len(x))
    return x[:N_TRAIN], y[:N_TRAIN], x[N_TRAIN:], y[N_TRAIN:], w[N_TRAIN:]


def build():
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(
        8, activation="relu", kernel_regularizer=keras.regularizers.l2(1e-3),
        activity_regularizer=keras.regularizers.l2(1e-3)), keras.layers.Dense(1, "sigmoid")])
    model.compile(keras.optimizers.Adam(0.01), "binary_crossentropy")
    return model


class Record(keras.callbacks.Callback):
    """Saves the weights and the logs (with the callback's values) where it evaluated."""

    def __init__(self, name, batch_frequency):
        super().__init__()
        self.name, self.step, self.points, self.frequency = name, 0, [], batch_frequency

    def on_train_batch_end(self, batch, logs=None):
        self.step += 1
        if self.frequency and self.step % self.frequency == 0:
            self._save("batch", self.step, logs)

    def on_epoch_end(self, epoch, logs=None):
        self._save("epoch", epoch, logs)

    def _save(self, level, at, logs):
        path = os.path.join(OUT, f"{self.name}_w{PROCESS}_{level}{at}.npz")
        np.savez(path, *self.model.get_weights())
        self.points.append({"level": level, "at": at, "weights": path,
                            "logs": {k: float(v) for k, v in logs.items()}})


ROWS = {}
_predict, _predict_batch = Predictor.predict, Predictor.predict_batch


def counting_predict(self, model, batched, key, *args, **kwargs):
    ROWS[key] = ROWS.get(key, 0) + batched.n_rows
    return _predict(self, model, batched, key, *args, **kwargs)


def counting_predict_batch(self, model, x, rows, *args, **kwargs):
    ROWS["stream"] = ROWS.get("stream", 0) + rows
    return _predict_batch(self, model, x, rows, *args, **kwargs)


Predictor.predict, Predictor.predict_batch = counting_predict, counting_predict_batch


def fit(name, dist_whole_set, x_fit, callback, epochs, stop=None):
    ROWS.clear()
    distribution.auto_shard_dataset = dist_whole_set
    record = Record(name, callback.batch_frequency)
    model = build()
    callbacks = [callback, record] + ([stop] if stop else [])
    model.fit(x_fit, epochs=epochs, verbose=0, callbacks=callbacks) if isinstance(
        x_fit, tf.data.Dataset) else model.fit(*x_fit, batch_size=50, epochs=epochs, verbose=0,
                                                callbacks=callbacks)
    return {"points": record.points, "rows_predicted": dict(ROWS),
            "history": callback.history.history, "epochs_run": len(callback.history.epoch)}


def refused(callback, x_fit):
    try:
        if isinstance(x_fit, tf.data.Dataset):
            build().fit(x_fit, epochs=1, verbose=0, callbacks=[callback])
        else:
            build().fit(*x_fit, batch_size=50, epochs=1, verbose=0, callbacks=[callback])
    except Exception as err:  # noqa: BLE001 - the message is the result
        return f"{type(err).__name__}: {err}"
    return None


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
                        batch_frequency=BATCH_FREQUENCY, monitor_size=N_VAL, batch_size=128, csv_path=os.path.join(OUT, f"whole{PROCESS}.csv"))
train = tf.data.Dataset.from_tensor_slices((x, y)).batch(100)
result["whole"] = fit("whole", True, train, whole, epochs=2)

distribution.auto_shard_dataset = True
different = MetricsCallback(METRICS, validation_data=(xv[: N_VAL - PROCESS], yv[: N_VAL - PROCESS]))
result["different_sets"] = refused(different, train)

distribution.auto_shard_dataset = False
labels = np.stack([yv[mine]] * 2, axis=1) if PROCESS == 1 else yv[mine]  # (n, 2): wrong shape
bad = MetricsCallback(["auc"], validation_data=(xv[mine], labels))
result["bad_labels"] = refused(bad, (x[mine], y[mine]))

with open(os.path.join(OUT, f"result{PROCESS}.json"), "w") as handle:
    json.dump(result, handle)
print("DONE", flush=True)
