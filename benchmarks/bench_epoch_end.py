"""Epoch-end cost of MetricsCallback against Keras' evaluate, the forward pass, predict+sklearn.

Workload (issue 3): train 60k + validation 10k rows, metrics accuracy, auc, f1,
precision, recall, log_loss, on an MLP 784-256-128-10.

- callback: (fit time with the callback - fit time without it) / epochs, the
  fit itself on a small slice so that the difference is the callback's (and,
  for reference, the median time of its ``on_epoch_end`` alone);
- (a) ``model.evaluate`` on the same 70k rows, the model compiled with the
  equivalent Keras metrics (accuracy, AUC, F1Score, Precision, Recall), at the
  same batch size;
- (b) the bare compiled forward pass over the same 70k rows (Keras'
  ``predict_on_batch`` over pre-sliced batches);
- (c) the tutorial recipe: ``model.predict`` on both sets + scikit-learn.

Run one backend: ``KERAS_BACKEND=jax python benchmarks/bench_epoch_end.py``;
all three: ``python benchmarks/run.py epoch``.
"""

from __future__ import annotations

import os
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))

import numpy as np  # noqa: E402

from common import build_mlp, emit, forward_pass, synthetic_data, timed  # noqa: E402

METRICS = ["accuracy", "auc", "f1", "precision", "recall", "log_loss"]
EPOCHS = 6


def callback_cost(x, y, xv, yv, batch_size: int | None) -> tuple[float, int]:
    import keras

    from fittrack import MetricsCallback

    model = build_mlp()
    fit_x, fit_y = x[:2048], y[:2048]
    model.fit(fit_x, fit_y, epochs=1, batch_size=256, verbose=0)   # compile the train step

    hook_times: list[float] = []

    def run(with_cb: bool) -> float:
        cbs = []
        if with_cb:
            cb = MetricsCallback(METRICS, (x, y), (xv, yv), batch_size=batch_size)
            cbs = [cb, _HookTimer(cb, hook_times)]
        start = time.perf_counter()
        model.fit(fit_x, fit_y, epochs=EPOCHS, batch_size=256, verbose=0, callbacks=cbs)
        return time.perf_counter() - start

    run(True)  # warm: compiles the predict step for these batch shapes
    hook_times.clear()
    deltas = [(run(True) - run(False)) / EPOCHS for _ in range(5)]
    cb = MetricsCallback(METRICS, (x, y), (xv, yv), batch_size=batch_size)
    return float(np.median(deltas)), float(np.median(hook_times)), cb.batch_size


def _HookTimer(cb, times: list[float]):
    """Times MetricsCallback.on_epoch_end itself (wraps it; placed after it)."""
    import keras

    original = cb.on_epoch_end

    def timed_hook(epoch, logs=None):
        start = time.perf_counter()
        original(epoch, logs)
        times.append(time.perf_counter() - start)
    cb.on_epoch_end = timed_hook
    return keras.callbacks.Callback()


def evaluate_cost(x, y, xv, yv, batch_size: int) -> float:
    import keras

    model = build_mlp(loss="categorical_crossentropy", metrics=[
        "accuracy", keras.metrics.AUC(), keras.metrics.F1Score(average="macro"),
        keras.metrics.Precision(), keras.metrics.Recall()])
    y1, yv1 = np.eye(10, dtype="float32")[y], np.eye(10, dtype="float32")[yv]

    def run() -> None:
        model.evaluate(x, y1, batch_size=batch_size, verbose=0)
        model.evaluate(xv, yv1, batch_size=batch_size, verbose=0)
    return timed(run, repeats=3)


def recipe_cost(x, y, xv, yv, batch_size: int) -> float:
    from sklearn import metrics as skm

    model = build_mlp()

    def run() -> None:
        for data, labels in ((x, y), (xv, yv)):
            p = model.predict(data, batch_size=batch_size, verbose=0)
            hard = p.argmax(1)
            skm.accuracy_score(labels, hard)
            skm.roc_auc_score(labels, p, multi_class="ovr")
            skm.f1_score(labels, hard, average="macro")
            skm.precision_score(labels, hard, average="macro", zero_division=0)
            skm.recall_score(labels, hard, average="macro", zero_division=0)
            skm.log_loss(labels, p, labels=np.arange(10))
    return timed(run, repeats=3)


def main() -> None:
    import keras

    batch_size = int(os.environ["FITTRACK_BENCH_BATCH"]) if "FITTRACK_BENCH_BATCH" in os.environ else None
    x, y, xv, yv = synthetic_data()
    cost, hook, used = callback_cost(x, y, xv, yv, batch_size)
    model = build_mlp()
    both = np.concatenate([x, xv])
    forward = timed(forward_pass(model, both, used), repeats=3)
    evaluate = evaluate_cost(x, y, xv, yv, used)
    recipe = recipe_cost(x, y, xv, yv, used)
    emit({"bench": "epoch_end", "backend": keras.backend.backend(), "batch_size": used,
          "callback_s": cost, "epoch_end_hook_s": hook, "evaluate_s": evaluate, "forward_s": forward, "recipe_s": recipe,
          "vs_evaluate": cost / evaluate, "vs_forward": cost / forward,
          "recipe_speedup": recipe / cost})


if __name__ == "__main__":
    main()
