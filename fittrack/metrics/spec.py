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

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np

from fittrack.metrics.context import EvalContext, Problem

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
        threshold: the decision threshold of a label-based binary metric
            (None: 0.5); see :meth:`at_threshold`.

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
    greater_is_better: bool | None = True
    input: InputKind = "values"
    description: str = ""
    stateful: bool = field(default=False, compare=False)
    threshold: float | None = None

    def __call__(self, y_true: Any, y_pred: Any, sample_weight: Any = None, *,
                 problem: Problem | None = None) -> Any:
        """Compute the metric on arrays (a fresh :class:`EvalContext`)."""
        ctx = EvalContext(y_true, y_pred, sample_weight, problem=problem)
        return as_result(self.compute(self.context_for(ctx)))

    def context_for(self, ctx: EvalContext) -> EvalContext:
        """``ctx`` at this metric's decision threshold."""
        return ctx if self.threshold is None else ctx.at_threshold(self.threshold)

    def renamed(self, name: str) -> MetricSpec:
        """The same metric logged under another key."""
        return replace(self, name=name)

    def at_threshold(self, threshold: float, name: str | None = None) -> MetricSpec:
        """The same label-based metric deciding ``positive`` at ``score > threshold``.

        Binary and multi-label outputs only (a multi-class output decides by the
        arg-max). The key defaults to ``<name>_at_<threshold>``.

        Example:
            >>> from fittrack.metrics import get_metric
            >>> f1_30 = get_metric("f1").at_threshold(0.3)
            >>> f1_30.name, f1_30([0, 1, 1], [[0.2], [0.35], [0.9]])
            ('f1_at_0.3', 1.0)
        """
        if self.input != "labels":
            raise ValueError(
                f"{self.name!r} does not decide labels (it reads {self.input}), so it has "
                "no decision threshold; at_threshold() is for label-based metrics such as "
                "'f1', 'precision', 'recall', 'accuracy'.")
        if not 0.0 < float(threshold) < 1.0:
            raise ValueError(f"threshold must be a probability strictly between 0 and 1; "
                             f"received {threshold!r}.")
        return replace(self, name=name or f"{self.name}_at_{float(threshold):g}",
                       threshold=float(threshold))


def as_result(value: Any) -> float | np.ndarray:
    """A float for a scalar or one-element result, a 1-D float64 array for a vector.

    A one-element vector (Keras' ``FBetaScore()`` on a one-unit output returns
    shape ``(1,)``) is a scalar, so it is logged under the name as given. An
    empty or complex result is an error: it would be lost or changed silently.
    """
    arr = np.asarray(value)
    if arr.dtype.kind == "c":
        raise TypeError(f"the metric returned a complex value ({arr.dtype}); return real "
                        "numbers (take .real or abs() yourself if that is what you mean).")
    if arr.size == 0:
        raise ValueError(f"the metric returned an empty array (shape {arr.shape}); return "
                         "a number, or one number per element for a vector metric.")
    arr = arr.astype(np.float64)
    if arr.size == 1:
        return float(arr.reshape(()))
    return arr.reshape(-1)
