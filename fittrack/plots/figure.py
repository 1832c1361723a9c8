"""``plot_history``: one panel per metric, training and validation on the same panel;
several runs compared on the same panels.

Example:
    >>> from fittrack.plots import plot_history
    >>> fig = plot_history({"loss": [0.9, 0.6, 0.5], "val_loss": [1.0, 0.7, 0.8],
    ...                     "auc": [0.7, 0.8, 0.9], "val_auc": [0.6, 0.75, 0.7]})
    >>> [a.get_title() for a in fig.axes]
    ['loss', 'auc']
    >>> fig.axes[0].get_xlabel()
    'epoch'
    >>> fig = plot_history({"lr=1e-3": {"loss": [0.9, 0.5]}, "lr=1e-2": {"loss": [0.8, 0.7]}})
    >>> [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    ['lr=1e-3: best 0.5 (epoch 1)', 'lr=1e-2: best 0.7 (epoch 1)', 'training', 'best epoch']
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from fittrack.history.groups import key_direction
from fittrack.history.selection import MAX_PANELS, Plan, plan_panels
from fittrack.history.sources import Run, as_runs
from fittrack.notices import FittrackWarning
from fittrack.plots import draw, legend, series, style
from fittrack.plots.layout import make_axes

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

LEVELS = ("epoch", "batch")
#: The x label when batch points are drawn among the epochs (no point at a negative x).
EPOCHS_COMPLETED = "epochs completed (epoch index + 1)"


def plot_history(source: Any, metrics: str | Sequence[str] | None = None, *,
                 level: str = "epoch", batch_overlay: bool = False, smoothing: float = 0.0,
                 best: bool = True, logy: bool | None = None, ncols: int | None = None,
                 figsize: tuple[float, float] | None = None, title: str | None = None,
                 ax: Axes | Sequence[Axes] | None = None, fig: Figure | None = None,
                 label: str | None = None, max_panels: int | None = MAX_PANELS) -> Figure:
    """Draw one run's metrics, or several runs', one panel per metric; return the figure.

    One run: ``k`` and ``val_k`` share a panel titled ``k`` (validation solid,
    training dashed, in one colour family); Keras' running values ``k_keras``
    join it as a dotted line. A star marks the best epoch of the validation
    curve (of the training curve without validation values), using the
    metric's direction; a metric of unknown direction gets no star. NaN or
    missing values leave gaps. matplotlib is imported here; nothing is shown
    (no ``plt.show()``).

    Several runs (``{label: source}``, ``[source, ...]``, or one source with
    ``label=``): one colour per run, training dashed and validation solid, a
    star at each run's best epoch, and a legend naming the runs (with their
    best values). Runs drawn on the same ``ax`` by separate calls get
    distinct colours and one legend.

    Args:
        source: a ``MetricHistory``, a ``MetricsCallback``, the ``History``
            ``model.fit`` returns, a dict ``{key: [values]}``, a DataFrame, or
            the path of a fittrack / Keras ``CSVLogger`` CSV file; or several
            runs as ``{label: source}`` or a list of sources (labelled by file
            name, else ``"run 1"``, ``"run 2"``, ...).
        metrics: the panels to draw, by metric name (``"auc"``), any of its
            keys (``"val_auc"``) or an alias (``"acc"`` finds ``accuracy``), in
            this order; default all (``loss`` first) but timing keys
            (``eval_seconds``), up to ``max_panels``.
        level: ``"epoch"`` (x = epoch) or ``"batch"`` (x = training step; the
            rows ``MetricsCallback(batch_frequency=N)`` records).
        batch_overlay: at the epoch level, also draw the batch-level values as
            faint points among the epoch curves. The x axis then counts epochs
            completed: epoch ``e``'s value is at ``e + 1``, and batch ``b`` of
            epoch ``e`` (of ``L``) at ``e + (b + 1) / L``.
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
        label: the name of this run in the legend (to compare it with runs
            drawn on the same ``ax``).
        max_panels: at most this many panels when ``metrics`` is not given
            (a warning says how many were left out); None: no cap.

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
    runs = as_runs(source, label)
    plan = _plan(runs, metrics, level, max_panels)
    figure, axes = make_axes(len(plan.stacks), ax=ax, fig=fig, ncols=ncols, figsize=figsize)
    compare = len(runs) > 1 or runs[0].label is not None or \
        any(legend.entries(axis) for axis in axes)
    families = legend.free_families(axes, len(runs))
    names = [run.label or f"run {len(legend.entries(axes[0])) + 1}" for run in runs]
    tables = [_tables(run, level, batch_overlay) for run in runs]
    shift = 1.0 if level == "epoch" and batch_overlay else 0.0
    xlabel = "step" if level == "batch" else EPOCHS_COMPLETED if shift else "epoch"
    size = "small" if len(plan.stacks) <= 2 else "x-small"
    for position, (stack, axis) in enumerate(zip(plan.stacks, axes)):
        directions, columns = [], []
        for r, (run, part) in enumerate(zip(runs, stack.parts)):
            if part is None:
                continue
            frame, rows = tables[r]
            greater = key_direction(run.history, part.val or part.train or part.name)
            look = draw.Look(families[r] if compare else position, greater, best, smoothing,
                             names[r] if compare else None, shift)
            if level == "epoch":
                drawn = draw.draw_epoch_panel(axis, part, frame, look, rows)
            else:
                assert rows is not None  # the batch level always has its rows
                drawn = draw.draw_batch_panel(axis, part, rows, look, boundaries=not compare)
            legend.register(axis, legend.RunEntry(
                look.run, look.family, style.role_colour("val", look.family, compare),
                drawn.best, drawn.roles))
            directions.append(greater)
            table = frame if level == "epoch" or rows is None else rows.frame
            columns += [table[key] for key in part.keys]
        greater = directions[0] if len(set(directions)) == 1 else None
        draw.finish(axis, stack.title, xlabel, greater, draw.wants_log(columns, logy), size,
                    compare)
    if plan.capped:
        warnings.warn(plan.cap_message(), FittrackWarning, stacklevel=2)
        if ax is None:
            figure.supxlabel(plan.cap_message(), fontsize="small", color="#a00000")
    if title:
        figure.suptitle(title, fontweight="bold")
    return figure


def _plan(runs: list[Run], metrics: Any, level: str, max_panels: int | None) -> Plan:
    """The panels to draw; raises when there is nothing to draw."""
    keys = [run.history.keys() if level == "epoch" else run.history.batch_keys for run in runs]
    empty = [i for i, run_keys in enumerate(keys) if not run_keys]
    if len(empty) == len(runs):
        raise ValueError(_no_rows_message(runs[0].history, level))
    for i in empty:  # some runs have rows at this level, this one has none
        warnings.warn(f"Run {runs[i].label!r} is not drawn: it has no {level}-level rows "
                      f"(level='epoch' or 'batch' chooses the rows).", FittrackWarning,
                      stacklevel=3)
    plan = plan_panels(keys, metrics, level, max_panels)
    if not plan.stacks:
        raise ValueError("Nothing to draw: the history holds timing keys only "
                         "(eval_seconds); ask for them with metrics=['eval_seconds'].")
    return plan


def _tables(run: Run, level: str, overlay: bool) -> tuple[Any, draw.BatchRows | None]:
    """The run's epoch table and batch rows (overlay) or its batch rows (batch level)."""
    history = run.history
    if level == "batch":
        frame = history.to_frame("batch")
        return None, draw.BatchRows(frame, frame["step"].to_numpy(dtype=np.float64))
    frame = history.to_frame("epoch") if history.keys() else None
    return frame, _overlay_rows(history) if overlay else None


def _overlay_rows(history: Any) -> draw.BatchRows | None:
    if not history.batch_keys:
        warnings.warn("batch_overlay=True but the history has no batch-level rows; record "
                      "them with MetricsCallback(batch_frequency=N).", FittrackWarning,
                      stacklevel=4)
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
