"""The grid of panels: its shape, the figure size, and the axes to draw on.

Example:
    >>> [grid_shape(n) for n in (1, 2, 3, 4, 5, 7, 10, 13, 20)]
    [(1, 1), (1, 2), (1, 3), (2, 2), (2, 3), (3, 3), (3, 4), (4, 4), (4, 5)]
"""

from __future__ import annotations

import math
from typing import Any


def grid_shape(n: int, ncols: int | None = None) -> tuple[int, int]:
    """``(rows, columns)`` for ``n`` panels: near-square, at most 5 columns by default."""
    if ncols is None:
        ncols = 1 if n <= 1 else 2 if n in (2, 4) else 3 if n <= 9 else 4 if n <= 16 else 5
    if isinstance(ncols, bool) or not isinstance(ncols, int) or ncols < 1:
        raise ValueError(f"ncols must be a positive integer; received {ncols!r}.")
    ncols = min(ncols, max(n, 1))
    return math.ceil(n / ncols), ncols


def figure_size(rows: int, cols: int) -> tuple[float, float]:
    """Inches: roomy panels for small grids, tighter ones for wide grids."""
    if rows == cols == 1:
        return 6.4, 4.2
    width, height = (4.8, 3.4) if cols <= 3 else (4.0, 3.0)
    return width * cols, height * rows + 0.3


def make_axes(n: int, ax: Any = None, fig: Any = None, ncols: int | None = None,
              figsize: tuple[float, float] | None = None) -> tuple[Any, list[Any]]:
    """``(figure, axes)`` with one axes per panel.

    ``ax``: an Axes or a sequence/array of Axes to draw on (at least ``n``).
    ``fig``: a Figure to clear and fill with a grid (a blank one is sized for
    the grid). Neither: a new pyplot figure.
    """
    if ax is not None and fig is not None:
        raise ValueError("Pass ax= (axes to draw on) or fig= (a figure to fill), not both.")
    if ax is not None:
        axes = _flat_axes(ax)
        if len(axes) < n:
            raise ValueError(f"ax= holds {len(axes)} axes but there are {n} panels to draw; "
                             f"pass {n} axes, or choose panels with metrics=[...].")
        return axes[0].figure, axes[:n]
    rows, cols = grid_shape(n, ncols)
    if fig is None:
        import matplotlib.pyplot as plt

        fig = plt.figure(figsize=figsize or figure_size(rows, cols), layout="constrained")
    else:
        if figsize is None and not fig.axes:
            figsize = figure_size(rows, cols)
        fig.clear()
        fig.set_layout_engine("constrained")
        if figsize is not None:
            fig.set_size_inches(*figsize)
    grid = fig.subplots(rows, cols, squeeze=False).ravel().tolist()
    for spare in grid[n:]:
        spare.remove()
    return fig, grid[:n]


def _flat_axes(ax: Any) -> list[Any]:
    if hasattr(ax, "plot"):
        return [ax]
    flat = getattr(ax, "ravel", None)
    items = flat().tolist() if flat is not None else list(ax)
    if not items or not all(hasattr(a, "plot") for a in items):
        raise TypeError(f"ax= must be a matplotlib Axes or a sequence of Axes; "
                        f"received {type(ax).__name__}.")
    return items
