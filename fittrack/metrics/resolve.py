"""Turn whatever a user passes in ``metrics=[...]`` into :class:`MetricSpec` objects.

Accepted: a name (built-in, Keras, Keras 2 or scikit-learn spelling), a
:class:`MetricSpec`, a ``sklearn.metrics`` function (or a ``functools.partial``
of one), a ``keras.metrics.Metric`` object or class, a ``keras.losses.Loss``
object, or any callable
``f(y_true, y_pred)``. The key is the name as given, a callable's
``__name__``, or a Keras metric's or loss's ``.name``.

Example:
    >>> [s.name for s in resolve_metrics(["acc", "mse", "cosine"])]
    ['acc', 'mse', 'cosine']
    >>> get_metric("aucc")
    Traceback (most recent call last):
    ...
    ValueError: Unknown metric 'aucc'. Did you mean: 'auc', 'acc', 'pr_auc'? ...
"""

from __future__ import annotations

import difflib
from typing import Any, Iterable

from fittrack.metrics import adapters, keras_adapter, registry
from fittrack.metrics.spec import MetricSpec


def get_metric(metric: Any) -> MetricSpec:
    """Resolve one metric identifier to a :class:`MetricSpec`.

    Raises:
        ValueError: an unknown name (the message lists close matches), or a
            lambda (which has no usable name).
        TypeError: something that is neither a name nor a callable.
    """
    if isinstance(metric, MetricSpec):
        return metric
    if isinstance(metric, str):
        return _from_name(metric)
    if adapters.is_sklearn_function(metric):
        return adapters.sklearn_spec(metric)
    if keras_adapter.is_keras_metric_class(metric):
        metric = metric()
    if keras_adapter.is_keras_metric(metric):
        return keras_adapter.keras_metric_spec(metric)
    if keras_adapter.is_keras_loss(metric):
        return keras_adapter.keras_loss_spec(metric)
    if callable(metric):
        return adapters.user_spec(metric, _callable_name(metric))
    raise TypeError(
        "Each metric must be a name (e.g. 'auc'), a callable f(y_true, y_pred), a "
        "keras.metrics.Metric or a fittrack.metrics.MetricSpec; received "
        f"{metric!r} of type {type(metric).__name__}.")


def resolve_metrics(metrics: Iterable[Any]) -> list[MetricSpec]:
    """Resolve a list of identifiers; two metrics may not share a key."""
    if isinstance(metrics, (str, bytes)) or callable(metrics):
        metrics = [metrics]
    specs = [get_metric(m) for m in metrics]
    seen: dict[str, int] = {}
    for i, spec in enumerate(specs):
        if spec.name in seen:
            raise ValueError(
                f"Two metrics would be logged under the same key {spec.name!r} "
                f"(positions {seen[spec.name]} and {i} in metrics=[...]). Remove one, "
                "or rename it with fittrack.metrics.get_metric(m).renamed('new_name').")
        seen[spec.name] = i
    return specs


def _from_name(name: str) -> MetricSpec:
    spec = registry.lookup(name)
    if spec is not None:
        return spec if spec.name == name else spec.renamed(name)
    try:
        spec = keras_adapter.from_keras_name(name)
    except ImportError:
        spec = None
    if spec is not None:
        return spec
    close = difflib.get_close_matches(name.lower(), registry.available(), n=3, cutoff=0.6)
    hint = f" Did you mean: {', '.join(repr(c) for c in close)}?" if close else ""
    raise ValueError(
        f"Unknown metric {name!r}.{hint} fittrack.metrics.available() lists every "
        "built-in name; any name keras.metrics.get() or keras.losses.get() accepts "
        "works too, and so does a callable f(y_true, y_pred).")


def _callable_name(fn: Any) -> str:
    name = getattr(adapters.underlying_function(fn), "__name__", None)
    if not name or name == "<lambda>":
        raise ValueError(
            f"The metric {fn!r} has no usable name (a lambda would be logged as "
            "'<lambda>'). Define it with def my_metric(y_true, y_pred): ..., or wrap "
            "it: fittrack.metrics.make_metric(fn, name='my_metric').")
    return name
