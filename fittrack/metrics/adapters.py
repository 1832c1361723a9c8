"""Wrap scikit-learn functions and user callables as :class:`MetricSpec`.

- A ``sklearn.metrics`` function is passed what it expects: probabilities for
  the score-based ones (``roc_auc_score``, ``average_precision_score``,
  ``log_loss``, ``brier_score_loss``, ``top_k_accuracy_score``, ...) in the
  dtype the model returns them (sigmoid/softmax of logits for a logits
  output), the raw outputs for regression functions, predicted labels for
  the others. ``greater_is_better`` follows scikit-learn's naming rule
  (``*_score`` is better higher, ``*_error``/``*_loss`` lower).
- A user function ``f(y_true, y_pred)`` in NumPy or ``keras.ops`` gets the
  arrays as Keras would pass them (read-only; float targets in the output's
  dtype, integer labels as integers, ``(n,)`` targets next to an ``(n, 1)``
  output as ``(n, 1)``; the raw outputs, logits included); a result with one
  value per row is averaged over rows (Keras semantics, with the sample
  weights), a scalar is kept, another vector gives one column per element.
  Its direction is unknown unless declared (:func:`~fittrack.metrics.make_metric`).

Example:
    >>> import numpy as np
    >>> from sklearn.metrics import roc_auc_score
    >>> spec = sklearn_spec(roc_auc_score)
    >>> spec.input, spec(np.array([0, 1, 1]), np.array([[0.2], [0.9], [0.6]]))
    ('scores', 1.0)
"""

from __future__ import annotations

import functools
import inspect
import re
from collections.abc import Callable
from typing import Any

import numpy as np

from fittrack.metrics import task as _task
from fittrack.metrics.common import per_row_mean
from fittrack.metrics.context import EvalContext, same_rank
from fittrack.metrics.spec import InputKind, MetricSpec
from fittrack.metrics.tensors import result_array

SCORE_BASED = frozenset({
    "roc_auc_score", "average_precision_score", "log_loss", "brier_score_loss",
    "top_k_accuracy_score", "label_ranking_average_precision_score",
    "label_ranking_loss", "coverage_error", "ndcg_score", "dcg_score",
    "d2_log_loss_score", "d2_brier_score",
})
_KERAS2_BACKEND = re.compile(r"module '([\w.]*keras[\w.]*backend)' has no attribute '(\w+)'")


def underlying_function(fn: Any) -> Any:
    """The function inside ``functools.partial`` layers."""
    while isinstance(fn, functools.partial):
        fn = fn.func
    return fn


def is_sklearn_function(fn: Any) -> bool:
    """True for functions defined in ``sklearn.metrics`` (or partials of them)."""
    inner = underlying_function(fn)
    return inspect.isfunction(inner) and (inner.__module__ or "").startswith("sklearn.metrics")


def _accepts(fn: Callable, param: str) -> bool:
    try:
        return param in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False


def _keywords(fn: Any) -> dict:
    out: dict = {}
    while isinstance(fn, functools.partial):
        out = {**fn.keywords, **out}
        fn = fn.func
    return out


def sklearn_spec(fn: Callable, name: str | None = None) -> MetricSpec:
    """Wrap a ``sklearn.metrics`` function (or a partial of one)."""
    inner = underlying_function(fn)
    name = name or inner.__name__
    is_regression = inner.__module__.startswith("sklearn.metrics._regression")
    kind: InputKind = "values" if is_regression else (
        "scores" if inner.__name__ in SCORE_BASED else "labels")
    given = _keywords(fn)
    weighted = _accepts(fn, "sample_weight")

    def compute(ctx: EvalContext) -> Any:
        args, extra = _sklearn_inputs(ctx, kind, inner.__name__, given)
        if ctx.sample_weight is not None and weighted:
            extra["sample_weight"] = ctx.weights if kind != "values" else ctx.sample_weight
        return fn(*args, **extra)

    greater = not (inner.__name__.endswith(("_error", "_loss", "_deviance"))
                   or inner.__name__ in {"coverage_error", "hinge_loss"})
    doc = f"scikit-learn's {inner.__name__}"
    return MetricSpec(name, compute, greater, kind, doc)


def _sklearn_inputs(ctx: EvalContext, kind: str, fname: str, given: dict) -> tuple:
    if kind == "values":
        yt, yp = ctx.y_true, ctx.y_pred
        if yp.ndim == 2 and yp.shape[1] == 1 and yt.shape == yp.shape:
            yt, yp = yt[:, 0], yp[:, 0]
        return (yt, yp), {}
    if kind == "labels":
        return (ctx.true_labels, ctx.pred_labels), {}
    extra: dict = {}
    if ctx.task == "multiclass":
        if fname == "roc_auc_score" and "multi_class" not in given:
            extra["multi_class"] = "ovr"
        if fname in {"log_loss", "top_k_accuracy_score"} and "labels" not in given:
            extra["labels"] = np.arange(ctx.n_classes)
    return (ctx.true_labels, _task.scores(ctx.probs_given, ctx.task)), extra


def user_spec(fn: Callable, name: str, greater_is_better: bool | None = None) -> MetricSpec:
    """Wrap a user's ``f(y_true, y_pred)`` written in NumPy or ``keras.ops``."""
    def compute(ctx: EvalContext) -> Any:
        yt, yp = keras_like_inputs(ctx)
        result = result_array(call_user_function(fn, yt, yp))
        if result.ndim >= 1 and result.shape[0] == ctx.n_samples and ctx.n_samples > 1:
            return per_row_mean(result, ctx.sample_weight)
        return result

    doc = (getattr(fn, "__doc__", None) or f"user function {name}").strip().splitlines()[0]
    return MetricSpec(name, compute, greater_is_better, "values", doc)


def call_user_function(fn: Callable, y_true: Any, y_pred: Any) -> Any:
    """``fn(y_true, y_pred)``; a Keras 2 backend call gets an error pointing to ``keras.ops``."""
    try:
        return fn(y_true, y_pred)
    except AttributeError as err:
        match = _KERAS2_BACKEND.search(str(err))
        if match is None:
            raise
        module, attr = match.groups()
        raise AttributeError(
            f"{module}.{attr} is a Keras 2 backend function ('from keras import backend as K; "
            f"K.{attr}(...)'), which Keras 3 removed. Write keras.ops.{attr}(...) instead "
            f"(same arguments; e.g. keras.ops.sqrt, keras.ops.mean, keras.ops.square), or "
            f"run the Keras 2 code under tf_keras (TF_USE_LEGACY_KERAS=1).") from err


def keras_like_inputs(ctx: EvalContext) -> tuple[np.ndarray, np.ndarray]:
    """Targets and outputs as Keras hands them to a metric function."""
    yp = ctx.y_pred_given
    yt = ctx.y_true_given
    if (yt.dtype.kind == "f" and yt.dtype != yp.dtype) or yt.dtype.kind == "b":
        yt = yt.astype(yp.dtype)
    if yp.ndim == 1:
        return same_rank(yt, yp[:, None])[0].reshape(-1), yp
    return same_rank(yt, yp)
