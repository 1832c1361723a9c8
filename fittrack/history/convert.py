"""Align a Keras ``History.history`` dict with the epochs it was logged at.

Keras appends a key's value only at the epochs where it was logged, so a list
can be shorter than the epoch list: with ``validation_freq=2`` the ``val_*``
lists have one value every second epoch. A list as long as the epochs aligns
one to one. A shorter list of length ``m``, with ``E`` epochs and
``s = E // m > 1``, goes to the epochs ``e`` with ``(e + 1) % s == 0`` when
there are exactly ``m`` of them (Keras' ``validation_freq`` rule), with a
warning when another ``validation_freq`` would also give ``m`` values (8 epochs,
2 values: 3 or 4); otherwise to the first ``m`` epochs.

Example:
    >>> epochs, columns = epoch_columns({"loss": [4, 3, 2, 1], "val_loss": [3.5, 1.5]})
    >>> epochs, columns["val_loss"][1].tolist()
    ([0, 1, 2, 3], [False, True, False, True])
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from fittrack.history.columns import Table
from fittrack.history.csv_read import EPOCH_INDEX
from fittrack.history.keys import check_key
from fittrack.notices import FittrackWarning


def aligned_positions(length: int, epochs: Sequence[int], key: str | None = None
                      ) -> list[int]:
    """Positions in ``epochs`` where the ``length`` values of one key go.

    Example:
        >>> aligned_positions(2, [0, 1, 2, 3, 4])  # validation_freq=2
        [1, 3]
        >>> aligned_positions(2, [0, 1, 2])  # no rule fits: the first epochs
        [0, 1]
    """
    n_epochs = len(epochs)
    if length > n_epochs:
        raise ValueError(f"a history list has {length} values but there are only {n_epochs} "
                         f"epochs; pass epochs= with one epoch per value of the longest list.")
    if length == n_epochs:
        return list(range(n_epochs))
    step = n_epochs // length if length else 0
    if step > 1:
        every = _every(step, epochs)
        if len(every) == length:
            others = {f: p for f in range(2, n_epochs + 1)
                      if len(p := _every(f, epochs)) == length and p != every}
            if others:
                _warn_ambiguous(key, length, epochs, step, every, others)
            return every
    return list(range(length))


def _every(freq: int, epochs: Sequence[int]) -> list[int]:
    """Positions of the epochs Keras validates at with ``validation_freq=freq``."""
    return [i for i, epoch in enumerate(epochs) if (epoch + 1) % freq == 0]


def _warn_ambiguous(key: str | None, length: int, epochs: Sequence[int], step: int,
                    chosen: list[int], others: dict[int, list[int]]) -> None:
    def at(positions: list[int]) -> str:
        return ", ".join(str(epochs[i]) for i in positions)

    fits = "; ".join(f"validation_freq={f}: epochs {at(p)}" for f, p in sorted(others.items()))
    warnings.warn(
        f"The {length} values of {key or 'a history list'!r} over {len(epochs)} epochs fit "
        f"more than one validation_freq ({fits}); they are placed at epochs {at(chosen)} "
        f"(validation_freq={step}), which may not be where they were logged. Keras' "
        f"History does not record it: to be sure of the epochs, record the run with "
        f"fittrack's MetricsCallback or Keras' CSVLogger, which write each epoch's number.",
        FittrackWarning, stacklevel=4)


def _as_list(key: str, values: Any) -> list[float]:
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != 1:
        raise ValueError(f"history[{key!r}] must be a list of numbers (one per logged epoch); "
                         f"received an array of shape {array.shape}.")
    return array.tolist()


def epoch_columns(history: Mapping[str, Sequence[float]], epochs: Sequence[int] | None = None
                  ) -> tuple[list[int], dict[str, tuple[np.ndarray, np.ndarray]]]:
    """The epochs and, per key, ``(values, present)`` arrays over those epochs."""
    lists = {str(key): _as_list(str(key), values) for key, values in history.items()}
    if epochs is None:
        epochs = list(range(max(map(len, lists.values()), default=0)))
    epochs = [int(epoch) for epoch in epochs]
    columns = {}
    for key, values in lists.items():
        positions = aligned_positions(len(values), epochs, key)
        full = np.full(len(epochs), np.nan)
        present = np.zeros(len(epochs), dtype=bool)
        full[positions] = values
        present[positions] = True
        columns[key] = (full, present)
    return epochs, columns


def epoch_table(history: Mapping[str, Sequence[float]], epochs: Sequence[int] | None = None
                ) -> Table:
    """The epoch table of a ``History.history`` dict (keys checked by the grammar)."""
    epoch_list, columns = epoch_columns(history, epochs)
    for key in columns:
        check_key(key)
    return Table.from_arrays(EPOCH_INDEX, np.array(epoch_list, dtype=np.int64), columns)
