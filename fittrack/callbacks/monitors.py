"""Let Keras' monitoring callbacks use the keys this callback computes.

``EarlyStopping(monitor="val_auc")`` with ``mode="auto"`` only knows a
direction for metrics compiled into the model; for others it raises at the
first epoch end. For every monitoring callback in the same ``fit`` whose
``monitor`` is a key computed here and whose ``mode`` is ``"auto"``, the mode
is set from the metric's ``greater_is_better``. A monitoring callback placed
before this one would read the key before it is computed: that gets a warning
saying to put ``MetricsCallback`` first.
"""

from __future__ import annotations

import sys
import warnings
from typing import Any, Callable

import keras


def sibling_callbacks(depth: int = 8) -> list[Any] | None:
    """The ``callbacks`` of the ``CallbackList`` calling us, found on the stack."""
    frame = sys._getframe(1)
    for _ in range(depth):
        if frame is None:
            return None
        owner = frame.f_locals.get("self")
        if isinstance(owner, keras.callbacks.CallbackList):
            return list(owner.callbacks)
        frame = frame.f_back
    return None


def configure_monitors(me: Any, siblings: list[Any] | None,
                       direction: Callable[[str], bool | None]) -> list[str]:
    """Set ``mode`` on monitors of our keys; return the warnings given."""
    given: list[str] = []
    if not siblings:
        return given
    mine = next((i for i, cb in enumerate(siblings) if cb is me), None)
    for i, cb in enumerate(siblings):
        monitor = getattr(cb, "monitor", None)
        if cb is me or not isinstance(monitor, str):
            continue
        greater = direction(monitor)
        if greater is None:
            continue
        if getattr(cb, "mode", None) == "auto" and getattr(cb, "monitor_op", None) is None:
            cb.mode = "max" if greater else "min"
        if mine is not None and i < mine:
            message = (f"{type(cb).__name__}(monitor={monitor!r}) comes before MetricsCallback in "
                       "callbacks=[...], so it reads the logs before the exact value is computed. "
                       "Put MetricsCallback first in the list.")
            warnings.warn(message, UserWarning, stacklevel=3)
            given.append(message)
    return given
