"""Draw one run on one panel (curves, best mark, per-batch points), and finish a panel.

The drawing functions take a matplotlib ``Axes``, a
:class:`~fittrack.history.groups.Panel` (that run's keys), the run's table as a
pandas frame and a :class:`Look`; they return what they drew (:class:`Drawn`).
:func:`finish` then sets the panel's title, labels, scale and legend, once
every run is on it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from fittrack.history.groups import VAL, Panel
from fittrack.history.keys import best_position
from fittrack.plots import series, style

#: ``logy=None`` uses a log scale when the positive values span this ratio or more.
LOG_RATIO = 1e3


@dataclass
class BatchRows:
    """The batch table and where its rows go on the x axis."""

    frame: Any            # pandas DataFrame: step, epoch, batch, then the keys
    x: np.ndarray         # step (batch level) or fractional epoch (overlay)


@dataclass
class Look:
    """How one run is drawn on one panel."""

    family: int                   # colour family: the panel's position, or the run's
    greater: bool | None          # greater is better; None: unknown, so no best mark
    best: bool = True             # mark the best epoch
    smoothing: float = 0.0        # batch level: moving-average weight
    run: str | None = None        # the run's name when runs are compared (one colour per run)
    shift: float = 0.0            # added to epochs on the x axis (1: x = epochs completed)

    @property
    def compare(self) -> bool:
        return self.run is not None


@dataclass
class Drawn:
    """What drawing one run on one panel put there: line roles and the best mark's text."""

    roles: set[str] = field(default_factory=set)
    best: str | None = None


def _roles(panel: Panel) -> list[tuple[str, str]]:
    """``(role, key)`` pairs, in drawing order: training, validation, Keras' running values."""
    pairs = [(role, key) for role, key in (("train", panel.train), ("val", panel.val)) if key]
    return pairs + [("val_running" if key.startswith(VAL) else "train_running", key)
                    for key in panel.running]


def _shown_as(panel: Panel, role: str, look: Look) -> str:
    """The style of ``role``: a lone run's training curve alone on its panel is the main one."""
    return "val" if role == "train" and panel.val is None and not look.compare else role


def _label(role: str, look: Look, suffix: str = "") -> str:
    text = style.ROLE_LABELS[role] + suffix
    return f"{look.run}: {text}" if look.compare else text


def draw_epoch_panel(ax: Any, panel: Panel, frame: Any, look: Look,
                     overlay: BatchRows | None = None) -> Drawn:
    """Epoch curves of ``panel`` on ``ax`` (``frame``: the epoch table, index ``epoch``)."""
    drawn = Drawn()
    epochs = frame.index.to_numpy(dtype=np.float64) + look.shift
    if overlay is not None and _draw_batch_points(ax, panel, look, overlay):
        drawn.roles.add("batch")
    for role, key in _roles(panel):
        x, y = series.with_gaps(epochs, frame[key].to_numpy(dtype=np.float64))
        shown = _shown_as(panel, role, look)
        ax.plot(x, y, label=_label(role, look),
                **style.line_style(shown, look.family, np.isfinite(y).sum(), look.compare))
        drawn.roles.add(shown.replace("train_", "").replace("val_", ""))
    best = best_point(panel, frame, look.greater) if look.best else None
    if best is not None:
        drawn.best = _mark_best(ax, panel, best, look)
    return drawn


def draw_batch_panel(ax: Any, panel: Panel, rows: BatchRows, look: Look,
                     boundaries: bool = True) -> Drawn:
    """Batch-level curves of ``panel`` on ``ax``, x = training step."""
    drawn = Drawn()
    for role, key in _roles(panel):
        shown = _shown_as(panel, role, look)
        values = rows.frame[key].to_numpy(dtype=np.float64)
        if look.smoothing:
            x, y = series.with_gaps(rows.x, values)
            ax.plot(x, y, **style.raw_style(shown, look.family, look.compare))
            values = series.smooth(values, look.smoothing)
            drawn.roles.add("smoothed")
        x, y = series.with_gaps(rows.x, values)
        label = _label(role, look, f" (smoothed {look.smoothing:g})" if look.smoothing else "")
        n_points = np.isfinite(y).sum() * (3 if look.smoothing else 1)  # fewer markers
        ax.plot(x, y, label=label, **style.line_style(shown, look.family, n_points, look.compare))
        drawn.roles.add(shown.replace("train_", "").replace("val_", ""))
    if boundaries:
        _epoch_boundaries(ax, rows)
    return drawn


def _draw_batch_points(ax: Any, panel: Panel, look: Look, rows: BatchRows) -> bool:
    """Per-batch values of the panel's training and validation keys, as faint dots."""
    label: str | None = f"{look.run}: per batch" if look.compare else "per batch"
    drew = False
    for role, key in (("train", panel.train), ("val", panel.val)):
        if key is None or key not in rows.frame.columns:
            continue
        values = rows.frame[key].to_numpy(dtype=np.float64)
        finite = np.isfinite(values)
        if finite.any():
            ax.scatter(rows.x[finite], values[finite], label=label,
                       **style.batch_point_style(_shown_as(panel, role, look), look.family,
                                                 look.compare))
            label, drew = None, True  # one legend entry for both roles
    return drew


def best_point(panel: Panel, frame: Any, greater: bool | None) -> tuple[str, int, float] | None:
    """``(key, epoch, value)`` of the best epoch: on validation if it has values, else
    training; None when no value is finite or the direction is unknown (``greater=None``)."""
    if greater is None:
        return None
    for key in (panel.val, panel.train):
        if key is None:
            continue
        values = frame[key].to_numpy(dtype=np.float64)
        position = best_position(values, greater)
        if position is not None:
            return key, int(frame.index[position]), float(values[position])
    return None


def _mark_best(ax: Any, panel: Panel, best: tuple[str, int, float], look: Look) -> str:
    """Draw the star (and, for a lone run, a faint vertical line); return its text."""
    key, epoch, value = best
    text = f"best {value:.4g} (epoch {epoch})"
    role = _shown_as(panel, "val" if key == panel.val else "train", look)
    colour = style.role_colour(role, look.family, look.compare)
    x = epoch + look.shift
    if not look.compare:
        ax.axvline(x, color=colour, linewidth=0.9, linestyle=(0, (2, 3)), alpha=0.6, zorder=0)
    ax.plot([x], [value], color=colour, label=f"{look.run}: {text}" if look.compare else text,
            **style.BEST_STYLE)
    return text


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


def finish(ax: Any, title: str, xlabel: str, greater: bool | None, log: bool,
           legend_size: str, compare: bool = False) -> None:
    """Title, axis labels (with the metric's direction), scale, grid and legend of a panel."""
    from matplotlib.ticker import MaxNLocator

    ax.set_title(title, fontsize="medium", fontweight="bold")
    ax.set_xlabel(xlabel)
    if log:
        ax.set_yscale("log")
    direction = {True: "higher is better", False: "lower is better",
                 None: "direction unknown"}[greater]
    ax.set_ylabel(f"{title} ({direction}{', log scale' if log else ''})", fontsize="small")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.grid(True, color="#e5e5e5", linewidth=0.7)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    if compare:
        from fittrack.plots.legend import run_legend

        run_legend(ax, legend_size)
    elif ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=legend_size, loc="best", framealpha=0.85)
