"""``MetricsCallback``'s arguments, validated in ``__init__`` (bad ones fail at once).

Example:
    >>> check_int("batch_frequency", 0)
    Traceback (most recent call last):
    ...
    ValueError: batch_frequency must be a positive integer; received 0.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np

from fittrack.callbacks.data import parse_data
from fittrack.callbacks.streams import is_stream, parse_stream
from fittrack.notices import FittrackWarning


def check_int(name: str, value: Any, allow_none: bool = False) -> None:
    """A positive integer (or None when allowed)."""
    if value is None and allow_none:
        return
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        allowed = "a positive integer or None" if allow_none else "a positive integer"
        raise ValueError(f"{name} must be {allowed}; received {value!r}.")


def parse_source(data: Any, role: str, steps: int | None) -> Any:
    """``train_data``/``validation_data``: arrays, or a streamed source."""
    if data is not None and is_stream(data):
        return parse_stream(data, role, steps)
    if data is not None and steps is not None:
        key = "train_steps" if role == "train_data" else "validation_steps"
        raise ValueError(f"{key}={steps} is for a streamed {role} (a generator, tf.data, a "
                         f"PyDataset); {role} is arrays, which are evaluated whole. Drop "
                         f"{key}, or pass a subset of the rows as {role}.")
    return parse_data(data, role)


def check_from_logits(value: Any) -> None:
    """None, a bool, or a dict ``{output_name: bool}``."""
    if value is None or isinstance(value, bool):
        return
    if isinstance(value, Mapping) and all(isinstance(v, bool) for v in value.values()):
        return
    raise TypeError(f"from_logits must be None (read it from the compiled loss), True, False, "
                    f"or a dict {{output_name: bool}}; received {value!r}.")


def check_curves(value: Any) -> list[str]:
    """``curves=``: False, True, or a list of ``"roc"``, ``"pr"``, ``"confusion"``."""
    kinds = ["roc", "pr", "confusion"]
    if value is False or value is None:
        return []
    if value is True:
        return kinds
    if isinstance(value, str):
        value = [value]
    if isinstance(value, (list, tuple)) and value and all(v in kinds for v in value):
        return list(dict.fromkeys(value))
    raise ValueError(f"curves must be True, False, or a list of {kinds}; received {value!r}.")


def from_logits_for(value: Any, output: str | None) -> bool | None:
    """The user's ``from_logits`` for one output (None: read it from the model)."""
    if isinstance(value, Mapping):
        return value.get(output) if output is not None else (
            next(iter(value.values())) if len(value) == 1 else None)
    return value


def warn_unknown_directions(directions: Mapping[str, bool | None]) -> None:
    """One warning naming the metrics whose direction nobody declared."""
    unknown = [k for k, greater in directions.items() if greater is None]
    if not unknown:
        return
    warnings.warn(
        f"The direction of {unknown} is unknown (user functions do not say whether greater is "
        "better): no EarlyStopping/ModelCheckpoint mode is set for them and no best epoch is "
        "marked. Declare it with fittrack.metrics.make_metric(fn, greater_is_better=False) "
        "(or True).", FittrackWarning, stacklevel=3)
