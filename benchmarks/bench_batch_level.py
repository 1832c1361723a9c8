"""Cost of one batch-level evaluation against the forward pass over the same rows.

``batch_frequency=1`` with ``monitor_size=1024`` (or ``$FITTRACK_BENCH_MONITOR``)
on 60k train + 10k validation rows: every step evaluates 1024 + 1024 rows. The cost of
one evaluation is
(fit time with the callback - fit time without it) / steps, epoch-level
evaluation switched off (``epoch_frequency`` larger than the run); the
reference is Keras' compiled predict step over those rows, in batches of 1024.
"""

from __future__ import annotations

import os
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))

import numpy as np
from common import backend_name, build_mlp, emit, forward_pass, synthetic_data, timed

METRICS = ["accuracy", "auc", "f1", "precision", "recall", "log_loss"]
STEPS = 40
MONITOR = int(os.environ.get("FITTRACK_BENCH_MONITOR", 1024))


def main() -> None:
    from fittrack import MetricsCallback

    x, y, xv, yv = synthetic_data()
    model = build_mlp()
    fit_x, fit_y = x[: STEPS * 64], y[: STEPS * 64]
    model.fit(fit_x, fit_y, epochs=1, batch_size=64, verbose=0)

    def run(with_cb: bool) -> float:
        cbs = [MetricsCallback(METRICS, (x, y), (xv, yv), batch_frequency=1, monitor_size=MONITOR,
                               epoch_frequency=10_000)] if with_cb else []
        start = time.perf_counter()
        model.fit(fit_x, fit_y, epochs=1, batch_size=64, verbose=0, callbacks=cbs)
        return time.perf_counter() - start

    run(True)
    per_eval = float(np.median([(run(True) - run(False)) / STEPS for _ in range(3)]))
    rows = np.concatenate([x[:MONITOR], xv[:MONITOR]])
    forward = timed(forward_pass(model, rows, 1024), repeats=20)
    emit({"bench": "batch_level", "backend": backend_name(), "monitor_size": MONITOR,
          "eval_ms": per_eval * 1e3,
          "forward_ms": forward * 1e3, "vs_forward": per_eval / forward})


if __name__ == "__main__":
    main()
