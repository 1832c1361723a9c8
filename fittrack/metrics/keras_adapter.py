"""Keras metric and loss objects, and Keras-only names, as :class:`MetricSpec`.

It wraps ``keras.metrics.Metric`` objects (cloned, so their state never
mixes with the same object compiled into the model; updated over the whole
dataset in chunks, then read once), ``keras.losses.Loss`` objects (their
per-row loss, averaged) and Keras names that fittrack has no exact built-in
for (``binary_io_u``, ``f_beta_score``, ``pearson_correlation``, the focal
losses, ...). Keras is imported lazily, only to resolve names.

Example:
    >>> import keras, numpy as np
    >>> spec = keras_metric_spec(keras.metrics.MeanSquaredError())
    >>> spec.name, spec(np.array([1.0, 2.0]), np.array([[1.0], [4.0]]))
    ('mean_squared_error', 2.0)
"""

from __future__ import annotations

import inspect
from dataclasses import replace
from typing import Any

from fittrack.metrics.adapters import keras_like_inputs, user_spec
from fittrack.metrics.context import EvalContext
from fittrack.metrics.naming import lower_is_better
from fittrack.metrics.spec import MetricSpec
from fittrack.metrics.tensors import convert_to_numpy

CHUNK_ROWS = 65536


def is_keras_metric(obj: Any) -> bool:
    """True for ``keras.metrics.Metric`` instances (duck-typed: no import)."""
    return all(hasattr(obj, a) for a in ("update_state", "result", "reset_state")) \
        and not inspect.isclass(obj)


def is_keras_metric_class(obj: Any) -> bool:
    """True for an uninstantiated ``keras.metrics.Metric`` subclass."""
    return inspect.isclass(obj) and all(
        hasattr(obj, a) for a in ("update_state", "result", "reset_state"))


def is_keras_loss(obj: Any) -> bool:
    """True for ``keras.losses.Loss`` instances (duck-typed: no import)."""
    return all(hasattr(obj, a) for a in ("call", "reduction", "name")) \
        and not inspect.isclass(obj)


def keras_loss_spec(loss: Any, name: str | None = None) -> MetricSpec:
    """A Keras loss object as a metric: its per-row ``call`` (with the object's
    arguments, e.g. ``Huber(delta=2.0)``), averaged with the sample weights;
    logged under its ``.name``; lower is better."""
    name = name or loss.name
    spec = user_spec(loss.call, name, greater_is_better=False)
    return replace(spec, description=f"Keras loss {type(loss).__name__} (per-row, averaged)")


def clone_metric(metric: Any) -> Any:
    """A fresh copy of a Keras metric object (same class and configuration).

    The object a user also passed to ``compile`` keeps Keras' running state;
    updating it here would change what Keras logs. A metric that cannot be
    rebuilt from its config is refused with a message saying how to fix it.
    """
    try:
        return type(metric).from_config(metric.get_config())
    except Exception as err:
        raise TypeError(
            f"The Keras metric {metric!r} cannot be copied with "
            f"{type(metric).__name__}.from_config(metric.get_config()) ({type(err).__name__}: "
            f"{err}). fittrack copies Keras metric objects so that their state never mixes "
            "with the same object compiled into the model; give the metric a working "
            "get_config(), or pass its class or its name instead.") from err


def keras_metric_spec(metric: Any, name: str | None = None) -> MetricSpec:
    """Wrap a (cloned) stateful Keras metric object: reset, update over all rows, read."""
    metric = clone_metric(metric)
    name = name or metric.name

    def compute(ctx: EvalContext) -> Any:
        yt, yp = keras_like_inputs(ctx)
        w = ctx.sample_weight
        metric.reset_state()
        for start in range(0, max(len(yp), 1), CHUNK_ROWS):
            rows = slice(start, start + CHUNK_ROWS)
            metric.update_state(yt[rows], yp[rows],
                                sample_weight=None if w is None else w[rows])
        return convert_to_numpy(metric.result())

    doc = f"Keras metric {type(metric).__name__} (stateful, evaluated in one pass)"
    lower = lower_is_better(name) or lower_is_better(type(metric).__name__)
    return MetricSpec(name, compute, not lower, "values", doc, stateful=True)


def from_keras_name(name: str) -> MetricSpec | None:
    """A spec for a name Keras resolves (metrics first, then losses), or None.

    Raises:
        ValueError: Keras knows the name but its metric needs arguments.
    """
    import keras

    for module in (keras.metrics, keras.losses):
        try:
            obj = module.get(name)
        except (ValueError, TypeError) as err:
            if "missing" in str(err) and "argument" in str(err):
                where = "keras.losses" if module is keras.losses else "keras.metrics"
                raise ValueError(_needs_arguments(name, where, err)) from err
            continue
        if obj is None:
            continue
        if is_keras_metric(obj):
            return keras_metric_spec(obj, name)
        if is_keras_loss(obj):
            return keras_loss_spec(obj, name)
        # a function: anything found only among the losses (dice, tversky, ...) is a loss
        greater = False if module is keras.losses else not lower_is_better(name)
        return user_spec(obj, name, greater_is_better=greater)
    return None


def _needs_arguments(name: str, module: str, err: Exception) -> str:
    return (f"Keras knows the metric {name!r}, but it cannot be built without "
            f"arguments ({err}). Pass the object instead, for example "
            f"{module}.<Class>(...) with its required arguments, in metrics=[...].")
