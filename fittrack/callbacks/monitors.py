"""Let Keras' monitoring callbacks use the keys this callback computes.

``EarlyStopping(monitor="val_auc")`` with ``mode="auto"`` only knows a
direction for metrics compiled into the model: Keras 3 raises at the first
epoch end for others, and tf_keras guesses from the name (``val_auc`` is
"greater" for its EarlyStopping but "lower" for its ModelCheckpoint,
``val_f1`` "lower" for both). For every monitoring callback in the same
``fit`` whose ``monitor`` is a key computed here, the direction is set from
the metric's ``greater_is_better`` (:func:`~fittrack.callbacks.compat.set_monitor_direction`);
one told the opposite ``mode`` gets a warning saying which ``mode`` to pass.
A monitoring callback placed before this one would read the key before it is
computed: that gets a warning saying to put ``MetricsCallback`` first.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

from fittrack.callbacks import compat
from fittrack.callbacks.data import ArrayData, n_rows
from fittrack.notices import FittrackWarning


def configure_monitors(me: Any, siblings: list[Any] | None,
                       direction: Callable[[str], bool | None]) -> list[str]:
    """Set the direction of monitors of our keys; return the warnings given."""
    given: list[str] = []
    if siblings is None:
        message = ("MetricsCallback cannot find the other callbacks of this fit in this Keras "
                   "version (fittrack.callbacks.compat.sibling_callbacks): an EarlyStopping or "
                   "ModelCheckpoint monitoring a key computed here compares as its own mode "
                   "says. Pass mode='max' or mode='min' to it.")
        warnings.warn(message, FittrackWarning, stacklevel=3)
        return [message]
    mine = next((i for i, cb in enumerate(siblings) if cb is me), None)
    for i, cb in enumerate(siblings):
        monitor = getattr(cb, "monitor", None)
        if cb is me or not isinstance(monitor, str):
            continue
        greater = direction(monitor)
        if greater is None:
            continue
        messages = [compat.set_monitor_direction(cb, greater)]
        if mine is not None and i < mine:
            messages.append(
                f"{type(cb).__name__}(monitor={monitor!r}) comes before MetricsCallback in "
                "callbacks=[...], so it reads the logs before the exact value is computed. "
                "Put MetricsCallback first in the list.")
        for message in filter(None, messages):
            warnings.warn(message, FittrackWarning, stacklevel=3)
            given.append(message)
    return given


def warn_validation_split(fit_args: dict, train: Any, val: Any) -> list[str]:
    """Warn when ``fit(validation_split=...)`` and the callback's data mix two sets."""
    split = fit_args.get("validation_split") or 0.0
    given: list[str] = []
    if not split:
        return given
    if val is not None:
        given.append(
            f"fit(validation_split={split}) holds out rows for Keras' own val_* values, while "
            "MetricsCallback(validation_data=...) scores another set: one row of the history "
            "would mix values of two validation sets. Pass the callback's set to fit as "
            "fit(validation_data=...) instead of validation_split, or leave validation_data "
            "out of the callback.")
    x = fit_args.get("x")
    if isinstance(train, ArrayData) and x is not None and train.n_rows > _rows(x):
        given.append(
            f"train_data has {train.n_rows} rows but fit trains on {_rows(x)} after "
            f"validation_split={split}: the held-out rows are in the callback's training "
            f"metrics. Pass train_data=(x[:{_rows(x)}], y[:{_rows(x)}]), the rows fit trains on.")
    for message in given:
        warnings.warn(message, FittrackWarning, stacklevel=3)
    return given


def _rows(x: Any) -> int:
    try:
        return n_rows(x)
    except (TypeError, IndexError):
        return 0
