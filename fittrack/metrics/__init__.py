"""Metrics in pure NumPy: the registry, name resolution and metric functions.

Example:
    >>> import numpy as np
    >>> from fittrack.metrics import evaluate, resolve_metrics
    >>> y = np.array([0, 1, 1, 0])
    >>> p = np.array([[0.1], [0.8], [0.3], [0.4]])
    >>> evaluate(resolve_metrics(["accuracy", "auc", "f1"]), y, p)
    {'accuracy': 0.75, 'auc': 0.75, 'f1': 0.6666666666666666}
"""

from fittrack.metrics.common import UndefinedMetricWarning
from fittrack.metrics.context import EvalContext, Problem
from fittrack.metrics.evaluate import (
                                       MetricError,
                                       NonFinitePredictionWarning,
                                       NonFiniteTargetWarning,
                                       evaluate,
)
from fittrack.metrics.registry import available, describe
from fittrack.metrics.resolve import get_metric, make_metric, resolve_metrics
from fittrack.metrics.spec import MetricSpec

__all__ = [
    "EvalContext",
    "MetricError",
    "MetricSpec",
    "NonFinitePredictionWarning",
    "NonFiniteTargetWarning",
    "Problem",
    "UndefinedMetricWarning",
    "available",
    "describe",
    "evaluate",
    "get_metric",
    "make_metric",
    "resolve_metrics",
]
