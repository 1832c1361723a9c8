"""Colours and line styles: one colour family per panel (or per run), one style per role.

Validation is the curve to read (model selection uses it): the panel's
colour, solid. Training: a lighter shade of the same colour, dashed. Keras'
running values: a thin dotted grey-tinted shade. Per-batch points: small and
faint, in the colour of their role. When runs are compared (``compare=True``)
the family is the run's and every role of a run has the run's one colour;
the line style alone tells training (dashed) from validation (solid).

Example:
    >>> line_style("val", 0, n_points=10)["linestyle"], line_style("train", 0, 10)["linestyle"]
    ('-', '--')
    >>> role_colour("train", 1) != role_colour("val", 1) == role_colour("train", 1, compare=True)
    True
    >>> ROLE_LABELS["val"]
    'validation'
"""

from __future__ import annotations

from typing import Any

#: matplotlib's tab10, one per panel (cycled).
FAMILIES = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e",
            "#17becf", "#8c564b", "#e377c2", "#bcbd22", "#7f7f7f")

ROLE_LABELS = {
    "train": "training",
    "val": "validation",
    "train_running": "training, Keras running avg",
    "val_running": "validation, Keras",
}

#: Draw markers on curves with at most this many points.
MARKER_LIMIT = 40


def _mix(colour: str, other: str, amount: float) -> str:
    """``colour`` moved ``amount`` (0..1) of the way to ``other``, as #rrggbb."""
    a = [int(colour[i:i + 2], 16) for i in (1, 3, 5)]
    b = [int(other[i:i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(x + (y - x) * amount):02x}" for x, y in zip(a, b))


def role_colour(role: str, family: int, compare: bool = False) -> str:
    """The colour of ``role`` in colour family ``family`` (a run's one colour when comparing)."""
    base = FAMILIES[family % len(FAMILIES)]
    if compare:
        return base
    if role == "train":
        return _mix(base, "#ffffff", 0.35)
    if role.endswith("running"):
        return _mix(base, "#555555", 0.45)
    return base


def line_style(role: str, family: int, n_points: int, compare: bool = False) -> dict[str, Any]:
    """``Axes.plot`` keyword arguments for one curve."""
    markers = n_points <= MARKER_LIMIT
    colour = role_colour(role, family, compare)
    if role == "val":
        return dict(color=colour, linestyle="-", linewidth=2.0, zorder=3,
                    marker="o" if markers else None, markersize=4)
    if role == "train":
        return dict(color=colour, linestyle="--", linewidth=1.8, zorder=2,
                    marker="s" if markers else None, markersize=3.5)
    return dict(color=colour, linestyle=":", linewidth=1.3, zorder=1)


def raw_style(role: str, family: int, compare: bool = False) -> dict[str, Any]:
    """The unsmoothed curve behind a smoothed one: thin and faint."""
    return dict(color=role_colour(role, family, compare), linewidth=0.8, alpha=0.3, zorder=1)


def batch_point_style(role: str, family: int, compare: bool = False) -> dict[str, Any]:
    """``Axes.scatter`` keyword arguments for per-batch points under an epoch curve."""
    return dict(color=role_colour(role, family, compare), s=9, alpha=0.45, linewidths=0,
                zorder=1)


BEST_STYLE: dict[str, Any] = dict(marker="*", markersize=15, markeredgecolor="black",
                                  markeredgewidth=0.7, linestyle="none", zorder=6)
