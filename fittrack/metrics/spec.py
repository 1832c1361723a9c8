"""A metric: a pure function of ``(y_true, y_pred, sample_weight)`` plus metadata.

Every metric fittrack computes, built in or wrapped from a user's callable, is a
:class:`MetricSpec`. The function itself works on an :class:`EvalContext`, so
that quantities several metrics need (predicted labels, confusion counts,
sorted scores) are computed once per evaluation; calling the spec directly
builds a context for you.

Example:
    >>> import numpy as np
    >>> from fittrack.metrics import get_metric
    >>> auc = get_metric("auc")
    >>> auc(np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.35, 0.8]))
    0.75
    >>> auc.greater_is_better, auc.input
    (True, 'scores')
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Literal

import numpy as np

from fittrack.metrics.context import EvalContext

InputKind = Literal["scores", "labels", "values"]


@dataclass(frozen=True)
class MetricSpec:
    """A metric function with the metadata fittrack needs.

    Args:
        name: the key the metric is logged under (``val_`` is prefixed for
            the validation data).
        compute: ``compute(ctx: EvalContext) -> float | np.ndarray``.
        greater_is_better: whether a larger value is a better model; read by
            the best-epoch marks and monitoring helpers.
        input: what the metric looks at: ``"scores"`` (probabilities),
            ``"labels"`` (thresholded / arg-maxed predictions) or
            ``"values"`` (raw outputs, regression and losses).
        description: one line for ``fittrack.metrics.describe()``.
        stateful: True for wrapped objects that keep state between calls
            (Keras metric objects); they are evaluated in one pass each time.

    Example:
        >>> import numpy as np
        >>> from fittrack.metrics import MetricSpec
        >>> def worst_error(ctx):
        ...     return float(np.max(np.abs(ctx.y_true - ctx.y_pred)))
        >>> spec = MetricSpec("worst_error", worst_error, greater_is_better=False)
        >>> spec(np.array([1.0, 2.0]), np.array([1.5, 2.0]))
        0.5
    """

    name: str
    compute: Callable[[EvalContext], Any]
    greater_is_better: bool = True
    input: InputKind = "values"
    description: str = ""
    stateful: bool = field(default=False, compare=False)

    def __call__(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> Any:
        """Compute the metric on arrays (a fresh :class:`EvalContext`)."""
        ctx = EvalContext(y_true, y_pred, sample_weight)
        return _as_result(self.compute(ctx))

    def renamed(self, name: str) -> "MetricSpec":
        """The same metric logged under another key."""
        return MetricSpec(
            name,
            self.compute,
            self.greater_is_better,
            self.input,
            self.description,
            self.stateful,
        )


def _as_result(value: Any) -> float | np.ndarray:
    """A float for a scalar or one-element result, a 1-D float64 array for a vector.

    A one-element vector (Keras' ``FBetaScore()`` on a one-unit output returns
    shape ``(1,)``) is a scalar, so it is logged under the name as given.
    """
    arr = np.asarray(value, dtype=np.float64)
    if arr.size == 1:
        return float(arr.reshape(()))
    return arr.reshape(-1)
