"""Resuming a run: which epochs a history holds, and what a new ``fit`` may do to them.

``append=True`` with ``fit(..., initial_epoch=k)`` continues a history (and
its CSV files). Finished epochs are never dropped silently: a history that
holds epochs ``>= k`` is refused before the first batch, unless
``append="replace"`` says to replace them; a gap (``k`` after the last epoch
plus one) gets a warning. Batch rows of epochs ``>= k`` belong to an epoch
that did not finish (an interrupted ``fit``), or to the epochs replaced: they
are dropped, and recorded again by the new run.

Example:
    >>> print(conflict("run.csv", [0, 1, 2], 0))  # doctest: +ELLIPSIS
    csv_path='run.csv' already holds epochs 0-2, and this fit starts at initial_epoch=0, ...
"""

from __future__ import annotations

import warnings
from typing import Any

from fittrack.notices import FittrackWarning

APPEND_CHOICES = (True, False, "replace")


def holder(csv_path: Any) -> str:
    """How messages name the history: its file, or the callback's own history."""
    return f"csv_path={str(csv_path)!r}" if csv_path is not None else "this callback's history"


def conflict(csv_path: Any, epochs: list[int], initial_epoch: int) -> str:
    """The message for a resumed run that would replace finished epochs."""
    first, last = min(epochs), max(epochs)
    return (f"{holder(csv_path)} already holds epochs {first}-{last}, and this fit starts at "
            f"initial_epoch={initial_epoch}, so epochs >= {initial_epoch} would be replaced. "
            f"Choose one: fit(..., initial_epoch={last + 1}) to continue after them; "
            f"MetricsCallback(..., append='replace') to replace the epochs >= {initial_epoch}; "
            "or append=False to start a new history (and file).")


def resume(history: Any, epoch: int, append: Any, csv_path: Any) -> None:
    """Make ``history`` ready for a ``fit`` starting at ``epoch`` (or raise ValueError)."""
    held = [e for e in history.epoch if e >= epoch]
    if held and append != "replace":
        raise ValueError(conflict(csv_path, history.epoch, epoch))
    history.truncate(epoch)
    last = max(history.epoch, default=-1)
    if append and last + 1 < epoch:
        warnings.warn(f"{holder(csv_path)} ends at epoch {last} and this fit starts at "
                      f"initial_epoch={epoch}: epochs {last + 1}-{epoch - 1} will have no rows.",
                      FittrackWarning, stacklevel=4)


def steps_before(history: Any, initial_epoch: int, append: Any, steps_per_epoch: Any,
                 counted: tuple[int, int] | None, batch_level: bool) -> int:
    """Training batches run before a ``fit`` that starts at ``initial_epoch``: 0 for a new
    run; ``initial_epoch * steps_per_epoch`` when Keras knows the epoch's length;
    otherwise the batches this callback counted in its previous ``fit`` (``counted``:
    ``(last epoch, steps)``) when that fit ended just before; otherwise (a run resumed
    from its files, with no known epoch length) the last step recorded, with a warning
    when batch rows are numbered from it."""
    if not append or initial_epoch == 0:
        return 0
    if steps_per_epoch:
        return initial_epoch * int(steps_per_epoch)
    if counted is not None and counted[0] == initial_epoch - 1:
        return counted[1]
    last = history.last_step or 0
    if batch_level and last:
        warnings.warn(
            f"Keras does not know how many batches an epoch of this training data has, and "
            f"this callback did not count the epochs before initial_epoch={initial_epoch}: "
            f"batch steps continue from the last step recorded ({last}), which can be fewer "
            "than the batches run. Pass steps_per_epoch to fit for exact step numbers.",
            FittrackWarning, stacklevel=3)
    return last
