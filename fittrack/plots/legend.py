"""The runs drawn on each Axes, and the legend that names them.

Every run drawn on an Axes is remembered (weakly: the entry goes with the
Axes), so a second ``plot_history(..., ax=ax)`` call picks a colour no run
on that Axes has yet, and the legend, rebuilt at each call, names every run:
one entry per run in its colour (with its best value), then one entry per
line style (validation solid, training dashed, ...) in grey.

Example:
    >>> import matplotlib; from matplotlib.figure import Figure
    >>> ax = Figure().subplots()
    >>> register(ax, RunEntry("lr=1e-3", 0, "#1f77b4", "best 0.91 (epoch 4)", {"train", "val"}))
    >>> free_families([ax], 2)
    [1, 2]
    >>> [t.get_text() for t in run_legend(ax, "small").get_texts()]
    ['lr=1e-3: best 0.91 (epoch 4)', 'validation', 'training', 'best epoch']
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from fittrack.plots import style

_RUNS: weakref.WeakKeyDictionary[Any, list[RunEntry]] = weakref.WeakKeyDictionary()

#: Line-style key entries, in legend order: (role, label).
KEY = (("val", "validation"), ("train", "training"), ("running", "Keras running value"),
       ("batch", "per batch"), ("smoothed", "raw (faint), smoothed"))


@dataclass
class RunEntry:
    """One run drawn on one Axes."""

    label: str | None          # None: a run drawn without a label (named "run <i>" here)
    family: int                # its colour family
    colour: str                # its colour in the legend
    best: str | None = None    # "best 0.91 (epoch 4)"
    roles: set[str] = field(default_factory=set)  # the KEY roles it drew


def register(ax: Any, entry: RunEntry) -> None:
    """Remember that ``entry``'s run was drawn on ``ax``."""
    _RUNS.setdefault(ax, []).append(entry)


def entries(ax: Any) -> list[RunEntry]:
    """The runs drawn on ``ax`` so far, in drawing order."""
    return list(_RUNS.get(ax, []))


def free_families(axes: Iterable[Any], n: int) -> list[int]:
    """The ``n`` smallest colour families that no run on any of ``axes`` uses."""
    used = {entry.family for ax in axes for entry in _RUNS.get(ax, [])}
    free: list[int] = []
    family = 0
    while len(free) < n:
        if family not in used:
            free.append(family)
        family += 1
    return free


def run_legend(ax: Any, size: str) -> Any:
    """A legend naming each run of ``ax`` in its colour, then the line styles used."""
    from matplotlib.lines import Line2D

    runs = entries(ax)
    handles, labels = [], []
    for i, entry in enumerate(runs):
        name = entry.label if entry.label is not None else f"run {i + 1}"
        handles.append(Line2D([], [], color=entry.colour, linewidth=2.5))
        labels.append(f"{name}: {entry.best}" if entry.best else name)
    drawn = set().union(*(entry.roles for entry in runs)) if runs else set()
    grey = "#666666"
    looks: dict[str, dict[str, Any]] = {"val": dict(linestyle="-"), "train": dict(linestyle="--"),
             "running": dict(linestyle=":"), "smoothed": dict(linestyle="-", alpha=0.5),
             "batch": dict(linestyle="none", marker="o", markersize=3, alpha=0.6)}
    for role, label in KEY:
        if role in drawn:
            handles.append(Line2D([], [], color=grey, linewidth=1.6, **looks[role]))
            labels.append(label)
    if any(entry.best for entry in runs):
        handles.append(Line2D([], [], color=grey, **style.BEST_STYLE))
        labels.append("best epoch")
    return ax.legend(handles, labels, fontsize=size, loc="best", framealpha=0.85)
