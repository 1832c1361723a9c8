"""fittrack: exact whole-dataset metrics for Keras 3 training runs.

Example:
    >>> import fittrack
    >>> {"MetricsCallback", "MetricHistory", "plot_history"} <= set(fittrack.__all__)
    True

``MetricsCallback`` imports Keras when first used; the store, the CSV readers
and the plots do not, so ``fittrack plot`` and ``fittrack summary`` start fast.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

__all__ = [
    "MetricHistory",
    "MetricsCallback",
    "__version__",
    "load_history",
    "plot_curves",
    "plot_history",
]

_LAZY = {
    "MetricsCallback": "fittrack.callbacks",
    "MetricHistory": "fittrack.history",
    "load_history": "fittrack.history",
    "plot_history": "fittrack.plots",
    "plot_curves": "fittrack.plots",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'fittrack' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
