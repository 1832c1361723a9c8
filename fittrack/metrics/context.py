"""One evaluation's inputs and the quantities several metrics share.

An :class:`EvalContext` is built once per evaluation (one dataset, one output)
and handed to every metric. Derived quantities (the classification view:
true and predicted labels, the confusion matrix, per-class ranking curves) are
computed on first use and cached, so ``accuracy``, ``precision``, ``recall``,
``f1`` and ``mcc`` share one confusion matrix and ``auc`` and ``pr_auc`` share
one sort per class.

Example:
    >>> import numpy as np
    >>> ctx = EvalContext(np.array([0, 2, 1]), np.eye(3)[[0, 2, 2]])
    >>> ctx.task, ctx.n_classes
    ('multiclass', 3)
    >>> ctx.confusion.tolist()
    [[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, 0.0, 1.0]]
"""

from __future__ import annotations

from functools import cached_property
from typing import Any, Callable

import numpy as np

from fittrack.metrics import task as _task


class EvalContext:
    """Inputs of one evaluation, in float64, with lazily cached derivations.

    Args:
        y_true: targets as the model's loss sees them (labels, one-hot rows,
            multi-hot rows or regression targets).
        y_pred: the model's outputs for the same rows.
        sample_weight: optional per-row weights, shape ``(n,)``.

    Attributes:
        y_true, y_pred: float64 arrays brought to the same rank the way Keras
            does (a ``(n,)`` target next to a ``(n, 1)`` output becomes
            ``(n, 1)``); a sparse label vector next to ``(n, C)`` scores is
            left as it is.
        y_true_given, y_pred_given: the arrays as received, for user callables.
        sample_weight: float64 ``(n,)`` or None.
    """

    def __init__(self, y_true: Any, y_pred: Any, sample_weight: Any = None):
        self.y_true_given = np.asarray(y_true)
        self.y_pred_given = np.asarray(y_pred)
        yt = _as_float(self.y_true_given, "y_true")
        yp = _as_float(self.y_pred_given, "y_pred")
        if yt.shape[:1] != yp.shape[:1] or yt.ndim == 0:
            raise ValueError(
                "y_true and y_pred must have one row per sample and the same number "
                f"of rows; received y_true of shape {yt.shape} and y_pred of shape "
                f"{yp.shape}."
            )
        if yt.shape[0] == 0:
            raise ValueError(
                "Metrics need at least one row; received y_true of shape "
                f"{yt.shape} and y_pred of shape {yp.shape}. Check that the dataset "
                "(or the validation split) is not empty.")
        self.y_true, self.y_pred = same_rank(yt, yp)
        self.sample_weight = _as_weights(sample_weight, len(yt))
        self._memo: dict[Any, Any] = {}

    @property
    def n_samples(self) -> int:
        """Number of rows."""
        return int(self.y_true.shape[0])

    def memo(self, key: Any, factory: Callable[[], Any]) -> Any:
        """Return ``factory()``, computed once per context under ``key``."""
        if key not in self._memo:
            self._memo[key] = factory()
        return self._memo[key]

    # ----- classification view (computed on first use) -----
    @cached_property
    def task(self) -> str:
        """``"binary"``, ``"multiclass"`` or ``"multilabel"``, from the shapes and labels."""
        return _task.infer_task(self.y_true, self.y_pred)

    @cached_property
    def n_classes(self) -> int:
        """2 for binary problems, the number of output columns otherwise."""
        return 2 if self.task == "binary" else int(self.y_pred.shape[-1])

    @cached_property
    def weights(self) -> np.ndarray | None:
        """Per-row weights of the classification view (repeated over time steps)."""
        return _task.flat_weights(self.sample_weight, self.y_pred, self.task)

    @cached_property
    def scores(self) -> np.ndarray:
        """Positive-class scores ``(N,)`` (binary) or ``(N, C)``."""
        return _task.scores(self.y_pred, self.task)

    @cached_property
    def true_labels(self) -> np.ndarray:
        """int ``(N,)`` class indices, or ``(N, C)`` 0/1 for multilabel."""
        return _task.true_labels(self.y_true, self.y_pred, self.task)

    @cached_property
    def pred_argmax(self) -> np.ndarray:
        """``argmax(y_pred, axis=-1)``, computed once (on the outputs as given: same order)."""
        given = self.y_pred_given
        source = given.reshape(self.y_pred.shape) if given.size == self.y_pred.size else self.y_pred
        return np.argmax(source, axis=-1)

    @cached_property
    def pred_labels(self) -> np.ndarray:
        """Scores thresholded at 0.5 (binary, multilabel) or arg-maxed (multiclass)."""
        if self.task == "multiclass":
            return self.pred_argmax.reshape(-1)
        return _task.pred_labels(self.scores, self.task)

    @cached_property
    def confusion(self) -> np.ndarray:
        """Weighted confusion matrix ``(C, C)``, rows true, columns predicted.

        Multilabel problems have one 2x2 matrix per label: ``(C, 2, 2)``.
        """
        return _task.confusion(self.true_labels, self.pred_labels, self.n_classes,
                               self.weights, self.task)

    @cached_property
    def total_weight(self) -> float:
        """Sum of the classification view's weights (the row count if unweighted)."""
        w = self.weights
        return float(len(self.true_labels) if w is None else w.sum())


def same_rank(y_true: np.ndarray, y_pred: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Bring two arrays to the same rank as Keras' losses do.

    When the ranks differ by one and the longer one ends in a size-1 axis, the
    shorter one gains that axis (``(n,)`` and ``(n, 1)`` -> both ``(n, 1)``).

    >>> [a.shape for a in same_rank(np.zeros(4), np.zeros((4, 1)))]
    [(4, 1), (4, 1)]
    >>> [a.shape for a in same_rank(np.zeros((4, 7)), np.zeros((4, 7, 1)))]
    [(4, 7, 1), (4, 7, 1)]
    >>> [a.shape for a in same_rank(np.zeros(4), np.zeros((4, 3)))]
    [(4,), (4, 3)]
    """
    if y_pred.ndim == 1:
        y_pred = y_pred[:, None]
    if y_pred.ndim == y_true.ndim + 1 and y_pred.shape[-1] == 1:
        y_true = y_true[..., None]
    elif y_true.ndim == y_pred.ndim + 1 and y_true.shape[-1] == 1:
        y_true = y_true[..., 0]
    return y_true, y_pred


def _as_float(arr: np.ndarray, what: str) -> np.ndarray:
    if arr.dtype.kind == "f":
        return arr.astype(np.float64, copy=False)
    if arr.dtype.kind in "biu":
        return arr.astype(np.float64)
    raise TypeError(
        f"{what} must hold numbers; received an array of dtype {arr.dtype}. "
        "Encode string or object labels as integers first "
        "(for example with sklearn.preprocessing.LabelEncoder)."
    )


def _as_weights(sample_weight: Any, n: int) -> np.ndarray | None:
    if sample_weight is None:
        return None
    w = np.asarray(sample_weight, dtype=np.float64)
    if w.ndim == 2 and w.shape[1] == 1:
        w = w[:, 0]
    if w.shape != (n,):
        raise ValueError(
            f"sample_weight must have shape ({n},), one weight per row; received "
            f"shape {w.shape}. Pass a 1-D array with one weight per sample."
        )
    return w
