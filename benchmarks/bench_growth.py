"""Process memory while the callback runs for 50 epochs (growth from epoch 5 to 50).

Each epoch evaluates 60k train + 10k validation rows (and every 4 steps the
monitor subsets), so any per-epoch allocation that is kept would show up as
growth. RSS is read at every epoch end. The reference is the same run with
the bare forward pass over the same 70k rows at each epoch end instead of the
callback (the backend's own allocator warms up too), in the same process.
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(__file__))

import numpy as np
from common import backend_name, build_mlp, emit, forward_pass, keras_module, rss_mb, synthetic_data

EPOCHS = 50
METRICS = ["accuracy", "auc", "f1", "precision", "recall", "log_loss"]


def growth(callbacks_for, model, x, y) -> tuple[float, float]:
    keras = keras_module()

    rss: list[float] = []
    probe = keras.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: rss.append(rss_mb()))
    model.fit(x[:1024], y[:1024], epochs=EPOCHS, batch_size=128, verbose=0,
              callbacks=callbacks_for() + [probe])
    return rss[4], rss[-1] - rss[4]


def main() -> None:
    from fittrack import MetricsCallback

    x, y, xv, yv = synthetic_data()
    forward = forward_pass(build_mlp(), np.concatenate([x, xv]), 1024)
    at_end = keras_module().callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: forward())
    _ref_start, ref_growth = growth(lambda: [at_end], build_mlp(), x, y)
    start, cb_growth = growth(
        lambda: [MetricsCallback(METRICS, (x, y), (xv, yv), batch_frequency=4)],
                              build_mlp(), x, y)
    emit({"bench": "growth", "backend": backend_name(), "rss_epoch5_mb": start,
          "growth_mb": cb_growth, "reference_growth_mb": ref_growth})


if __name__ == "__main__":
    main()
