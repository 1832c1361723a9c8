"""A live view for notebooks: one figure, redrawn in place as training goes.

In a Jupyter kernel (Jupyter, JupyterLab, VS Code, Colab) the first
:meth:`LivePlot.update` displays the figure as a PNG with a display id, and
each later call replaces that same output (``DisplayHandle.update``): one
figure per run, never one per epoch. Anywhere else (a terminal, a script,
pytest, CI) ``update`` does nothing and costs nothing.

Example (in a notebook cell)::

    live = LivePlot(["loss", "auc"])
    redraw = keras.callbacks.LambdaCallback(on_epoch_end=lambda e, logs: live.update(cb.history))
    model.fit(x, y, epochs=20, callbacks=[cb, redraw])
    live.close()
"""

from __future__ import annotations

import io
import sys
import warnings
from collections.abc import Sequence
from typing import Any

from fittrack.notices import FittrackRuntimeWarning


def in_notebook() -> bool:
    """True inside a Jupyter kernel (an IPython shell with a kernel), False elsewhere.

    IPython is not imported here: a kernel has imported it already.
    """
    ipython = sys.modules.get("IPython")
    get_ipython = getattr(ipython, "get_ipython", None)
    shell = get_ipython() if get_ipython is not None else None
    return shell is not None and getattr(shell, "kernel", None) is not None


class LivePlot:
    """Redraw one figure in place at each :meth:`update` (Jupyter only).

    Args:
        metrics: the panels to draw (as in :func:`~fittrack.plots.plot_history`);
            default all.
        every: redraw on every ``every``-th call to :meth:`update` (and always
            on the first).
        dpi: resolution of the displayed PNG.
        **plot_kwargs: passed to :func:`~fittrack.plots.plot_history`
            (``level="batch"``, ``smoothing=0.6``, ``batch_overlay=True``, ...).

    Attributes:
        active: whether this process is a Jupyter kernel (decided at creation).
        updates: how many times the figure was drawn.
    """

    def __init__(self, metrics: str | Sequence[str] | None = None, *, every: int = 1,
                 dpi: int = 80, **plot_kwargs: Any) -> None:
        if isinstance(every, bool) or not isinstance(every, int) or every < 1:
            raise ValueError(f"every must be a positive integer; received {every!r}.")
        for name in ("ax", "fig"):
            if name in plot_kwargs:
                raise ValueError(f"LivePlot draws on its own figure; do not pass {name}=.")
        self.metrics, self.every, self.dpi = metrics, every, dpi
        self.plot_kwargs = plot_kwargs
        self.active = in_notebook()
        self.updates = 0
        self._calls = 0
        self._figure: Any = None
        self._handle: Any = None

    def update(self, history: Any) -> None:
        """Draw ``history`` (any source :func:`plot_history` takes) into the live figure.

        Outside a Jupyter kernel this returns at once. A drawing error is
        reported once as a warning and turns the live view off: it never
        stops training.
        """
        self._calls += 1
        if not self.active or (self._calls - 1) % self.every:
            return
        try:
            image = self._render(history)
        except Exception as error:
            self.active = False
            warnings.warn(f"LivePlot turned off: drawing the history failed ({error}).",
                          FittrackRuntimeWarning, stacklevel=2)
            return
        from IPython.display import display

        if self._handle is None:
            self._handle = display(image, display_id=True)
        else:
            self._handle.update(image)
        self.updates += 1

    @property
    def figure(self) -> Any:
        """The figure drawn into (None before the first drawing and after :meth:`close`)."""
        return self._figure

    def close(self) -> None:
        """Release the figure; the last drawing stays in the notebook."""
        if self._figure is not None:
            self._figure.clear()
        self._figure = None
        self._handle = None

    def _render(self, history: Any) -> Any:
        """The history drawn on the live figure, as an ``IPython.display.Image``."""
        from IPython.display import Image
        from matplotlib.figure import Figure

        from fittrack.history.selection import MAX_PANELS, plan_panels
        from fittrack.history.sources import as_history
        from fittrack.plots.figure import plot_history
        from fittrack.plots.layout import figure_size, grid_shape

        history = as_history(history)
        level = self.plot_kwargs.get("level", "epoch")
        keys = history.keys() if level == "epoch" else history.batch_keys
        cap = self.plot_kwargs.get("max_panels", MAX_PANELS)
        n_panels = max(len(plan_panels([keys], self.metrics, level, cap).stacks), 1) \
            if keys else 1
        size = self.plot_kwargs.get("figsize") or \
            figure_size(*grid_shape(n_panels, self.plot_kwargs.get("ncols")))
        if self._figure is None:
            self._figure = Figure()  # not pyplot's: the inline backend will not show it again
        kwargs = {**self.plot_kwargs, "figsize": size}
        plot_history(history, self.metrics, fig=self._figure, **kwargs)
        buffer = io.BytesIO()
        self._figure.savefig(buffer, format="png", dpi=self.dpi)
        return Image(data=buffer.getvalue(), format="png")
