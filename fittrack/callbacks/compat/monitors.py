"""How a monitoring callback (EarlyStopping, ModelCheckpoint, ReduceLROnPlateau)
compares values, and how to set its direction for a key computed here."""

from __future__ import annotations

import math
from typing import Any

import numpy as np


# ----- how a monitoring callback compares values
# Keras 3 keeps ``mode`` and decides ``monitor_op`` at the first epoch end (the
# ModelCheckpoint of older Keras 3, 3.7 among them: in __init__, keeping no mode).
# tf_keras' EarlyStopping and ModelCheckpoint decide ``monitor_op`` (np.greater /
# np.less), ``min_delta``'s sign and ``best`` in __init__ from the name, keeping no
# mode; ReduceLROnPlateau keeps ``mode`` and decides in ``_reset()``.
def name_guess(callback: Any) -> bool | None:
    """Whether tf_keras (or an older Keras 3's ModelCheckpoint, 3.7's) guesses
    greater-is-better for ``callback.monitor`` in ``mode="auto"``; None for other callbacks."""
    monitor = str(getattr(callback, "monitor", ""))
    names = {cls.__name__ for cls in type(callback).__mro__}
    if "EarlyStopping" in names:
        return monitor.endswith(("acc", "accuracy", "auc"))
    if "ModelCheckpoint" in names:
        return "acc" in monitor or monitor.startswith("fmeasure")
    return None


def set_monitor_direction(callback: Any, greater: bool) -> str | None:
    """Make a monitoring callback on a key whose direction is known compare that way.

    A callback in ``mode="auto"`` gets the mode; one that decided in ``__init__``
    from the name (tf_keras) and guessed wrong gets ``monitor_op``, ``min_delta`` and
    ``best`` set as its own ``mode`` would have. A callback told the opposite
    ``mode`` is left alone: the returned message says which ``mode`` to pass.
    """
    wanted = "max" if greater else "min"
    name = type(callback).__name__
    if isinstance(getattr(callback, "mode", None), str):
        if callback.mode == "auto":
            callback.mode = wanted
            if getattr(callback, "monitor_op", None) is not None and hasattr(callback, "_reset"):
                callback._reset()       # ReduceLROnPlateau (tf_keras, Keras < 3.7)
            return None
        if callback.mode == wanted:
            return None
        return _contrary(name, callback.monitor, callback.mode, wanted)
    op = getattr(callback, "monitor_op", None)
    if op not in (np.greater, np.less) or (op is np.greater) == greater:
        return None
    if name_guess(callback) == (op is np.greater):   # the name rule decided: mode="auto"
        callback.monitor_op = np.greater if greater else np.less
        delta = getattr(callback, "min_delta", None)
        if isinstance(delta, (int, float)) and "EarlyStopping" in {
                c.__name__ for c in type(callback).__mro__}:
            callback.min_delta = abs(delta) if greater else -abs(delta)
        best = getattr(callback, "best", None)
        if isinstance(best, float) and math.isinf(best):
            callback.best = -np.inf if greater else np.inf
        return None
    return _contrary(name, callback.monitor, "max" if op is np.greater else "min", wanted)


def _contrary(name: str, monitor: str, mode: str, wanted: str) -> str:
    better = "greater" if wanted == "max" else "lower"
    return (f"{name}(monitor={monitor!r}) compares in mode {mode!r}, but {better} is better "
            f"for {monitor!r}: pass {name}(..., mode={wanted!r}).")
