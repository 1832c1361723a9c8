"""Draw one panel: its curves, the best-epoch mark, per-batch points, labels, legend.

The functions take a matplotlib ``Axes``, a :class:`~fittrack.plots.panels.Panel`,
the history's tables as pandas frames and the panel's :class:`Look`; they
return nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from fittrack.history.direction import best_position
from fittrack.plots import series, style
from fittrack.plots.panels import VAL, Panel

#: ``logy=None`` uses a log scale when the positive values span this ratio or more.
LOG_RATIO = 1e3


@dataclass
class BatchRows:
    """The batch table and where its rows go on the x axis."""

    frame: Any            # pandas DataFrame: step, epoch, batch, then the keys
    x: np.ndarray         # step (batch level) or fractional epoch (overlay)


@dataclass
class Look:
    """How one panel is drawn."""

    family: int                   # colour family (the panel's position)
    greater: bool                 # greater is better for this metric
    best: bool = True             # mark the best epoch
    logy: bool | None = None      # log y axis; None: when the values span >= LOG_RATIO
    smoothing: float = 0.0        # batch level: moving-average weight
    legend_size: str = "x-small"


def _roles(panel: Panel) -> list[tuple[str, str]]:
    """``(role, key)`` pairs, in drawing order: training, validation, Keras' running values."""
    pairs = [(role, key) for role, key in (("train", panel.train), ("val", panel.val)) if key]
    return pairs + [("val_running" if key.startswith(VAL) else "train_running", key)
                    for key in panel.running]


def _shown_as(panel: Panel, role: str) -> str:
    """The style of ``role``: a training curve alone on its panel is drawn as the main one."""
    return "val" if role == "train" and panel.val is None else role


def draw_epoch_panel(ax: Any, panel: Panel, frame: Any, look: Look,
                     overlay: BatchRows | None = None) -> None:
    """Epoch curves of ``panel`` on ``ax`` (``frame``: the epoch table, index ``epoch``)."""
    epochs = frame.index.to_numpy(dtype=np.float64)
    if overlay is not None:
        _draw_batch_points(ax, panel, look, overlay)
    for role, key in _roles(panel):
        x, y = series.with_gaps(epochs, frame[key].to_numpy(dtype=np.float64))
        ax.plot(x, y, label=style.ROLE_LABELS[role],
                **style.line_style(_shown_as(panel, role), look.family, np.isfinite(y).sum()))
    if look.best:
        _mark_best(ax, panel, frame, look)
    _finish(ax, panel, "epoch", look, [frame[key] for key in panel.keys])


def draw_batch_panel(ax: Any, panel: Panel, rows: BatchRows, look: Look) -> None:
    """Batch-level curves of ``panel`` on ``ax``, x = training step."""
    for role, key in _roles(panel):
        shown = _shown_as(panel, role)
        values = rows.frame[key].to_numpy(dtype=np.float64)
        if look.smoothing:
            x, y = series.with_gaps(rows.x, values)
            ax.plot(x, y, **style.raw_style(shown, look.family))
            values = series.smooth(values, look.smoothing)
        x, y = series.with_gaps(rows.x, values)
        label = style.ROLE_LABELS[role] + (f" (smoothed {look.smoothing:g})"
                                           if look.smoothing else "")
        n_points = np.isfinite(y).sum() * (3 if look.smoothing else 1)  # fewer markers
        ax.plot(x, y, label=label, **style.line_style(shown, look.family, n_points))
    _epoch_boundaries(ax, rows)
    _finish(ax, panel, "step", look, [rows.frame[key] for key in panel.keys])


def _draw_batch_points(ax: Any, panel: Panel, look: Look, rows: BatchRows) -> None:
    """Per-batch values of the panel's training and validation keys, as faint dots."""
    label = "per batch"
    for role, key in (("train", panel.train), ("val", panel.val)):
        if key is None or key not in rows.frame.columns:
            continue
        values = rows.frame[key].to_numpy(dtype=np.float64)
        finite = np.isfinite(values)
        if finite.any():
            ax.scatter(rows.x[finite], values[finite], label=label,
                       **style.batch_point_style(_shown_as(panel, role), look.family))
            label = None  # one legend entry for both roles


def best_point(panel: Panel, frame: Any, greater: bool) -> tuple[str, int, float] | None:
    """``(key, epoch, value)`` of the best epoch: on validation if it has values, else training."""
    for key in (panel.val, panel.train):
        if key is None:
            continue
        values = frame[key].to_numpy(dtype=np.float64)
        position = best_position(values, greater)
        if position is not None:
            return key, int(frame.index[position]), float(values[position])
    return None


def _mark_best(ax: Any, panel: Panel, frame: Any, look: Look) -> None:
    best = best_point(panel, frame, look.greater)
    if best is None:
        return
    key, epoch, value = best
    colour = style.role_colour(_shown_as(panel, "val" if key == panel.val else "train"),
                               look.family)
    ax.axvline(epoch, color=colour, linewidth=0.9, linestyle=(0, (2, 3)), alpha=0.6, zorder=0)
    ax.plot([epoch], [value], color=colour, label=f"best {value:.4g} (epoch {epoch})",
            **style.BEST_STYLE)


def _epoch_boundaries(ax: Any, rows: BatchRows) -> None:
    """Light vertical lines where each epoch after the first starts (for up to 60 epochs)."""
    frame = rows.frame
    starts = series.epoch_starts(frame["epoch"], frame["batch"], frame["step"])
    if 1 < len(starts) <= 60:
        for i, start in enumerate(starts[1:]):
            ax.axvline(start - 0.5, color="#c8c8c8", linewidth=0.9, linestyle=(0, (4, 3)),
                       zorder=0, label="epoch start" if i == 0 else None)


def wants_log(columns: list[Any], logy: bool | None) -> bool:
    """Whether the y axis should be logarithmic for these value columns."""
    if logy is not None:
        return bool(logy)
    values = np.concatenate([np.asarray(c, dtype=np.float64) for c in columns]) \
        if columns else np.array([])
    values = values[np.isfinite(values)]
    return bool(len(values) and values.min() > 0 and values.max() / values.min() >= LOG_RATIO)


def _finish(ax: Any, panel: Panel, xlabel: str, look: Look, columns: list[Any]) -> None:
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    ax.set_title(panel.name, fontsize="medium", fontweight="bold")
    ax.set_xlabel(xlabel)
    log = wants_log(columns, look.logy)
    if log:
        ax.set_yscale("log")
    direction = "higher" if look.greater else "lower"
    ax.set_ylabel(f"{panel.name} ({direction} is better{', log scale' if log else ''})",
                  fontsize="small")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    if xlabel == "epoch":  # batch points of epoch 0 sit left of 0: no negative epoch labels
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: "" if v < 0 else f"{v:g}"))
    ax.grid(True, color="#e5e5e5", linewidth=0.7)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=look.legend_size, loc="best", framealpha=0.85)
