"""``plot_curves``: the ROC curve, the PR curve and the confusion matrix of one epoch.

The curves come from a :class:`~fittrack.history.curve_store.CurveStore`:
the store itself, anything with a ``.curves`` store (a ``MetricHistory`` of a
run with ``MetricsCallback(curves=True)``, or the callback), or the path of
the run's CSV (its ``<name>.curves.npz`` file beside it) or of the curves
file. One panel per kind: ROC with the chance diagonal and the AUC in the
legend; PR with the average precision (and, for a binary problem, the
positive rate as the chance line); the confusion matrix annotated with counts
and row percentages. Multi-class curves are one-vs-rest, one line per class.

Example:
    >>> import numpy as np
    >>> from fittrack.history.curve_store import CurveStore
    >>> from fittrack.metrics.curve_points import curves_for
    >>> store = CurveStore()
    >>> y, p = np.array([0, 0, 1, 1, 0, 1]), np.array([0.1, 0.6, 0.7, 0.9, 0.3, 0.4])
    >>> store.add_curves(0, "val", curves_for(y, p))
    >>> fig = plot_curves(store)
    >>> [ax.get_title() for ax in fig.axes]
    ['ROC curve', 'precision-recall curve', 'confusion matrix']
    >>> fig.axes[0].get_legend().get_texts()[0].get_text()
    'AUC 0.889'
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from fittrack.history.curve_store import CurveStore, curves_path, resolve_epoch
from fittrack.metrics.thinning import average_precision_of, roc_auc_of
from fittrack.plots.layout import make_axes
from fittrack.plots.style import FAMILIES

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

TITLES = {"roc": "ROC curve", "pr": "precision-recall curve", "confusion": "confusion matrix"}
DATASETS = {"val": "validation", "train": "training"}
#: Confusion matrices up to this many classes get a number in each cell.
ANNOTATE_LIMIT = 20


def plot_curves(source: Any, kinds: str | Sequence[str] | None = None,
                epoch: int | str | None = "last", dataset: str = "val",
                ax: Axes | Sequence[Axes] | None = None, *, output: str | None = None,
                figsize: tuple[float, float] | None = None, fig: Figure | None = None) -> Figure:
    """Draw one evaluation's curves, one panel per kind, and return the figure.

    Args:
        source: a ``CurveStore``, an object with a ``.curves`` store (a
            ``MetricHistory``, a ``MetricsCallback``), or the path of the run's
            CSV file or of its ``.curves.npz`` file.
        kinds: ``"roc"``, ``"pr"``, ``"confusion"`` or a list of them; default:
            every kind the store holds, in that order.
        epoch: ``"last"`` (or None), an epoch number, or ``"best:<key>"`` (the
            best epoch of a key, e.g. ``"best:val_auc"``; needs the history:
            a ``MetricHistory`` or the CSV path).
        dataset: ``"val"`` or ``"train"``.
        ax: an Axes, or a sequence of Axes (one per kind), to draw on.
        output: the model output's name (multi-output models).
        figsize: figure size in inches (default: about 4.5 inches per panel).
        fig: a Figure to clear and draw on (instead of a new pyplot figure).

    Returns:
        The matplotlib ``Figure`` (nothing is shown).

    Raises:
        KeyError: the store has no such curve (the message says what it has).
        ValueError, TypeError, FileNotFoundError: a bad ``epoch``, ``kinds`` or ``source``.
    """
    store, best_epoch = curve_source(source)
    number = resolve_epoch(epoch, best_epoch)
    kinds = _kinds(store, kinds)
    records = [store.get(kind, dataset, number, output) for kind in kinds]  # fails before drawing
    shown = number if number is not None else store.last_epoch(kinds[0], dataset, output)
    figure, axes = make_axes(len(kinds), ax=ax, fig=fig, ncols=len(kinds),
                             figsize=figsize or (4.6 * len(kinds), 4.6))
    for kind, record, axis in zip(kinds, records, axes):
        {"roc": draw_roc, "pr": draw_pr, "confusion": draw_confusion}[kind](axis, record)
    if ax is None:
        where = f"{DATASETS.get(dataset, dataset)} data, epoch {shown}"
        if isinstance(epoch, str) and epoch.startswith("best:"):
            where += f" (best {epoch[5:]})"
        figure.suptitle(where + (f", output {output!r}" if output else ""), fontweight="bold")
    return figure


def curve_source(source: Any) -> tuple[CurveStore, Callable[[str], int] | None]:
    """The curve store behind ``source``, and its run's best-epoch function (if known)."""
    if isinstance(source, CurveStore):
        return source, None
    if isinstance(source, (str, os.PathLike)):
        return _from_path(Path(source))
    for holder in (source, getattr(source, "history", None)):
        store = getattr(holder, "curves", None)
        if isinstance(store, CurveStore):
            best = getattr(holder, "best", None)
            return store, (lambda key, best=best: best(key)[0]) if callable(best) else None
    raise TypeError(f"Cannot draw curves from a {type(source).__name__}: expected a "
                    f"CurveStore, a MetricHistory of a run with MetricsCallback(curves=True), "
                    f"or the path of its CSV (with its .curves.npz file beside it).")


def _from_path(path: Path) -> tuple[CurveStore, Callable[[str], int] | None]:
    if path.name.endswith(".curves.npz"):
        npz, csv = path, path.with_name(path.name[: -len(".curves.npz")] + ".csv")
    else:
        npz, csv = curves_path(path), path
        if not npz.is_file():
            raise FileNotFoundError(f"{str(path)!r} has no curves file {str(npz)!r} beside "
                                    f"it; a run writes one with MetricsCallback(csv_path=..., "
                                    f"curves=True).")
    store = CurveStore.load(npz)
    if not csv.is_file():
        return store, None
    from fittrack.history import load_history

    return store, lambda key: load_history(csv).best(key)[0]


def _kinds(store: CurveStore, kinds: str | Sequence[str] | None) -> list[str]:
    if kinds is None:
        held = store.kinds()
        if not held:
            raise KeyError(f"The curve store is empty ({store!r}); curves are kept with "
                           f"MetricsCallback(curves=True).")
        return held
    chosen = [kinds] if isinstance(kinds, str) else list(kinds)
    unknown = [kind for kind in chosen if kind not in TITLES]
    if unknown or not chosen:
        raise ValueError(f"kinds must be some of {list(TITLES)}; received {kinds!r}.")
    return chosen


def _per_class(record: dict[str, np.ndarray]) -> list[tuple[int, dict[str, np.ndarray]]]:
    classes = record["class"]
    return [(int(c), {name: a[classes == c] for name, a in record.items()})
            for c in np.unique(classes)]


def _class_styles(n: int) -> list[dict[str, Any]]:
    colours = FAMILIES if n <= len(FAMILIES) else None
    return [dict(color=colours[i] if colours else None, linewidth=2.0 if n <= 3 else 1.4)
            for i in range(n)]


def draw_roc(ax: Any, record: dict[str, np.ndarray]) -> None:
    """ROC curves (one per class), the chance diagonal, the AUC in the legend."""
    curves = _per_class(record)
    aucs = []
    for (label, curve), look in zip(curves, _class_styles(len(curves))):
        aucs.append(roc_auc_of(curve))
        name = f"AUC {aucs[-1]:.3f}" if len(curves) == 1 else f"class {label} (AUC {aucs[-1]:.3f})"
        ax.plot(curve["fpr"], curve["tpr"], label=name, **look)
    ax.plot([0, 1], [0, 1], color="#999999", linestyle="--", linewidth=1, zorder=0,
            label="chance (AUC 0.5)")
    title = TITLES["roc"] + (f" (macro AUC {np.nanmean(aucs):.3f})" if len(curves) > 1 else "")
    _finish(ax, title, "false positive rate", "true positive rate", len(curves))
    ax.set_aspect("equal")


def draw_pr(ax: Any, record: dict[str, np.ndarray]) -> None:
    """PR curves (one per class, step-wise), the average precision in the legend."""
    curves = _per_class(record)
    aps = []
    for (label, curve), look in zip(curves, _class_styles(len(curves))):
        aps.append(average_precision_of(curve))
        name = f"AP {aps[-1]:.3f}" if len(curves) == 1 else f"class {label} (AP {aps[-1]:.3f})"
        ax.plot(curve["recall"], curve["precision"], drawstyle="steps-post", label=name, **look)
    if len(curves) == 1:  # at the lowest threshold every row is predicted positive
        rate = float(curves[0][1]["precision"][0])
        ax.axhline(rate, color="#999999", linestyle="--", linewidth=1, zorder=0,
                   label=f"chance (positive rate {rate:.3f})")
    title = TITLES["pr"] + (f" (mean AP {np.nanmean(aps):.3f})" if len(curves) > 1 else "")
    _finish(ax, title, "recall", "precision", len(curves))
    ax.set_aspect("equal")


def draw_confusion(ax: Any, record: dict[str, np.ndarray]) -> None:
    """The matrix (rows: true class, columns: predicted), shaded by row share, annotated."""
    matrix, labels = np.asarray(record["matrix"]), np.asarray(record["labels"])
    totals = matrix.sum(axis=1, keepdims=True)
    share = np.divide(matrix, totals, out=np.zeros(matrix.shape), where=totals > 0)
    ax.imshow(share, cmap="Blues", vmin=0, vmax=1)
    n = len(labels)
    if n <= ANNOTATE_LIMIT:
        integer = np.allclose(matrix, np.round(matrix))
        for (i, j), count in np.ndenumerate(matrix):
            text = f"{round(count)}" if integer else f"{count:.3g}"
            ax.text(j, i, f"{text}\n{share[i, j]:.0%}", ha="center", va="center",
                    fontsize="small" if n <= 6 else "x-small",
                    color="white" if share[i, j] > 0.55 else "#222222")
    ticks = np.arange(n) if n <= ANNOTATE_LIMIT else np.linspace(0, n - 1, 10).astype(int)
    ax.set_xticks(ticks, [str(labels[t]) for t in ticks])
    ax.set_yticks(ticks, [str(labels[t]) for t in ticks])
    ax.set_title(TITLES["confusion"], fontsize="medium", fontweight="bold")
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class (colour: share of the row)", fontsize="small")


def _finish(ax: Any, title: str, xlabel: str, ylabel: str, n_curves: int) -> None:
    ax.set_title(title, fontsize="medium", fontweight="bold")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_xlim(-0.01, 1.01)
    ax.set_ylim(-0.01, 1.01)
    ax.grid(True, color="#e5e5e5", linewidth=0.7)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    if n_curves <= 12:
        ax.legend(fontsize="small" if n_curves <= 3 else "x-small", loc="lower right"
                  if xlabel != "recall" else "lower left", framealpha=0.85)
