"""Which way is better for a key, when the metric did not say.

The callback records every metric's direction in the store
(:meth:`MetricHistory.set_greater_is_better`). A history loaded from a CSV
file or a Keras ``History`` has no such record; for those, keys naming a
loss or an error are lower-is-better and the others higher-is-better.

Example:
    >>> guess_greater_is_better("val_loss"), guess_greater_is_better("val_auc")
    (False, True)
    >>> guess_greater_is_better("mean_squared_error"), guess_greater_is_better("cosine")
    (False, False)
    >>> best_position([0.3, float("nan"), 0.1, 0.1], greater=False)
    2
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

#: Substrings of lower-is-better keys (losses, errors, Keras' short error names).
LOWER_IS_BETTER = ("loss", "error", "crossentropy", "mse", "mae", "mape", "msle", "hinge",
                   "poisson", "divergence", "logcosh", "huber", "cosine_proximity")


def guess_greater_is_better(key: str) -> bool:
    """False for keys that name a loss or an error, True otherwise."""
    base = key[4:] if key.startswith("val_") else key
    base = base.lower()
    if base == "cosine" or base.endswith("_cosine"):  # Keras 2 name: minus the cosine similarity
        return False
    return not any(marker in base for marker in LOWER_IS_BETTER)


def best_position(values: Sequence[float], greater: bool) -> int | None:
    """Index of the first best finite value, or None if no value is finite."""
    array = np.asarray(values, dtype=np.float64)
    finite = np.isfinite(array)
    if not finite.any():
        return None
    masked = np.where(finite, array, -np.inf if greater else np.inf)
    return int(np.argmax(masked) if greater else np.argmin(masked))
