"""Cost of one batch-level evaluation against the forward pass over the same rows.

``batch_frequency=1`` with ``monitor_size=1024`` (or ``$FITTRACK_BENCH_MONITOR``)
on 60k train + 10k validation rows: every step evaluates 1024 + 1024 rows,
epoch-level evaluation switched off (``epoch_frequency`` larger than the run).
Contenders, each attached to the same short ``fit`` (``STEPS`` batches), the
configurations interleaved over ``REPEATS`` rounds (9, or
``$FITTRACK_BENCH_REPEATS``) so that drift in the machine's load hits all of them
alike:

- callback: ``MetricsCallback`` evaluating both monitor subsets at every batch;
- forward: a callback whose batch hook runs the bare compiled forward pass over
  the same 2048 rows through Keras' public API (``self.model.predict_on_batch`` on
  batches of 1024; on JAX, reading ``self.model`` first writes the training state
  back into the variables, as Keras requires before a mid-epoch prediction);
  for tf_keras, a ``tf.function`` around the model.

The cost of one evaluation is (fit time with it - fit time without it) / steps,
the median over rounds. Reported: the callback's cost against the forward
contender's (``vs_forward``), the median over steps of the paired hook times
(``hook_vs_forward_hook``: each step's evaluation against the forward hook of the
same step of the same round), and, as before, against the forward pass timed
alone outside ``fit`` (``vs_standalone``: warm caches, no training in between, so
the least favourable to the callback).
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
    emit,
    forward_pass,
    keras_module,
    synthetic_data,
    time_hook,
    timed,
)

METRICS = ["accuracy", "auc", "f1", "precision", "recall", "log_loss"]
STEPS = 100
REPEATS = int(os.environ.get("FITTRACK_BENCH_REPEATS", 9))
MONITOR = int(os.environ.get("FITTRACK_BENCH_MONITOR", 1024))


def main() -> None:
    from fittrack import MetricsCallback

    keras = keras_module()
    x, y, xv, yv = synthetic_data()
    model = build_mlp()
    fit_x, fit_y = x[: STEPS * 64], y[: STEPS * 64]
    model.fit(fit_x, fit_y, epochs=1, batch_size=64, verbose=0)
    rows = np.concatenate([x[:MONITOR], xv[:MONITOR]])

    class Forward(keras.callbacks.Callback):
        def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
            forward_pass(self.model, rows, 1024)()

    runs = {
        "none": lambda: [],
        "callback": lambda: [MetricsCallback(METRICS, (x, y), (xv, yv), batch_frequency=1,
                                             monitor_size=MONITOR, epoch_frequency=10_000)],
        "forward": lambda: [Forward()],
    }
    totals: dict[str, list[float]] = {name: [] for name in runs}
    hooks: dict[str, list[float]] = {"callback": [], "forward": []}
    for repeat in range(REPEATS + 1):               # the first round warms up
        for name, make in runs.items():
            callbacks = make()
            times: list[float] = []
            if callbacks:
                time_hook(callbacks[0], "on_train_batch_end", times)
            start = time.perf_counter()
            model.fit(fit_x, fit_y, epochs=1, batch_size=64, verbose=0, callbacks=callbacks)
            if repeat:
                totals[name].append(time.perf_counter() - start)
                if name in hooks:
                    hooks[name].extend(times[2:])   # the first steps of a fit warm up
    bare = np.array(totals.pop("none"))
    cost = {name: float(np.median(np.array(t) - bare)) / STEPS for name, t in totals.items()}
    standalone = timed(forward_pass(model, rows, 1024), repeats=20)
    paired = np.array(hooks["callback"]) / np.array(hooks["forward"])
    emit({"bench": "batch_level", "backend": backend_name(), "monitor_size": MONITOR,
          "eval_ms": cost["callback"] * 1e3, "forward_ms": cost["forward"] * 1e3,
          "vs_forward": cost["callback"] / cost["forward"],
          "hook_vs_forward_hook": float(np.median(paired)),
          "standalone_ms": standalone * 1e3, "vs_standalone": cost["callback"] / standalone})


if __name__ == "__main__":
    main()
