"""Small models, large sets (issue 17): where the metrics, not the model, could dominate.

A binary MLP 32-64-1 (sigmoid) and four metrics (accuracy, auc, f1, log_loss)
on validation sets of 10k, 100k and 1M rows. For each size, one ``fit`` epoch
on 2,048 rows runs with ``MetricsCallback`` on the validation set, and the
median time of the callback's ``on_epoch_end`` (the exact loss included) is
compared with, measured in the same process on the same rows:

- forward: the bare compiled forward pass (``predict_on_batch`` over
  pre-sliced batches of the callback's batch size; tf_keras: ``tf.function``);
- evaluate: ``model.evaluate`` of a copy compiled with Keras' equivalents
  (``accuracy``, ``AUC()`` with its 200 buckets, ``F1Score(threshold=0.5)``,
  the loss), at the same batch size.

Also reported: the time of ``fittrack.metrics.evaluate`` alone on the
predictions (the metrics' share). Run one backend:
``KERAS_BACKEND=jax python benchmarks/bench_tabular.py``; all:
``python benchmarks/run.py tabular``.
"""

from __future__ import annotations

import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if os.path.isdir(os.path.join(ROOT, "fittrack")):
    sys.path.insert(0, ROOT)  # measure this checkout, not an installed copy
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402
from common import (  # noqa: E402
    backend_name,
    emit,
    forward_pass,
    keras_module,
    time_epoch_end,
    timed,
)

METRICS = ["accuracy", "auc", "f1", "log_loss"]
SIZES = [int(s) for s in os.environ.get("FITTRACK_BENCH_ROWS", "10000,100000,1000000").split(",")]
REPEATS = 5


def data(rows: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(rows, 32)).astype("float32")
    y = (x[:, :4].sum(axis=1) + rng.normal(scale=1.5, size=rows) > 0).astype("float32")
    return x, y


def build(metrics: list | None = None):
    keras = keras_module()
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((32,)), keras.layers.Dense(64, activation="relu"),
                              keras.layers.Dense(1, activation="sigmoid")])
    model.compile(keras.optimizers.Adam(1e-3), "binary_crossentropy", metrics=metrics or [])
    return model


def measure(rows: int) -> dict:
    from fittrack import MetricsCallback
    from fittrack.callbacks.inference import DEFAULT_BATCH_SIZE
    from fittrack.metrics import evaluate, resolve_metrics

    keras = keras_module()
    x, y = data(2048, seed=1)
    xv, yv = data(rows)
    model = build()
    hook: list[float] = []
    cb = MetricsCallback(METRICS, validation_data=(xv, yv))
    time_epoch_end(cb, hook)
    model.fit(x, y, epochs=REPEATS + 1, batch_size=256, verbose=0, callbacks=[cb])
    callback_s = float(np.median(hook[1:]))

    forward_s = timed(forward_pass(model, xv, DEFAULT_BATCH_SIZE), repeats=REPEATS)
    reference = build(metrics=["accuracy", keras.metrics.AUC(),
                               keras.metrics.F1Score(threshold=0.5)])
    reference.set_weights(model.get_weights())
    yv2 = yv.reshape(-1, 1)
    evaluate_s = timed(lambda: reference.evaluate(xv, yv2, batch_size=DEFAULT_BATCH_SIZE,
                                                  verbose=0), repeats=REPEATS)
    p = model.predict(xv, batch_size=DEFAULT_BATCH_SIZE, verbose=0)
    specs = resolve_metrics(METRICS)
    metrics_s = timed(lambda: evaluate(specs, yv, p), repeats=REPEATS)
    return {"bench": "tabular", "backend": backend_name(), "rows": rows,
            "callback_s": callback_s, "forward_s": forward_s, "evaluate_s": evaluate_s,
            "metrics_s": metrics_s, "vs_forward": callback_s / forward_s,
            "vs_evaluate": callback_s / evaluate_s, "ns_per_row": callback_s / rows * 1e9}


def main() -> None:
    for rows in SIZES:
        emit(measure(rows))


if __name__ == "__main__":
    main()
