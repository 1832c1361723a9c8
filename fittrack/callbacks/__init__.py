"""The Keras edge: the callback's hooks, its schedule and the inference path."""

from fittrack.callbacks.metrics_callback import MetricsCallback

__all__ = ["MetricsCallback"]
