"""Process memory while the callback runs for 50 epochs (growth from epoch 5 to 50).

Each epoch evaluates 60k train + 10k validation rows (and every 4 steps the
monitor subsets), so any per-epoch allocation that is kept would show up as
growth. RSS is read at every epoch end.
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(__file__))

from common import build_mlp, emit, rss_mb, synthetic_data  # noqa: E402

EPOCHS = 50


def main() -> None:
    import keras

    from fittrack import MetricsCallback

    class RssProbe(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.rss = []

        def on_epoch_end(self, epoch, logs=None):
            self.rss.append(rss_mb())

    x, y, xv, yv = synthetic_data()
    model = build_mlp()
    probe = RssProbe()
    cb = MetricsCallback(["accuracy", "auc", "f1", "precision", "recall", "log_loss"],
                         (x, y), (xv, yv), batch_frequency=4)
    model.fit(x[:1024], y[:1024], epochs=EPOCHS, batch_size=128, verbose=0, callbacks=[cb, probe])
    emit({"bench": "memory", "backend": keras.backend.backend(), "rss_epoch5_mb": probe.rss[4],
          "rss_epoch50_mb": probe.rss[-1], "growth_mb": probe.rss[-1] - probe.rss[4]})


if __name__ == "__main__":
    main()
