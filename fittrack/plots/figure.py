"""``plot_history``: one panel per metric, training and validation on the same panel.

Example:
    >>> from fittrack.plots import plot_history
    >>> fig = plot_history({"loss": [0.9, 0.6, 0.5], "val_loss": [1.0, 0.7, 0.8],
    ...                     "auc": [0.7, 0.8, 0.9], "val_auc": [0.6, 0.75, 0.7]})
    >>> [a.get_title() for a in fig.axes]
    ['loss', 'auc']
    >>> fig.axes[0].get_xlabel()
    'epoch'
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from fittrack.plots import draw, series
from fittrack.plots.layout import make_axes
from fittrack.plots.panels import group_keys, key_direction
from fittrack.plots.sources import as_history

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

LEVELS = ("epoch", "batch")


def plot_history(source: Any, metrics: str | Sequence[str] | None = None, *,
                 level: str = "epoch", batch_overlay: bool = False, smoothing: float = 0.0,
                 best: bool = True, logy: bool | None = None, ncols: int | None = None,
                 figsize: tuple[float, float] | None = None, title: str | None = None,
                 ax: Axes | Sequence[Axes] | None = None, fig: Figure | None = None) -> Figure:
    """Draw a run's metrics, one panel per metric, and return the figure.

    ``k`` and ``val_k`` share a panel titled ``k`` (validation solid, training
    dashed, in one colour family); Keras' running values ``k_keras`` join it
    as a dotted line. A star marks the best epoch of the validation curve (of
    the training curve without validation values), using the metric's
    direction. NaN or missing values leave gaps. matplotlib is imported here;
    nothing is shown (no ``plt.show()``).

    Args:
        source: a ``MetricHistory``, a ``MetricsCallback``, the ``History``
            ``model.fit`` returns, a dict ``{key: [values]}``, a DataFrame, or
            the path of a fittrack / Keras ``CSVLogger`` CSV file.
        metrics: the panels to draw, by metric name (``"auc"``) or any of its
            keys (``"val_auc"``), in this order; default all, ``loss`` first.
        level: ``"epoch"`` (x = epoch) or ``"batch"`` (x = training step; the
            rows ``MetricsCallback(batch_frequency=N)`` records).
        batch_overlay: at the epoch level, also draw the batch-level values as
            faint points under the epoch curves (batch ``b`` of epoch ``e``
            sits between epochs ``e - 1`` and ``e``).
        smoothing: at the batch level, an exponential moving average weight
            in ``[0, 1)`` (TensorBoard's slider); the raw curve stays, faint.
        best: mark the best epoch on each panel.
        logy: logarithmic y axes; default (None): on the panels whose positive
            values span three decades or more (a loss falling to 1e-5).
        ncols: columns of the grid (default: near square, up to 5).
        figsize: figure size in inches (default: from the grid).
        title: a title over the whole figure.
        ax: an Axes, or a sequence of Axes (one per panel), to draw on.
        fig: a Figure to clear and draw on (a live view reuses one figure).

    Returns:
        The matplotlib ``Figure``.

    Raises:
        ValueError: an unknown ``level``, a metric name that is not a key, or
            a history without rows at that level.
    """
    if level not in LEVELS:
        raise ValueError(f"level must be 'epoch' or 'batch'; received {level!r}.")
    if smoothing and level != "batch":
        raise ValueError("smoothing applies to level='batch' curves; pass level='batch' or "
                         "leave smoothing at 0.")
    history = as_history(source)
    keys = history.keys() if level == "epoch" else history.batch_keys
    if not keys:
        raise ValueError(_no_rows_message(history, level))
    panels = group_keys(keys, metrics, level)
    figure, axes = make_axes(len(panels), ax=ax, fig=fig, ncols=ncols, figsize=figsize)
    legend_size = "small" if len(panels) <= 2 else "x-small"
    looks = [draw.Look(i, key_direction(history, p.val or p.train or p.name), best, logy,
                       smoothing, legend_size) for i, p in enumerate(panels)]
    if level == "epoch":
        frame = history.to_frame("epoch")
        overlay = _overlay_rows(history) if batch_overlay else None
        for panel, axis, look in zip(panels, axes, looks):
            draw.draw_epoch_panel(axis, panel, frame, look, overlay)
    else:
        frame = history.to_frame("batch")
        rows = draw.BatchRows(frame, frame["step"].to_numpy(dtype=np.float64))
        for panel, axis, look in zip(panels, axes, looks):
            draw.draw_batch_panel(axis, panel, rows, look)
    if title:
        figure.suptitle(title, fontweight="bold")
    return figure


def _overlay_rows(history: Any) -> draw.BatchRows | None:
    if not history.batch_keys:
        warnings.warn("batch_overlay=True but the history has no batch-level rows; record "
                      "them with MetricsCallback(batch_frequency=N).", UserWarning, stacklevel=3)
        return None
    frame = history.to_frame("batch")
    x = series.batch_positions(frame["epoch"], frame["batch"], frame["step"])
    return draw.BatchRows(frame, x)


def _no_rows_message(history: Any, level: str) -> str:
    if level == "epoch" and history.batch_keys:
        return ("The history has batch-level rows only (a .batches.csv file?); "
                "plot them with level='batch'.")
    if level == "batch":
        return ("The history has no batch-level rows; record them with "
                "MetricsCallback(batch_frequency=N), or plot level='epoch'.")
    return "The history is empty: it has no metric values to plot."
