"""The numbers a figure marks, as a table: best epoch and value, final value, gap.

One row per key, in panel order (``k``, ``val_k``, then Keras' running
values). The direction is the one the plots use
(:func:`~fittrack.plots.panels.key_direction`). ``gap`` is on each
``val_k`` row with a ``k`` pair: the final training value minus the final
validation value.

Example:
    >>> rows = summarize({"loss": [0.9, 0.5, 0.4], "val_loss": [1.0, 0.7, 0.8]})
    >>> [(r.key, r.best_index, r.best, r.final, r.gap) for r in rows]
    [('loss', 2, 0.4, 0.4, None), ('val_loss', 1, 0.7, 0.8, -0.4)]
    >>> print(format_summary(rows))  # doctest: +NORMALIZE_WHITESPACE
    metric    better  best epoch  best value  final value  gap (train-val)
    loss      lower            2      0.4000       0.4000
    val_loss  lower            1      0.7000       0.8000          -0.4000
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from fittrack.history.direction import best_position
from fittrack.plots.panels import group_keys, key_direction
from fittrack.plots.sources import as_history


@dataclass
class SummaryRow:
    """One key of a run, summarised."""

    key: str
    greater: bool
    best_index: int | None     # epoch (or step at the batch level) of the best finite value
    best: float | None
    final: float | None        # the last recorded value (NaN if that is what was recorded)
    gap: float | None          # final training value - final validation value (val_ rows)


def summarize(source: Any, metrics: str | Sequence[str] | None = None,
              level: str = "epoch") -> list[SummaryRow]:
    """One :class:`SummaryRow` per key of ``source`` (any source ``plot_history`` takes)."""
    history = as_history(source)
    if level not in ("epoch", "batch"):
        raise ValueError(f"level must be 'epoch' or 'batch'; received {level!r}.")
    keys = history.keys() if level == "epoch" else history.batch_keys
    frame = history.to_frame(level)
    index = frame.index.to_numpy() if level == "epoch" else frame["step"].to_numpy()
    rows = []
    for panel in group_keys(keys, metrics, level):
        finals = {}
        for key in panel.keys:
            values = frame[key].to_numpy(dtype=np.float64)
            greater = key_direction(history, key)
            position = best_position(values, greater)
            recorded = history[key] if level == "epoch" else history.batch_values(key)
            finals[key] = float(recorded[-1]) if recorded else None
            gap = None
            if key == panel.val and panel.train and None not in (finals[panel.train],
                                                                 finals[key]):
                gap = finals[panel.train] - finals[key]
            rows.append(SummaryRow(
                key, greater, None if position is None else int(index[position]),
                None if position is None else float(values[position]), finals[key], gap))
    return rows


def format_summary(rows: Sequence[SummaryRow], level: str = "epoch") -> str:
    """The rows as an aligned text table."""
    where = "best epoch" if level == "epoch" else "best step"
    header = ["metric", "better", where, "best value", "final value", "gap (train-val)"]
    body = [[r.key, "higher" if r.greater else "lower", _text(r.best_index), _text(r.best),
             _text(r.final), _text(r.gap)] for r in rows]
    widths = [max(len(line[i]) for line in [header, *body]) for i in range(len(header))]
    lines = []
    for line in [header, *body]:
        cells = [line[0].ljust(widths[0]), line[1].ljust(widths[1])]
        cells += [cell.rjust(width) for cell, width in zip(line[2:], widths[2:])]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (int, np.integer)):
        return str(value)
    if value != value or value == 0 or 1e-3 <= abs(value) < 1e4:
        return f"{value:.4f}"
    return f"{value:.4g}"
