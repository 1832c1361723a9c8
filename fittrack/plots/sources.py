"""Turn anything a run leaves behind into a :class:`~fittrack.MetricHistory`.

Accepted sources: a ``MetricHistory``; a ``MetricsCallback`` (its
``.history``); a Keras ``History`` (what ``model.fit`` returns: a
``.history`` dict and an ``.epoch`` list); a dict ``{key: [values]}``; a
pandas DataFrame with one column per key (index: the epochs); or the path of a
CSV written by fittrack or by Keras' ``CSVLogger``.

Example:
    >>> h = as_history({"loss": [0.9, 0.5], "val_loss": [1.0, 0.7]})
    >>> h.keys(), h.epoch
    (['loss', 'val_loss'], [0, 1])
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from fittrack.history import MetricHistory, load_history

SOURCES = ("a MetricHistory, a MetricsCallback, a Keras History (what model.fit returns), "
           "a dict {key: [values]}, a pandas DataFrame, or the path of a CSV file")


def as_history(source: Any) -> MetricHistory:
    """The :class:`MetricHistory` behind ``source`` (see the module docstring).

    Raises:
        TypeError: ``source`` is none of the accepted kinds.
        FileNotFoundError, ValueError: a path that is not a readable history CSV.
    """
    if isinstance(source, MetricHistory):
        return source
    if isinstance(source, (str, os.PathLike)):
        return load_history(source)
    if _is_frame(source):
        return _from_frame(source)
    if isinstance(source, Mapping):
        return MetricHistory.from_dict(source)
    inner = getattr(source, "history", None)
    if isinstance(inner, MetricHistory):  # a MetricsCallback
        return inner
    if isinstance(inner, Mapping):  # a keras.callbacks.History
        epochs = getattr(source, "epoch", None)
        return MetricHistory.from_dict(inner, epochs=list(epochs) if epochs else None)
    raise TypeError(f"Cannot plot a {type(source).__name__}: expected {SOURCES}.")


def _is_frame(source: Any) -> bool:
    return type(source).__name__ == "DataFrame" and hasattr(source, "columns")


def _from_frame(frame: Any) -> MetricHistory:
    """A store from a DataFrame such as ``MetricHistory.to_frame()`` (index: epochs)."""
    if "epoch" in frame.columns:
        frame = frame.set_index("epoch")
    epochs = [int(e) for e in frame.index]
    history = MetricHistory()
    for position, epoch in enumerate(epochs):
        row = frame.iloc[position]
        values = {str(k): float(v) for k, v in row.items() if v == v}  # skip missing (NaN)
        history.record_epoch(epoch, values)
    return history
