"""Turn whatever a user passes in ``metrics=[...]`` into :class:`MetricSpec` objects.

Accepted: a name (built-in, Keras, Keras 2 or scikit-learn spelling), a
:class:`MetricSpec`, a ``sklearn.metrics`` function (or a ``functools.partial``
of one), a ``keras.metrics.Metric`` object or class, a ``keras.losses.Loss``
object, or any callable ``f(y_true, y_pred)``. The key is the name as given,
a callable's ``__name__``, or a Keras metric's or loss's ``.name``.
:func:`make_metric` is the same resolution with a name, a direction or a
decision threshold given.

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
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Any

from fittrack.metrics import adapters, keras_adapter, registry
from fittrack.metrics.spec import MetricSpec

#: columns of the history files: a metric cannot be logged under these names
RESERVED = frozenset({"epoch", "step", "batch"})
#: first characters that make a spreadsheet read a header cell as a formula
FORMULA_START = ("=", "+", "-", "@")


def get_metric(metric: Any, name: str | None = None) -> MetricSpec:
    """Resolve one metric identifier to a :class:`MetricSpec` (logged as ``name`` if given).

    Raises:
        ValueError: an unknown name (the message lists close matches), or a
            lambda without ``name`` (it has no usable name).
        TypeError: something that is neither a name nor a callable.
    """
    if isinstance(metric, MetricSpec):
        return metric if name is None else metric.renamed(name)
    if isinstance(metric, str):
        spec = _from_name(metric)
        return spec if name is None else spec.renamed(name)
    if adapters.is_sklearn_function(metric):
        return adapters.sklearn_spec(metric, name)
    if keras_adapter.is_keras_metric_class(metric):
        metric = metric()
    if keras_adapter.is_keras_metric(metric):
        return keras_adapter.keras_metric_spec(metric, name)
    if keras_adapter.is_keras_loss(metric):
        return keras_adapter.keras_loss_spec(metric, name)
    if callable(metric):
        return adapters.user_spec(metric, name or _callable_name(metric))
    raise TypeError(
        "Each metric must be a name (e.g. 'auc'), a callable f(y_true, y_pred), a "
        "keras.metrics.Metric or a fittrack.metrics.MetricSpec; received "
        f"{metric!r} of type {type(metric).__name__}.")


def make_metric(fn: Callable | str, *, name: str | None = None,
                greater_is_better: bool | None = None,
                threshold: float | None = None) -> MetricSpec:
    """Give a metric a name, a direction, or a decision threshold.

    ``fn`` is anything :func:`get_metric` takes: a user function
    ``f(y_true, y_pred)``, a ``sklearn.metrics`` function, a Keras metric or
    loss object, or a name. ``greater_is_better`` declares the direction of a
    user function (otherwise unknown: no monitor mode and no best-epoch mark is
    guessed for it). ``threshold`` sets the decision threshold of a label-based
    binary metric (``f1``, ``precision``, ``recall``, ``accuracy``...); its key
    is then ``<name>_at_<threshold>`` unless ``name`` is given.

    >>> import numpy as np
    >>> def worst(y_true, y_pred):
    ...     return np.max(np.abs(y_true - y_pred))
    >>> spec = make_metric(worst, name="worst_error", greater_is_better=False)
    >>> spec.name, spec.greater_is_better
    ('worst_error', False)
    >>> make_metric("f1", threshold=0.3).name
    'f1_at_0.3'
    """
    spec = get_metric(fn, None if threshold is not None else name)
    if threshold is not None:
        spec = spec.at_threshold(threshold, name)
    if greater_is_better is not None:
        spec = replace(spec, greater_is_better=bool(greater_is_better))
    return spec


def resolve_metrics(metrics: Iterable[Any]) -> list[MetricSpec]:
    """Resolve a list of identifiers; two metrics may not share a key."""
    if isinstance(metrics, (str, bytes)) or callable(metrics):
        metrics = [metrics]
    specs = [get_metric(m) for m in metrics]
    seen: dict[str, int] = {}
    for i, spec in enumerate(specs):
        check_key_name(spec.name)
        if spec.name in seen:
            raise ValueError(
                f"Two metrics would be logged under the same key {spec.name!r} "
                f"(positions {seen[spec.name]} and {i} in metrics=[...]). Remove one, "
                "or rename it with fittrack.metrics.make_metric(m, name='new_name').")
        seen[spec.name] = i
    return specs


def check_key_name(name: str) -> None:
    """Refuse a metric name that would clash with a file column or open as a formula."""
    if name in RESERVED:
        raise ValueError(
            f"A metric cannot be logged under {name!r}: the history files use "
            f"{sorted(RESERVED)} as their index columns. Rename it, e.g. "
            f"make_metric(m, name='{name}_metric').")
    if name.startswith(FORMULA_START):
        raise ValueError(
            f"The metric name {name!r} starts with {name[0]!r}, which spreadsheets read as "
            "a formula when they open the CSV file. Rename it with make_metric(m, name=...).")


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
