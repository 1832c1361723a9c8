"""Turn anything a run leaves behind into a :class:`~fittrack.MetricHistory`.

Accepted sources: a ``MetricHistory``; a ``MetricsCallback`` (its
``.history``); a Keras ``History`` (what ``model.fit`` returns: a
``.history`` dict and an ``.epoch`` list); a dict ``{key: [values]}``; a
pandas DataFrame with one column per key (index: the epochs); or the path of a
CSV written by fittrack or by Keras' ``CSVLogger``.

Several runs are ``{label: source}`` or a list of sources (:func:`as_runs`);
a list's labels are the file names of its paths, ``"run <i>"`` for the others.

Example:
    >>> h = as_history({"loss": [0.9, 0.5], "val_loss": [1.0, 0.7]})
    >>> h.keys(), h.epoch
    (['loss', 'val_loss'], [0, 1])
    >>> [run.label for run in as_runs([h, {"loss": [1.0]}])]
    ['run 1', 'run 2']
    >>> run_labels(["logs/a/run.csv", "logs/b/run.csv", "c.csv", h])
    ['a/run', 'b/run', 'c', 'run 4']
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import PurePath
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


@dataclass
class Run:
    """One run to draw: its label (None for a lone run without one) and its store."""

    label: str | None
    history: MetricHistory


def as_runs(source: Any, label: str | None = None) -> list[Run]:
    """The runs in ``source``: ``{label: source}``, ``[source, ...]``, or one source.

    A dict whose values are all sources is a set of runs; a dict of value
    lists is one run. ``label`` names a single source.

    Raises:
        TypeError: a collection that mixes sources and value lists, or a
            ``label`` for several runs.
    """
    runs = _run_sources(source)
    if runs is None:
        return [Run(label, as_history(source))]
    if label is not None:
        raise TypeError(f"label= names one run; {len(runs)} runs were given: pass them as "
                        f"{{label: source, ...}} to name each.")
    if not runs:
        raise ValueError("No runs to draw: the collection of runs is empty.")
    return [Run(name, as_history(item)) for name, item in runs]


def _run_sources(source: Any) -> list[tuple[str, Any]] | None:
    """``[(label, source)]`` when ``source`` holds several runs, else None."""
    if isinstance(source, (list, tuple)):
        bad = [type(item).__name__ for item in source if not _is_source(item)]
        if bad:
            raise TypeError(f"A list of runs holds sources ({SOURCES}); received "
                            f"{', '.join(sorted(set(bad)))}.")
        return list(zip(run_labels(source), source))
    if isinstance(source, Mapping) and not _is_frame(source) and source:
        kinds = {_is_source(value) for value in source.values()}
        if kinds == {True}:
            return [(str(name), item) for name, item in source.items()]
        if kinds == {True, False}:
            raise TypeError("The dict mixes runs and metric values: pass {key: [values]} for "
                            "one run, or {label: source} for several.")
    return None


def _is_source(value: Any) -> bool:
    return (isinstance(value, (MetricHistory, str, os.PathLike, Mapping)) or _is_frame(value)
            or isinstance(getattr(value, "history", None), (MetricHistory, Mapping)))


def run_labels(sources: Sequence[Any]) -> list[str]:
    """Labels for runs given as a list: file names for paths (with their folders
    when the names repeat), ``"run <i>"`` (1-based) for the others."""
    paths = {i: PurePath(s) for i, s in enumerate(sources) if isinstance(s, (str, os.PathLike))}
    labels = {i: f"run {i + 1}" for i in range(len(sources)) if i not in paths}
    depth = 1
    while paths:
        names = {i: _name(path, depth) for i, path in paths.items()}
        repeated = {name for name in names.values() if list(names.values()).count(name) > 1}
        for i, name in names.items():
            if name not in repeated or depth >= len(paths[i].parts):
                labels[i] = name
        paths = {i: path for i, path in paths.items() if i not in labels}
        depth += 1
    ordered = [labels[i] for i in range(len(sources))]
    return [label if ordered.count(label) == 1 else f"{label} ({ordered[:i].count(label) + 1})"
            for i, label in enumerate(ordered)]


def _name(path: PurePath, depth: int) -> str:
    """The last ``depth`` parts of ``path``, without a ``.csv`` suffix."""
    name = path.name[:-4] if path.suffix.lower() == ".csv" else path.name
    return "/".join([*path.parts[-depth:-1], name]) if depth > 1 else name
