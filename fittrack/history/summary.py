"""The numbers a figure marks, as a table: best epoch and value, final value, gap.

One row per key, in panel order (``k``, ``val_k``, then Keras' running
values); with several runs, one row per run for each key, in a table whose
first column names the run. The direction is the one the plots use
(:func:`~fittrack.history.groups.key_direction`); a key of unknown direction
shows ``unknown`` and no best value. ``gap`` is on each ``val_k`` row with a
``k`` pair: the training value minus the validation value at the last epoch (or
step) where both were recorded, so that both come from the same model.

Example:
    >>> rows = summarize({"loss": [0.9, 0.5, 0.4], "val_loss": [1.0, 0.7, 0.8]})
    >>> [(r.key, r.best_index, r.best, r.final, r.gap) for r in rows]
    [('loss', 2, 0.4, 0.4, None), ('val_loss', 1, 0.7, 0.8, -0.4)]
    >>> print(format_summary(rows))  # doctest: +NORMALIZE_WHITESPACE
    metric    better  best epoch  best value  final value  gap (train-val)
    loss      lower            2      0.4000       0.4000
    val_loss  lower            1      0.7000       0.8000          -0.4000
    >>> rows = summarize({"a": {"val_auc": [0.7, 0.8]}, "b": {"val_auc": [0.9, 0.6]}})
    >>> print(format_summary(rows))  # doctest: +NORMALIZE_WHITESPACE
    run  metric   better  best epoch  best value  final value  gap (train-val)
    a    val_auc  higher           1      0.8000       0.8000
    b    val_auc  higher           0      0.9000       0.6000
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from fittrack.history.groups import Panel, key_direction
from fittrack.history.keys import best_position
from fittrack.history.selection import plan_panels
from fittrack.history.sources import as_runs


@dataclass
class SummaryRow:
    """One key of a run, summarised."""

    key: str
    greater: bool | None       # greater is better; None: unknown (no best value then)
    best_index: int | None     # epoch (or step at the batch level) of the best finite value
    best: float | None
    final: float | None        # the last recorded value (NaN if that is what was recorded)
    gap: float | None          # training - validation value, last row with both (val_ rows)
    run: str | None = None     # the run's label when several runs are summarised


def summarize(source: Any, metrics: str | Sequence[str] | None = None,
              level: str = "epoch") -> list[SummaryRow]:
    """One :class:`SummaryRow` per key of ``source`` (any source ``plot_history`` takes,
    several runs included: then the rows of one key are next to each other, one per run).

    Timing keys (``eval_seconds``) are left out unless named in ``metrics``.
    """
    if level not in ("epoch", "batch"):
        raise ValueError(f"level must be 'epoch' or 'batch'; received {level!r}.")
    runs = as_runs(source)
    keys = [run.history.keys() if level == "epoch" else run.history.batch_keys for run in runs]
    plan = plan_panels(keys, metrics, level, max_panels=None)
    tables = [_table(run.history, level) if run_keys else None
              for run, run_keys in zip(runs, keys)]
    rows = []
    for stack in plan.stacks:
        ranked = []
        for r, (run, part) in enumerate(zip(runs, stack.parts)):
            table = tables[r]
            if part is not None and table is not None:
                for rank, row in enumerate(_panel_rows(run.history, part, level, *table)):
                    row.run = run.label if len(runs) > 1 else None
                    ranked.append((rank, r, row))
        rows += [row for _, _, row in sorted(ranked, key=lambda item: item[:2])]
    return rows


def _table(history: Any, level: str) -> tuple[Any, np.ndarray]:
    frame = history.to_frame(level)
    return frame, frame.index.to_numpy() if level == "epoch" else frame["step"].to_numpy()


def _panel_rows(history: Any, panel: Panel, level: str, frame: Any,
                index: np.ndarray) -> list[SummaryRow]:
    rows: list[SummaryRow] = []
    table = history.table(level)
    for key in panel.keys:
        values = frame[key].to_numpy(dtype=np.float64)
        greater = key_direction(history, key)
        position = None if greater is None else best_position(values, greater)
        column, present = table.column(key)
        final = float(column[present][-1]) if present.any() else None
        gap = None
        if key == panel.val and panel.train in table.keys:
            train, train_present = table.column(panel.train)
            both = np.flatnonzero(present & train_present)
            if len(both):          # the last row where both were recorded: the same epoch
                gap = float(train[both[-1]] - column[both[-1]])
        rows.append(SummaryRow(
            key, greater, None if position is None else int(index[position]),
            None if position is None else float(values[position]), final, gap))
    return rows


def format_summary(rows: Sequence[SummaryRow], level: str = "epoch") -> str:
    """The rows as an aligned text table (with a first ``run`` column for several runs)."""
    where = "best epoch" if level == "epoch" else "best step"
    runs = any(r.run is not None for r in rows)
    header = ["run"] * runs + ["metric", "better", where, "best value", "final value",
                               "gap (train-val)"]
    body = [[r.run or ""] * runs + [r.key, _direction(r.greater), _text(r.best_index),
                                    _text(r.best), _text(r.final), _text(r.gap)] for r in rows]
    widths = [max(len(line[i]) for line in [header, *body]) for i in range(len(header))]
    left = 2 + runs  # run, metric, better: left-aligned; the numbers: right-aligned
    lines = []
    for line in [header, *body]:
        cells = [cell.ljust(width) for cell, width in zip(line[:left], widths)]
        cells += [cell.rjust(width) for cell, width in zip(line[left:], widths[left:])]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def _direction(greater: bool | None) -> str:
    return {True: "higher", False: "lower", None: "unknown"}[greater]


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (int, np.integer)):
        return str(value)
    if value != value or value == 0 or 1e-3 <= abs(value) < 1e4:
        return f"{value:.4f}"
    return f"{value:.4g}"
