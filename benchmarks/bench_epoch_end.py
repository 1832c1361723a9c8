"""Epoch-end cost of MetricsCallback against Keras' evaluate, the forward pass, predict+sklearn.

Workload (issue 3): train 60k + validation 10k rows, metrics accuracy, auc, f1,
precision, recall, log_loss, on an MLP 784-256-128-10, batch size 1024.

Every contender runs at the end of each epoch of the same ``fit`` (on a small
slice, so the training itself is short), and its cost is (fit time with it -
fit time without it) / epochs, the configurations interleaved over repeats so
that drift in the machine's load hits all of them alike:

- callback: ``MetricsCallback`` on both datasets;
- (a) evaluate: ``model.evaluate`` on the same 70k rows, a copy of the model
  compiled with the equivalent Keras metrics (accuracy, AUC, F1Score,
  Precision, Recall), at the same batch size;
- (b) forward: the bare compiled forward pass over the same 70k rows (Keras'
  ``predict_on_batch`` over pre-sliced batches; for tf_keras, a ``tf.function``
  around the model), no metrics;
- (c) recipe: the tutorial's ``model.predict`` on both sets + scikit-learn.

The median time of the callback's ``on_epoch_end`` alone is reported too, and
its ratio to the forward pass timed on its own, outside ``fit``, and (paired, less
exposed to the machine's drift) the median over epochs of its ratio to the forward
contender's own hook at the same epoch of the same round; and the share
of a real training epoch (the whole training set at Keras' default batch size,
32) that the callback's evaluation takes.
``FITTRACK_BENCH_MODEL=tagger`` runs the masked-sequence workload instead: a
tagger (``Embedding(mask_zero=True)`` -> LSTM -> softmax per token) on 12k + 3k
padded sequences of 40 tokens, metrics accuracy, f1, auc (masked timesteps
left out), the references evaluate (masked accuracy), the forward pass, and the
recipe: ``predict``, the padding dropped by hand, then scikit-learn's accuracy,
macro F1 and one-vs-rest AUC on the real tokens.
``FITTRACK_BENCH_CURVES=1`` (``run.py epoch_curves``): the MLP workload with the
callback also storing ROC/PR curves and confusion matrices (``curves=True``).
Run one backend: ``KERAS_BACKEND=jax python benchmarks/bench_epoch_end.py``;
all three: ``python benchmarks/run.py epoch`` (``epoch_tagger`` for the tagger); a
tf_keras model: ``python benchmarks/run.py epoch --backends tf_keras``.
"""

from __future__ import annotations

import os
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))

import numpy as np
from common import (
    backend_name,
    build_mlp,
    build_tagger,
    emit,
    forward_pass,
    keras_module,
    synthetic_data,
    synthetic_sequences,
    time_epoch_end,
    timed,
)

METRICS = ["accuracy", "auc", "f1", "precision", "recall", "log_loss"]
TAGGER_METRICS = ["accuracy", "f1", "auc"]
TAGGER = os.environ.get("FITTRACK_BENCH_MODEL") == "tagger"
CURVES = os.environ.get("FITTRACK_BENCH_CURVES") == "1"   # the callback also stores curves
EPOCHS, REPEATS = 5, 5


def contenders(model, x, y, xv, yv, batch_size: int) -> dict:
    """name -> a factory of the callbacks to attach (None: the bare fit)."""
    from sklearn import metrics as skm

    from fittrack import MetricsCallback

    keras = keras_module()
    forward = forward_pass(model, np.concatenate([x, xv]), batch_size)
    if TAGGER:
        reference = build_tagger(metrics=["accuracy"])
        at_end = lambda fn: lambda: [keras.callbacks.LambdaCallback(  # noqa: E731
            on_epoch_end=lambda epoch, logs: fn())]

        def masked_recipe() -> None:      # predict, drop the padding by hand, scikit-learn
            for data, labels in ((x, y), (xv, yv)):
                p = model.predict(data, batch_size=batch_size, verbose=0)
                real = data > 0
                p, labels = p[real], labels[real]
                hard = p.argmax(1)
                skm.accuracy_score(labels, hard)
                skm.f1_score(labels, hard, average="macro")
                skm.roc_auc_score(labels, p, multi_class="ovr", labels=np.arange(p.shape[1]))
        return {
            "none": lambda: [],
            "callback": lambda: [MetricsCallback(TAGGER_METRICS, (x, y), (xv, yv),
                                                 batch_size=batch_size)],
            "evaluate": at_end(lambda: [reference.evaluate(a, b, batch_size=batch_size,
                                                           verbose=0) for a, b in
                                        ((x, y), (xv, yv))]),
            "forward": at_end(forward),
            "recipe": at_end(masked_recipe),
        }
    reference = build_mlp(loss="categorical_crossentropy", metrics=[
        "accuracy", keras.metrics.AUC(), keras.metrics.F1Score(average="macro"),
        keras.metrics.Precision(), keras.metrics.Recall()])
    y1, yv1 = np.eye(10, dtype="float32")[y], np.eye(10, dtype="float32")[yv]

    def evaluate() -> None:
        reference.evaluate(x, y1, batch_size=batch_size, verbose=0)
        reference.evaluate(xv, yv1, batch_size=batch_size, verbose=0)

    def recipe() -> None:
        for data, labels in ((x, y), (xv, yv)):
            p = model.predict(data, batch_size=batch_size, verbose=0)
            hard = p.argmax(1)
            skm.accuracy_score(labels, hard)
            skm.roc_auc_score(labels, p, multi_class="ovr")
            skm.f1_score(labels, hard, average="macro")
            skm.precision_score(labels, hard, average="macro", zero_division=0)
            skm.recall_score(labels, hard, average="macro", zero_division=0)
            skm.log_loss(labels, p, labels=np.arange(10))

    at_epoch_end = lambda fn: lambda: [keras.callbacks.LambdaCallback(  # noqa: E731
        on_epoch_end=lambda epoch, logs: fn())]
    return {
        "none": lambda: [],
        "callback": lambda: [MetricsCallback(METRICS, (x, y), (xv, yv), batch_size=batch_size,
                                             curves=CURVES)],
        "evaluate": at_epoch_end(evaluate),
        "forward": at_epoch_end(forward),
        "recipe": at_epoch_end(recipe),
    }


def main() -> None:
    from fittrack.callbacks.inference import DEFAULT_BATCH_SIZE

    batch_size = int(os.environ.get("FITTRACK_BENCH_BATCH", DEFAULT_BATCH_SIZE))
    x, y, xv, yv = synthetic_sequences() if TAGGER else synthetic_data()
    model = build_tagger() if TAGGER else build_mlp()
    fit_x, fit_y = x[:2048], y[:2048]
    hook_times: list[float] = []
    forward_hook_times: list[float] = []   # the forward contender's, in the same fits' rounds
    runs = contenders(model, x, y, xv, yv, batch_size)
    totals: dict[str, list[float]] = {name: [] for name in runs}
    for repeat in range(REPEATS + 1):               # the first round warms up
        for name, make in runs.items():
            callbacks = make()
            if name == "callback":
                time_epoch_end(callbacks[0], hook_times)
            if name == "forward":
                time_epoch_end(callbacks[0], forward_hook_times)
            start = time.perf_counter()
            model.fit(fit_x, fit_y, epochs=EPOCHS, batch_size=256, verbose=0, callbacks=callbacks)
            if repeat:
                totals[name].append((time.perf_counter() - start) / EPOCHS)
    standalone = timed(forward_pass(model, np.concatenate([x, xv]), batch_size), repeats=5)
    # one real training epoch over the whole training set (Keras' default batch size, 32)
    train_epoch = timed(lambda: model.fit(x, y, epochs=1, verbose=0), repeats=1)
    bare = np.array(totals.pop("none"))
    cost = {name: float(np.median(np.array(t) - bare)) for name, t in totals.items()}
    model_name = "tagger" if TAGGER else "mlp+curves" if CURVES else "mlp"
    emit({"bench": "epoch_end", "model": model_name,
          "backend": backend_name(), "batch_size": batch_size,
          "callback_s": cost["callback"], "epoch_end_hook_s": float(np.median(hook_times[EPOCHS:])),
          "evaluate_s": cost["evaluate"], "forward_s": cost["forward"], "recipe_s": cost["recipe"],
          "forward_standalone_s": standalone, "hook_vs_standalone": float(
              np.median(hook_times[EPOCHS:])) / standalone,
          "hook_vs_forward_hook": float(np.median(np.array(hook_times[EPOCHS:])
                                                  / np.array(forward_hook_times[EPOCHS:]))),
          "train_epoch_s": train_epoch,
          "share_of_epoch": cost["callback"] / (train_epoch + cost["callback"]),
          "vs_evaluate": cost["callback"] / cost["evaluate"],
          "vs_forward": cost["callback"] / cost["forward"],
          "recipe_speedup": cost["recipe"] / cost["callback"]})


if __name__ == "__main__":
    main()
