"""Wrap scikit-learn functions and user callables as :class:`MetricSpec`.

- A ``sklearn.metrics`` function is passed what it expects: probabilities for
  the score-based ones (``roc_auc_score``, ``average_precision_score``,
  ``log_loss``, ``brier_score_loss``, ``top_k_accuracy_score``, ...), the raw
  outputs for regression functions, predicted labels for the others.
  ``greater_is_better`` follows scikit-learn's naming rule (``*_score`` is
  better higher, ``*_error``/``*_loss`` lower).
- A user function ``f(y_true, y_pred)`` in NumPy or ``keras.ops`` gets the
  arrays as Keras would pass them (float targets in the output's dtype, integer
  labels as integers, ``(n,)`` targets next to an ``(n, 1)`` output as
  ``(n, 1)``); a result with one value per row is averaged over rows (Keras
  semantics, with the sample weights), a scalar is kept, another vector gives
  one column per element.

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
from typing import Any, Callable

import numpy as np

from fittrack.metrics.accuracy import per_row_mean
from fittrack.metrics.context import EvalContext, same_rank
from fittrack.metrics.spec import MetricSpec

SCORE_BASED = frozenset({
    "roc_auc_score", "average_precision_score", "log_loss", "brier_score_loss",
    "top_k_accuracy_score", "label_ranking_average_precision_score",
    "label_ranking_loss", "coverage_error", "ndcg_score", "dcg_score",
    "d2_log_loss_score", "d2_brier_score",
})
#: looked for in the name with case and separators removed (LogCoshError, logcosh)
LOWER_IS_BETTER_WORDS = ("loss", "error", "deviance", "hinge", "crossentropy",
                         "divergence", "poisson", "huber", "logcosh", "falsepositive",
                         "falsenegative", "cosineproximity")
#: whole words of the name: the usual short names of errors (a user's ``rmse``)
LOWER_IS_BETTER_TOKENS = frozenset({
    "mse", "mae", "mape", "msle", "rmse", "rmsle", "smape", "medae", "kld", "nll",
    "bce", "cce", "fpr", "fnr", "wer", "cer", "perplexity"})


def underlying_function(fn: Any) -> Any:
    """The function inside ``functools.partial`` layers."""
    while isinstance(fn, functools.partial):
        fn = fn.func
    return fn


def is_sklearn_function(fn: Any) -> bool:
    """True for functions defined in ``sklearn.metrics`` (or partials of them)."""
    inner = underlying_function(fn)
    return inspect.isfunction(inner) and (inner.__module__ or "").startswith("sklearn.metrics")


def lower_is_better(name: str) -> bool:
    """Guess from a name: losses, errors and their short names are better lower.

    >>> [lower_is_better(n) for n in ("rmse", "LogCoshError", "val_mae", "auc", "f1")]
    [True, True, True, False, False]
    """
    words = [w for w in re.split(r"[^a-z0-9]+", name.lower()) if w]
    squashed = "".join(words)
    return (any(word in squashed for word in LOWER_IS_BETTER_WORDS)
            or any(w in LOWER_IS_BETTER_TOKENS for w in words))


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
    kind = "values" if is_regression else ("scores" if inner.__name__ in SCORE_BASED else "labels")
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
    return (ctx.true_labels, ctx.scores), extra


def user_spec(fn: Callable, name: str) -> MetricSpec:
    """Wrap a user's ``f(y_true, y_pred)`` written in NumPy or ``keras.ops``."""
    def compute(ctx: EvalContext) -> Any:
        yt, yp = keras_like_inputs(ctx)
        result = to_numpy(fn(yt, yp))
        if result.ndim >= 1 and result.shape[0] == ctx.n_samples and ctx.n_samples > 1:
            return per_row_mean(result, ctx.sample_weight)
        return result

    doc = (getattr(fn, "__doc__", None) or f"user function {name}").strip().splitlines()[0]
    return MetricSpec(name, compute, not lower_is_better(name), "values", doc)


def make_metric(fn: Callable, *, name: str | None = None,
                greater_is_better: bool | None = None) -> MetricSpec:
    """Give a user function ``f(y_true, y_pred)`` a name and a direction.

    ``fn`` may also be a ``sklearn.metrics`` function or a Keras metric or
    loss object; it is wrapped as :func:`~fittrack.metrics.get_metric` does.

    >>> import numpy as np
    >>> def worst(y_true, y_pred):
    ...     return np.max(np.abs(y_true - y_pred))
    >>> spec = make_metric(worst, name="worst_error", greater_is_better=False)
    >>> spec.name, spec.greater_is_better
    ('worst_error', False)
    """
    from fittrack.metrics import keras_adapter  # it imports this module

    if keras_adapter.is_keras_metric_class(fn):
        fn = fn()
    if keras_adapter.is_keras_metric(fn):  # stateful: reset and updated per evaluation
        spec = keras_adapter.keras_metric_spec(fn, name)
    elif keras_adapter.is_keras_loss(fn):
        spec = keras_adapter.keras_loss_spec(fn, name)
    else:
        name = name or getattr(underlying_function(fn), "__name__", None)
        if not name or name == "<lambda>":
            raise ValueError("make_metric needs name='...' for a function without a name.")
        spec = sklearn_spec(fn, name) if is_sklearn_function(fn) else user_spec(fn, name)
    if greater_is_better is None:
        return spec
    return MetricSpec(spec.name, spec.compute, greater_is_better, spec.input,
                      spec.description, spec.stateful)


def keras_like_inputs(ctx: EvalContext) -> tuple[np.ndarray, np.ndarray]:
    """Targets and outputs as Keras hands them to a metric function."""
    yp = ctx.y_pred_given
    if yp.dtype.kind != "f":
        yp = yp.astype(np.float32)
    yt = ctx.y_true_given
    if yt.dtype.kind == "f" and yt.dtype != yp.dtype:
        yt = yt.astype(yp.dtype)
    elif yt.dtype.kind == "b":
        yt = yt.astype(yp.dtype)
    if yp.ndim == 1:
        return same_rank(yt, yp[:, None])[0].reshape(-1), yp
    return same_rank(yt, yp)


def to_numpy(value: Any) -> np.ndarray:
    """A metric's result as a NumPy array, whatever backend tensor it is."""
    if isinstance(value, (np.ndarray, np.generic, float, int)):
        return np.asarray(value, dtype=np.float64)
    try:
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError, RuntimeError):
        from fittrack.metrics.keras_adapter import convert_to_numpy
        return np.asarray(convert_to_numpy(value), dtype=np.float64)
