"""Write computed values into Keras' ``logs`` and build the store's row.

A computed value under a key Keras also logs (the model compiled with
``"accuracy"``, the callback computing ``"accuracy"``) replaces Keras' value in
``logs``, so callbacks after this one (EarlyStopping, ModelCheckpoint,
CSVLogger, Keras' History) see the exact value. Keras' own value is kept in
the store under ``<key>_keras`` (``accuracy_keras``, ``val_accuracy_keras``):
nothing is dropped.

Example:
    >>> logs = {"loss": 0.3, "accuracy": 0.81}
    >>> merge_into_logs(logs, {"accuracy": 0.84, "auc": 0.9})
    {'loss': 0.3, 'accuracy': 0.84, 'auc': 0.9, 'accuracy_keras': 0.81}
    >>> logs
    {'loss': 0.3, 'accuracy': 0.84, 'auc': 0.9}
"""

from __future__ import annotations

from typing import Any

import numpy as np

KERAS_SUFFIX = "_keras"


def as_float(value: Any) -> float | None:
    """A log value as a float, or None for values that are not numbers."""
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return None
    return float(arr) if arr.ndim == 0 else None


def merge_into_logs(logs: dict | None, computed: dict[str, float]) -> dict[str, float]:
    """Put ``computed`` into ``logs`` in place; return the row for the store."""
    kept: dict[str, float] = {}
    if logs is None:
        logs = {}
    for key, value in computed.items():
        if key in logs:
            previous = as_float(logs[key])
            if previous is not None:
                kept[key + KERAS_SUFFIX] = previous
        logs[key] = value
    row = {}
    for key, value in logs.items():
        number = as_float(value)
        if number is not None:
            row[key] = number
    row.update(kept)
    return row
