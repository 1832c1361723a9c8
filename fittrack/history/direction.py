"""Which way is better for a key, when the metric did not say.

The callback records every metric's direction in the store
(:meth:`MetricHistory.set_greater_is_better`). A history loaded from a CSV
file or a Keras ``History`` has no such record; for those, keys naming a
loss or an error are lower-is-better and the others higher-is-better; the
metric registry answers for the names it knows.

Example:
    >>> guess_greater_is_better("val_loss"), guess_greater_is_better("val_auc")
    (False, True)
    >>> guess_greater_is_better("mean_squared_error"), guess_greater_is_better("cosine")
    (False, False)
    >>> guess_greater_is_better("val_out_a_rmse"), guess_greater_is_better("val_cls_auc_keras")
    (False, True)
    >>> best_position([0.3, float("nan"), 0.1, 0.1], greater=False)
    2
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

def guess_greater_is_better(key: str) -> bool:
    """The registered metric's direction for ``key``, else a guess from its name.

    ``val_`` and a trailing ``_keras`` are ignored, and an output prefix is
    peeled off word by word (``val_cls_auc`` -> ``auc``) until a registered
    name is found; unregistered names follow
    :func:`fittrack.metrics.naming.lower_is_better` (losses, errors and their
    short names are lower-is-better).
    """
    from fittrack.metrics.naming import lower_is_better
    from fittrack.metrics.registry import lookup

    base = key[4:] if key.startswith("val_") else key
    base = base[: -len("_keras")] if base.endswith("_keras") else base
    words = base.split("_")
    for i in range(len(words)):
        spec = lookup("_".join(words[i:]))
        if spec is not None:
            return spec.greater_is_better
    return not lower_is_better(base)


def best_position(values: Sequence[float], greater: bool) -> int | None:
    """Index of the first best finite value, or None if no value is finite."""
    array = np.asarray(values, dtype=np.float64)
    finite = np.isfinite(array)
    if not finite.any():
        return None
    masked = np.where(finite, array, -np.inf if greater else np.inf)
    return int(np.argmax(masked) if greater else np.argmin(masked))
