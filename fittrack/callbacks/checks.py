"""Checks run in ``on_train_begin``, so bad data fails before the first batch.

For each dataset and output: the targets' shape must fit the output (same
shape, or integer labels for a multi-column output), integer labels must lie
in ``0..C-1`` (checked on every row), sample weights must have one value per
sample or per timestep, a probability metric must get probabilities (or be
told the outputs are logits), and every metric and the loss are run once on
the first batch's predictions (a dry run), so a metric that cannot handle the
data fails now with an error naming it, not at the end of epoch 10.

Example:
    >>> import numpy as np
    >>> check_target_shape(np.zeros(8), np.zeros((4, 3)), "validation_data", None)
    >>> check_target_shape(np.zeros((8, 2)), np.zeros((4, 3)), "validation_data", None)
    Traceback (most recent call last):
    ...
    ValueError: validation_data: targets of shape (8, 2) do not fit the model's output ...
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from fittrack.callbacks.data import map_leaves
from fittrack.callbacks.evaluation import Chunk, LossPlan, evaluate_chunks
from fittrack.callbacks.outputs import BoundOutput, OutputPlan
from fittrack.metrics import Problem
from fittrack.metrics.context import same_rank
from fittrack.metrics.task import check_sparse_labels, is_sparse

#: outputs this far outside [0, 1] cannot be probabilities
PROBABILITY_SLACK = 1e-6


def check_target_shape(y: np.ndarray, y_pred: np.ndarray, role: str, output: str | None) -> None:
    """Raise a ValueError when targets cannot be compared with the output."""
    yt, yp = same_rank(np.asarray(y)[:1], np.asarray(y_pred)[:1])
    fits = yt.shape[1:] == yp.shape[1:] or (
        is_sparse(yt, yp) and yt.shape[1:] in (yp.shape[1:-1], yp.shape[1:-1] + (1,)))
    if fits:
        return
    where = f" {output!r}" if output else ""
    per_row = yp.shape[1:]
    expected = f"(n, {', '.join(map(str, per_row))})"
    if len(per_row) == 1 and per_row[0] > 1:
        expected += (f" (one-hot or regression targets) or (n,) (integer classes "
                     f"0..{per_row[0] - 1})")
    raise ValueError(
        f"{role}: targets of shape {np.shape(y)} do not fit the model's output{where} of "
        f"shape (batch, {', '.join(map(str, per_row))}): expected targets of shape {expected}. "
        "Check that y belongs to this model and output.")


def check_labels(y: np.ndarray, y_pred: np.ndarray, role: str, output: str | None) -> None:
    """Integer labels next to a multi-column output must be classes ``0..C-1``."""
    yt, yp = same_rank(np.asarray(y), np.asarray(y_pred)[:1])
    if yp.shape[-1] > 1 and is_sparse(yt, yp):
        try:
            check_sparse_labels(yt.reshape(-1), yp.shape[-1])
        except ValueError as err:
            where = f" (output {output!r})" if output else ""
            raise ValueError(f"{role}{where}: {err}") from None


def check_weights(w: Any, y_pred: np.ndarray, role: str, output: str | None) -> None:
    """Sample weights: one per sample ``(n,)``, or one per timestep ``(n, T)`` of a sequence."""
    if w is None:
        return
    w = np.asarray(w)
    if w.ndim == 1 or (w.ndim == 2 and y_pred.ndim >= 2 and w.shape[1] == y_pred.shape[1]):
        return
    where = f" for output {output!r}" if output else ""
    fits = f"({len(w)},)"
    if y_pred.ndim >= 3:
        fits += f" or ({len(w)}, {y_pred.shape[1]}) (one per timestep)"
    raise ValueError(f"{role}: sample_weight{where} has shape {w.shape}; the output has shape "
                     f"(batch, {', '.join(map(str, y_pred.shape[1:]))}), so pass weights of "
                     f"shape {fits}.")


def check_probabilities(o: BoundOutput, y_pred: np.ndarray, role: str) -> None:
    """A metric that reads probabilities must not get logits unknowingly."""
    problem: Problem = o.problem
    reads_scores = any(s.input == "scores" or (s.input == "labels" and problem.task != "multiclass")
                       for s in o.specs)
    if problem.logits or not reads_scores or not np.isfinite(y_pred).all() or y_pred.size == 0:
        return
    low, high = float(np.min(y_pred)), float(np.max(y_pred))
    if low >= -PROBABILITY_SLACK and high <= 1 + PROBABILITY_SLACK:
        return
    names = [s.name for s in o.specs if s.input in ("scores", "labels")]
    where = f" {o.name!r}" if o.name else ""
    raise ValueError(
        f"{role}: the model's output{where} ranges over [{low:.4g}, {high:.4g}], outside [0, 1], "
        f"but {names} read probabilities and nothing says the output is logits (the compiled "
        "loss has no from_logits=True). If the model outputs logits, pass "
        "MetricsCallback(..., from_logits=True) (or compile with e.g. "
        "keras.losses.BinaryCrossentropy(from_logits=True)); otherwise end the model with a "
        "sigmoid or softmax.")


def check_chunk(plan: OutputPlan, chunk: Chunk, role: str) -> None:
    """Shapes, labels, weights and probabilities of every bound output on one chunk."""
    for o in plan.outputs:
        y = np.asarray(plan.target(chunk.y, o.position, role))
        pred = chunk.predicted.outputs[o.position][1]
        check_target_shape(y, pred, role, o.name)
        check_labels(y, pred, role, o.name)
        check_weights(plan.weight(chunk.weights, o.position, role), pred, role, o.name)
        check_probabilities(o, pred, role)


def dry_run(plan: OutputPlan, losses: LossPlan, chunk: Chunk, rows: int, role: str
            ) -> list[str]:
    """Run every metric and the loss once on the first ``rows`` rows; errors name the metric.
    Returns the keys an evaluation of this dataset gives (without its prefix)."""
    head = _head(chunk, rows)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return list(evaluate_chunks(plan, losses, [head], "", role,
                                    f"{role} (first {head.rows} rows, checked before training)",
                                    "raise"))


def _head(chunk: Chunk, rows: int) -> Chunk:
    if chunk.rows <= rows:
        return chunk
    cut = lambda a: None if a is None else a[:rows]  # noqa: E731
    predicted = type(chunk.predicted)([(k, a[:rows]) for k, a in chunk.predicted.outputs],
                                      [cut(m) for m in chunk.predicted.masks],
                                      chunk.predicted.regularization)
    take = lambda tree: None if tree is None else map_leaves(cut, tree)  # noqa: E731
    return Chunk(take(chunk.y), predicted, take(chunk.weights), rows)
