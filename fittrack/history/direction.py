"""Kept for older imports: directions now live in :mod:`fittrack.history.keys`.

Example:
    >>> best_position([0.3, 0.1], greater=True), guess_greater_is_better("val_loss")
    (0, False)
"""

from __future__ import annotations

from fittrack.history.keys import best_position
from fittrack.history.keys import key_direction as guess_greater_is_better

__all__ = ["best_position", "guess_greater_is_better"]
