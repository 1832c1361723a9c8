"""Evaluate a list of metrics on one dataset in one pass.

One :class:`EvalContext` is built and shared, so the quantities several
metrics need are computed once. Vector results become one key per element
(``<name>_<i>``). Non-finite predictions make every value NaN (under the same
keys), with one warning; with ``on_error="nan"`` a metric that raises is
recorded as NaN with a warning instead of stopping a run.

Two datasets may be evaluated at once, on two threads (the callback's
overlap, which runs only when every metric is built in). A built-in metric
gives one number, so its NaN needs no computation. Another metric (your
function, a scikit-learn callable, a Keras object) may give a vector: its
shape is found on finite stand-ins in a quiet window, and
``warnings.catch_warnings`` silences the whole process, not one thread. That
window and the non-finite warnings take one lock, so two quiet windows never
interleave (which could leave every later warning ignored).

Example:
    >>> import numpy as np
    >>> from fittrack.metrics import resolve_metrics
    >>> specs = resolve_metrics(["acc", "auc"])
    >>> evaluate(specs, np.array([0, 1, 1]), np.array([[0.2], [0.9], [0.4]]), prefix="val_")
    {'val_acc': 0.6666666666666666, 'val_auc': 1.0}
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np

from fittrack.metrics.chunks import all_finite
from fittrack.metrics.context import EvalContext, Problem
from fittrack.metrics.registry import is_builtin
from fittrack.metrics.spec import MetricSpec, as_result
from fittrack.notices import FittrackRuntimeWarning, FittrackWarning


class MetricError(ValueError):
    """A metric failed on the data; the message names the metric and the data."""


class NonFinitePredictionWarning(FittrackWarning):
    """The model produced NaN or infinite outputs; the metrics are recorded as NaN."""


class NonFiniteTargetWarning(FittrackWarning):
    """Targets or sample weights hold NaN or infinite values; the metrics are recorded as NaN."""


#: held while warnings are silenced (process-wide) or a non-finite warning is given
_WARNINGS_LOCK = threading.RLock()   # re-entrant: a metric may call evaluate itself

#: what a failing metric does: raise a MetricError, or give NaN with a warning
OnError = Literal["raise", "nan"]


def evaluate(specs: Sequence[MetricSpec], y_true: Any, y_pred: Any,
             sample_weight: Any = None, *, prefix: str = "", where: str = "the data",
             on_error: Literal["raise", "nan"] = "raise",
             problem: Problem | None = None) -> dict[str, float]:
    """Compute every metric on one dataset; return ``{prefix + key: value}``.

    Args:
        specs: resolved metrics.
        y_true, y_pred, sample_weight: the dataset's targets, the model's
            outputs for it, optional per-row weights.
        prefix: prepended to every key (``"val_"``, ``"out_a_"``).
        where: names the data in error messages (``"the validation data"``).
        on_error: ``"raise"`` a :class:`MetricError` naming the metric, or
            record ``"nan"`` with a warning.
        problem: what the output is (task, logits), decided from the model.

    Non-finite predictions, targets or weights make every value NaN (one
    warning naming the keys): one rule for every metric.
    """
    ctx = EvalContext(y_true, y_pred, sample_weight, problem=problem)
    return evaluate_context(specs, ctx, prefix=prefix, where=where, on_error=on_error)


def evaluate_context(specs: Sequence[MetricSpec], ctx: EvalContext, *, prefix: str = "",
                     where: str = "the data", on_error: OnError = "raise") -> dict[str, float]:
    """:func:`evaluate` on a context already built (shared with the curves of the same
    rows, so that what both need, such as the arg-max, is computed once)."""
    shape_ctx = _stand_in(ctx, specs, prefix, where)
    out: dict[str, float] = {}
    for spec in specs:
        key = prefix + spec.name
        value = _compute(spec, ctx, where, on_error) if shape_ctx is None \
            else _nan_like(spec, shape_ctx)
        out.update(expand(key, value))
    return out


def _stand_in(ctx: EvalContext, specs: Sequence[MetricSpec], prefix: str,
              where: str) -> EvalContext | None:
    """None when every input is finite; else warn and return zeroed stand-ins,
    on which the metrics run only to learn each result's shape (so a vector
    metric keeps its keys ``name_0, name_1...``), or ``ctx`` itself when every
    metric is built in (one number each: nothing runs on it, nothing is copied)."""
    checks = [("predictions", ctx.y_pred_given, NonFinitePredictionWarning),
              ("targets", ctx.y_true_given, NonFiniteTargetWarning),
              ("sample weights", ctx.sample_weight, NonFiniteTargetWarning)]
    bad = [(what, category) for what, arr, category in checks
           if arr is not None and not all_finite(arr)]
    if not bad:
        return None
    keys = ", ".join(prefix + s.name for s in specs)
    with _WARNINGS_LOCK:    # not inside another thread's quiet window (see the module)
        for what, category in bad:
            subject = "The model's predictions" if what == "predictions" else f"The {what}"
            warnings.warn(f"{subject} on {where} contain NaN or infinite values; {keys} are "
                          "recorded as NaN.", category, stacklevel=3)
    if all(is_builtin(spec) for spec in specs):
        return ctx
    zero = lambda a: None if a is None else np.nan_to_num(a, nan=0.0, posinf=0.0, neginf=0.0)  # noqa: E731
    return EvalContext(zero(ctx.y_true_given), zero(ctx.y_pred_given), zero(ctx.sample_weight),
                       problem=ctx.problem)


def _nan_like(spec: MetricSpec, shape_ctx: EvalContext) -> Any:
    """NaN in the shape ``spec`` gives on ``shape_ctx`` (finite stand-in inputs): one
    number for a built-in metric, without a quiet window another thread's warnings
    could fall into."""
    if is_builtin(spec):
        return float("nan")
    try:
        with _WARNINGS_LOCK, warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            shape = np.shape(as_result(spec.compute(spec.context_for(shape_ctx))))
    except Exception:
        return float("nan")
    return np.full(shape, np.nan) if shape else float("nan")


def _compute(spec: MetricSpec, ctx: EvalContext, where: str, on_error: OnError) -> Any:
    try:
        with np.errstate(all="ignore"):
            return as_result(spec.compute(spec.context_for(ctx)))
    except Exception as err:
        message = f"Metric {spec.name!r} failed on {where}: {type(err).__name__}: {err}"
        if on_error == "raise":
            raise MetricError(message) from err
        warnings.warn(message + " Recorded as NaN.", FittrackRuntimeWarning, stacklevel=3)
        return float("nan")


def expand(key: str, value: Any) -> dict[str, float]:
    """``{key: value}`` for a scalar, ``{key_0: v0, key_1: v1, ...}`` for a vector."""
    if np.ndim(value) == 0:
        return {key: float(value)}
    return {f"{key}_{i}": float(v) for i, v in enumerate(np.ravel(value))}
