"""One evaluation's inputs and the quantities several metrics share.

An :class:`EvalContext` is built once per evaluation (one dataset, one output)
and handed to every metric. Derived quantities (float64 views, probabilities,
true and predicted labels, the confusion matrix, per-class ranking sums) are
computed on first use and cached, so ``accuracy``, ``precision``, ``recall``,
``f1`` and ``mcc`` share one confusion matrix and ``auc`` and ``pr_auc`` share
one sort per class. Every array a metric receives is read-only.

The built-in metrics never convert the whole outputs: labels are kept in the
narrowest unsigned dtype and values are read one chunk of rows at a time
(:meth:`EvalContext.sample_values`, :meth:`~EvalContext.sample_probs`,
:meth:`~EvalContext.flat_probs`, :meth:`~EvalContext.sample_mean`), so the
extra memory of an evaluation stays a small multiple of the outputs' (issue
17). The whole-array float64 views (:attr:`~EvalContext.y_true`, ...) remain
for user metrics.

What the output is (binary, multi-class or multi-label; probabilities or
logits) is a :class:`Problem`, decided once per model output by the caller;
without one, the task is read from the shapes and labels.

Example:
    >>> import numpy as np
    >>> ctx = EvalContext(np.array([0, 2, 1]), np.eye(3)[[0, 2, 2]])
    >>> ctx.task, ctx.n_classes
    ('multiclass', 3)
    >>> ctx.confusion.tolist()
    [[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, 0.0, 1.0]]
    >>> logits = EvalContext(np.array([1, 0]), np.array([[2.0], [-1.0]]),
    ...                      problem=Problem("binary", logits=True))
    >>> logits.pred_labels.tolist(), logits.probs.round(3).ravel().tolist()
    ([1, 0], [0.881, 0.269])
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Literal

import numpy as np

from fittrack.metrics import task as _task
from fittrack.metrics.chunks import row_chunks, row_mean
from fittrack.metrics.common import THRESHOLD, readonly
from fittrack.metrics.inputs import as_numbers, as_weights, same_rank
from fittrack.metrics.probabilities import log_odds, logit, probabilities, scorable

Task = Literal["binary", "multiclass", "multilabel"]


@dataclass(frozen=True)
class Problem:
    """What a model output is, decided once per output from the model.

    Args:
        task: ``"binary"``, ``"multiclass"``, ``"multilabel"``, or None to
            read it from the shapes and labels of each evaluation.
        logits: True when the output is logits (the compiled loss says
            ``from_logits=True``): score-based metrics get sigmoid/softmax
            probabilities, label-based ones decide at logit 0 / the arg-max.
    """

    task: Task | None = None
    logits: bool = False


class EvalContext:
    """Inputs of one evaluation, with lazily cached derivations.

    Args:
        y_true: targets as the model's loss sees them (labels, one-hot rows,
            multi-hot rows or regression targets).
        y_pred: the model's outputs for the same rows.
        sample_weight: optional per-row weights, shape ``(n,)``.
        problem: the output's :class:`Problem` (task, logits).
        threshold: the decision threshold (a probability) of binary and
            multi-label predicted labels.

    Attributes:
        y_true_given, y_pred_given: the arrays as received (read-only; half
            precision outputs cast to float32), for user callables.
        sample_weight: float64 ``(n,)`` or None.
    """

    def __init__(self, y_true: Any, y_pred: Any, sample_weight: Any = None, *,
                 problem: Problem | None = None, threshold: float = THRESHOLD):
        self.y_true_given = readonly(as_numbers(np.asarray(y_true), "y_true"))
        self.y_pred_given = readonly(scorable(np.asarray(y_pred)))
        yt, yp = self.y_true_given, self.y_pred_given
        if yt.ndim == 0 or yt.shape[:1] != yp.shape[:1]:
            raise ValueError(
                "y_true and y_pred must have one row per sample and the same number "
                f"of rows; received y_true of shape {yt.shape} and y_pred of shape "
                f"{yp.shape}.")
        if yt.shape[0] == 0:
            raise ValueError(
                "Metrics need at least one row; received y_true of shape "
                f"{yt.shape} and y_pred of shape {yp.shape}. Check that the dataset "
                "(or the validation split) is not empty.")
        self.problem = problem or Problem()
        self.threshold = float(threshold)
        self.sample_weight = as_weights(sample_weight, len(yt))
        self._memo: dict[Any, Any] = {}

    def at_threshold(self, threshold: float) -> EvalContext:
        """This evaluation with another decision threshold (labels recomputed)."""
        if threshold == self.threshold:
            return self
        other = EvalContext.__new__(EvalContext)
        other.__dict__.update({k: v for k, v in self.__dict__.items() if k in _SHARED})
        other.threshold, other._memo = float(threshold), {}
        return other

    @property
    def n_samples(self) -> int:
        """Number of rows."""
        return int(self.y_true_given.shape[0])

    def memo(self, key: Any, factory: Callable[[], Any]) -> Any:
        """Return ``factory()``, computed once per context under ``key``."""
        if key not in self._memo:
            value = factory()
            self._memo[key] = readonly(value) if isinstance(value, np.ndarray) else value
        return self._memo[key]

    # ----- float64 views, same rank as Keras' losses see them -----
    @cached_property
    def _ranked(self) -> tuple[np.ndarray, np.ndarray]:
        return same_rank(self.y_true_given, self.y_pred_given)

    @property
    def ranked(self) -> tuple[np.ndarray, np.ndarray]:
        """``(y_true, y_pred)`` as given (read-only, no copy), brought to the same
        rank as Keras' losses see them (:func:`same_rank`)."""
        return self._ranked

    @cached_property
    def y_true(self) -> np.ndarray:
        """Targets in float64, brought to the outputs' rank the way Keras does."""
        return readonly(self._ranked[0].astype(np.float64))

    @cached_property
    def y_pred(self) -> np.ndarray:
        """The raw outputs in float64 (logits stay logits), same rank as ``y_true``."""
        return readonly(self._ranked[1].astype(np.float64))

    @cached_property
    def probs(self) -> np.ndarray:
        """Probabilities in float64: the outputs, or sigmoid/softmax of logits."""
        task = self.task if self.problem.logits else None
        return readonly(probabilities(self._ranked[1], task, self.problem.logits))

    @cached_property
    def probs_given(self) -> np.ndarray:
        """Probabilities in the outputs' own dtype (what ``model.predict`` returns)."""
        if not self.problem.logits:
            return self._ranked[1]
        return readonly(self.probs.astype(self.y_pred_given.dtype))

    # ----- the same, one chunk of rows at a time (bounded temporaries) -----
    def sample_values(self, rows: slice) -> tuple[np.ndarray, np.ndarray]:
        """:attr:`y_true` and :attr:`y_pred` of the samples ``rows`` (float64)."""
        yt, yp = self._ranked
        return yt[rows].astype(np.float64), yp[rows].astype(np.float64)

    def sample_probs(self, rows: slice, given: bool = True) -> np.ndarray:
        """:attr:`probs_given` (``given``) or :attr:`probs` of the samples ``rows``."""
        return self._probs_of(self._ranked[1][rows], lambda: self.probs[rows], given)

    def flat_probs(self, rows: slice, given: bool = True) -> np.ndarray:
        """Rows ``rows`` of the classification view ``(N, C)`` of :attr:`probs_given`
        (``given``) or :attr:`probs`."""
        ranked = self._ranked[1]
        flat = ranked.reshape(-1, ranked.shape[-1])
        return self._probs_of(flat[rows], lambda: self.probs.reshape(flat.shape)[rows], given)

    def _probs_of(self, outputs: np.ndarray, cached: Callable[[], np.ndarray],
                  given: bool) -> np.ndarray:
        if not self.problem.logits:
            return outputs if given else outputs.astype(np.float64)
        probs = cached() if "probs" in self.__dict__ else probabilities(outputs, self.task, True)
        return probs.astype(outputs.dtype) if given else probs

    def sample_mean(self, values: Callable[[slice], np.ndarray]) -> float:
        """Keras' reduction (mean over the non-row axes, weighted mean over samples)
        of ``values(rows)``, computed for one chunk of samples at a time."""
        return row_mean(values, self.n_samples, self.sample_weight, self.y_pred_given[:1].size)

    # ----- classification view (computed on first use) -----
    @cached_property
    def task(self) -> str:
        """``"binary"``, ``"multiclass"`` or ``"multilabel"``: decided by the caller
        from the model, else read from the shapes and labels."""
        if self.problem.task is not None:
            return self.problem.task
        return _task.infer_task(*self._ranked)

    @cached_property
    def n_classes(self) -> int:
        """2 for binary problems, the number of output columns otherwise."""
        return 2 if self.task == "binary" else int(self.y_pred_given.shape[-1])

    @cached_property
    def weights(self) -> np.ndarray | None:
        """Per-row weights of the classification view (repeated over time steps)."""
        return _task.flat_weights(self.sample_weight, self._ranked[1])

    @cached_property
    def scores(self) -> np.ndarray:
        """Ranking scores: ``(N,)`` for a binary problem, else ``(N, C)``.

        Probabilities, or for logits the logits themselves where that keeps the
        order (one unit per label) and the softmax's log-odds otherwise (ordered as
        its probabilities, without their rounding to 1.0: :func:`log_odds`).
        """
        ranked = self._ranked[1]
        one_unit = ranked.shape[-1] == 1 or self.task == "multilabel"
        source = ranked if (not self.problem.logits or one_unit) else \
            log_odds(ranked.reshape(-1, ranked.shape[-1]))
        return readonly(_task.scores(source, self.task))

    @cached_property
    def true_labels(self) -> np.ndarray:
        """int ``(N,)`` class indices, or a ``(N, C)`` 0/1 indicator for multilabel."""
        return readonly(_task.true_labels(*self._ranked, self.task))

    @cached_property
    def pred_argmax(self) -> np.ndarray:
        """``argmax(y_pred, axis=-1)`` over the outputs as given (logits or not), in
        the narrowest unsigned dtype."""
        ranked = self._ranked[1]
        flat = _task.argmax_rows(ranked.reshape(-1, ranked.shape[-1]))
        return readonly(flat.reshape(ranked.shape[:-1]))

    @property
    def decisions(self) -> np.ndarray:
        """Per-unit binary decisions, same shape as the outputs: ``p > threshold``
        (``logit > logit(threshold)`` for logits)."""
        def build() -> np.ndarray:
            cut = logit(self.threshold) if self.problem.logits else self.threshold
            return self._ranked[1] > cut
        return self.memo("decisions", build)

    @property
    def pred_labels(self) -> np.ndarray:
        """Predicted labels: thresholded (binary, multilabel) or the arg-max, in the
        narrowest unsigned dtype."""
        def build() -> np.ndarray:
            if self.task == "multiclass":
                return self.pred_argmax.reshape(-1)
            n_cols = self._ranked[1].shape[-1]
            if self.task == "binary" and n_cols == 2:
                return self._second_above_threshold()
            labels = self.decisions.reshape(-1, n_cols).view(np.uint8)
            return labels[:, 0] if self.task == "binary" else labels
        return self.memo("pred_labels", build)

    def _second_above_threshold(self) -> np.ndarray:
        """A two-column binary output: ``probs[:, 1] > threshold`` (float64 probabilities)."""
        n_rows = self.y_pred_given.size // 2
        out = np.empty(n_rows, dtype=np.uint8)
        for rows in row_chunks(n_rows, 2):
            np.greater(self.flat_probs(rows, given=False)[:, 1], self.threshold, out=out[rows])
        return out

    @property
    def confusion(self) -> np.ndarray:
        """Weighted confusion matrix ``(C, C)``, rows true, columns predicted.

        Multilabel problems have one 2x2 matrix per label: ``(C, 2, 2)``.
        """
        return self.memo("confusion", lambda: _task.confusion(
            self.true_labels, self.pred_labels, self.n_classes, self.weights, self.task))

    @cached_property
    def total_weight(self) -> float:
        """Sum of the classification view's weights (the row count if unweighted)."""
        w = self.weights
        return float(len(self.true_labels) if w is None else w.sum())


#: attributes an :meth:`EvalContext.at_threshold` copy shares with its origin
_SHARED = ("y_true_given", "y_pred_given", "problem", "sample_weight", "_ranked", "y_true",
           "y_pred", "probs", "probs_given", "task", "n_classes", "weights", "scores",
           "true_labels", "pred_argmax", "total_weight")
