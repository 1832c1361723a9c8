"""A run shared by the history and plot tests: five epochs with batch rows."""

from __future__ import annotations

from fittrack.history import MetricHistory

LOSS = [0.9, 0.6, 0.45, 0.5, 0.55]
VAL_LOSS = [1.0, 0.7, 0.65, 0.6, 0.66]
AUC = [0.70, 0.80, 0.85, 0.90, 0.93]
VAL_AUC = [0.65, 0.78, 0.84, 0.83, 0.80]


def make_run() -> MetricHistory:
    """Five epochs of a run with batch rows (2 evaluations per epoch of 10 batches)."""
    h = MetricHistory()
    h.set_greater_is_better("auc", True)
    h.set_greater_is_better("loss", False)
    for epoch in range(5):
        h.record_epoch(epoch, {"loss": LOSS[epoch], "val_loss": VAL_LOSS[epoch],
                               "auc": AUC[epoch], "val_auc": VAL_AUC[epoch],
                               "auc_keras": AUC[epoch] - 0.05})
        for batch in (4, 9):
            step = 10 * epoch + batch + 1
            h.record_batch(step, epoch, batch, {"loss": 1.0 / step, "auc": 1.0 - 1.0 / step,
                                                "val_auc": 0.9 - 1.0 / step})
    return h
