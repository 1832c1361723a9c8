"""One dataset's evaluation: predictions -> every metric of every output, and the exact loss.

A dataset arrives as :class:`Chunk` objects: one for an in-memory dataset
(its whole rows), one per batch for a streamed source (whose batches may have
different sequence lengths). For each output the chunks' unmasked rows
(:func:`fittrack.metrics.rows.unmasked_rows`) are joined and handed to the
metrics; the loss is summed chunk by chunk (:mod:`.exact_loss`), so nothing
depends on equal lengths.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from fittrack.callbacks import compat
from fittrack.callbacks.exact_loss import LossTerms
from fittrack.callbacks.inference import Predicted
from fittrack.callbacks.outputs import OutputPlan
from fittrack.callbacks.problems import path_index
from fittrack.metrics import EvalContext, MetricError
from fittrack.metrics.curve_points import curves_and_sums
from fittrack.metrics.evaluate import OnError, evaluate_context
from fittrack.metrics.ranking import adopt_class_sums, wants_curve_sums
from fittrack.metrics.rows import unmasked_rows
from fittrack.notices import FittrackRuntimeWarning


@dataclass
class Chunk:
    """Rows of one dataset with the model's predictions for them."""

    y: Any                # targets as given: an array, a list or a dict per output
    predicted: Predicted
    weights: Any          # None, an array, or a list/dict per output
    rows: int


class LossPlan:
    """The compiled loss of every output, found once Keras has built it."""

    def __init__(self) -> None:
        self.entries: list[tuple[int, Any, float | None]] | None = None

    def reset(self) -> None:
        """Forget the model's losses (a new ``fit``)."""
        self.entries = None

    def attach(self, model: Any, keys: list) -> bool:
        """Find the losses (False while Keras has not built them yet)."""
        if self.entries is None:
            built = compat.compiled_losses(model)
            if built is None:
                return False
            self.entries = [(i, e.loss, e.weight) for e in built
                            if (i := path_index(e.path, keys)) is not None]
        return True

    def targets(self, plan: OutputPlan, y: Any, role: str) -> list[np.ndarray] | None:
        """Each compiled loss's targets in ``y`` (for the inference step), or None."""
        if not self.entries:
            return None
        return [np.asarray(plan.target(y, position, role)) for position, _, _ in self.entries]

    def evaluate(self, plan: OutputPlan, chunks: list[Chunk], prefix: str,
                 role: str) -> dict[str, float]:
        """``{prefix + "loss": total}`` and, with several losses, ``<output>_loss`` keys."""
        if not self.entries:
            return {}
        out, total = {}, 0.0
        names = plan.names
        for i, (position, loss, weight) in enumerate(self.entries):
            terms = LossTerms(loss)
            for c in chunks:
                w = plan.weight(c.weights, position, role)
                values, masks = c.predicted.loss_values, c.predicted.loss_masks
                terms.add(plan.target(c.y, position, role), c.predicted.outputs[position][1],
                          None if w is None else np.asarray(w, dtype=np.float64),
                          c.predicted.masks[position], None if values is None else values[i],
                          None if masks is None else masks[i])
            value = terms.value()
            weighted = value * (1.0 if weight is None else float(weight))
            if len(self.entries) > 1:
                out[f"{prefix}{names[position]}_loss"] = value
            total += weighted
        rows = sum(c.rows for c in chunks)
        regularization = sum(c.rows * c.predicted.regularization for c in chunks) / max(rows, 1)
        out[prefix + "loss"] = total + regularization
        return out


def evaluate_chunks(plan: OutputPlan, losses: LossPlan, chunks: list[Chunk], prefix: str,
                    role: str, where: str, on_error: OnError = "nan") -> dict[str, float]:
    """Every metric of every output, then the exact loss, on one dataset."""
    values = metric_values(plan, chunks, prefix, role, where, on_error)
    values.update(loss_values(plan, losses, chunks, prefix, role, where, on_error))
    return values


def metric_values(plan: OutputPlan, chunks: list[Chunk], prefix: str, role: str, where: str,
                  on_error: OnError = "nan", contexts: list[EvalContext] | None = None
                  ) -> dict[str, float]:
    """Every metric of every output on one dataset (``contexts``: :func:`output_contexts`,
    when the rows are already joined)."""
    values: dict[str, float] = {}
    for i, o in enumerate(plan.outputs):
        ctx = contexts[i] if contexts is not None else _context(plan, i, chunks, role)
        values.update(evaluate_context(o.specs, ctx, prefix=prefix + o.prefix, where=where,
                                       on_error=on_error))
    return values


def output_contexts(plan: OutputPlan, chunks: list[Chunk], role: str) -> list[EvalContext]:
    """One :class:`EvalContext` per output on its unmasked rows (the chunks joined once),
    shared by the metrics and the curves of one dataset."""
    return [_context(plan, i, chunks, role) for i in range(len(plan.outputs))]


def _context(plan: OutputPlan, i: int, chunks: list[Chunk], role: str) -> EvalContext:
    o = plan.outputs[i]
    y, p, w = _rows(plan, o.position, chunks, role)
    return EvalContext(y, p, w, problem=o.problem)


def curves_of(plan: OutputPlan, chunks: list[Chunk], role: str, kinds: list[str],
              contexts: list[EvalContext] | None = None) -> dict[str | None, dict]:
    """ROC/PR curves and confusion matrices of each binary or multi-class output:
    ``{output name: curves}`` on the rows the metrics score (probabilities;
    ``contexts``: :func:`output_contexts`, shared with the metrics)."""
    out: dict[str | None, dict] = {}
    for i, o in enumerate(plan.outputs):
        if o.problem.task not in ("binary", "multiclass"):
            continue
        try:
            ctx = contexts[i] if contexts is not None else _context(plan, i, chunks, role)
            probs = ctx.probs if o.problem.logits else ctx.probs_given   # outputs: no copy
            scores = probs.reshape(-1, probs.shape[-1])
            if not np.isfinite(scores).all():
                raise ValueError("the predictions hold NaN or infinite values")
            # the metrics' arg-max of the outputs (computed once), for the confusion matrix
            predicted = ctx.pred_argmax.reshape(-1) if "confusion" in kinds and \
                ctx.task == "multiclass" else None
            out[o.name], sums = curves_and_sums(ctx.true_labels, scores, ctx.weights,
                                                ctx.n_classes, kinds, predicted=predicted,
                                                with_sums=wants_curve_sums(ctx, o.specs))
            if sums is not None:     # the AUC metrics read them instead of sorting again
                adopt_class_sums(ctx, sums)
        except (ValueError, TypeError) as err:
            warnings.warn(f"No curves for {role}{f' output {o.name!r}' if o.name else ''} at "
                          f"this epoch: {err}.", FittrackRuntimeWarning, stacklevel=2)
    return out


def _rows(plan: OutputPlan, position: int, chunks: list[Chunk], role: str) -> tuple:
    parts = []
    for c in chunks:
        w = plan.weight(c.weights, position, role)
        parts.append(unmasked_rows(np.asarray(plan.target(c.y, position, role)),
                                   c.predicted.outputs[position][1],
                                   None if w is None else np.asarray(w, dtype=np.float64),
                                   c.predicted.masks[position]))
    if len(parts) == 1:
        return parts[0]
    ys, ps, ws = zip(*parts)
    weights = None if ws[0] is None else np.concatenate(ws)
    return np.concatenate(ys), np.concatenate(ps), weights


def loss_values(plan: OutputPlan, losses: LossPlan, chunks: list[Chunk], prefix: str, role: str,
                where: str, on_error: OnError = "nan") -> dict[str, float]:
    """The exact loss (and each output's, with several) on one dataset."""
    try:
        return losses.evaluate(plan, chunks, prefix, role)
    except Exception as err:
        message = f"The model's loss failed on {where}: {type(err).__name__}: {err}"
        if on_error == "raise":
            raise MetricError(message) from err
        warnings.warn(message + " Recorded as NaN.", FittrackRuntimeWarning, stacklevel=3)
        return {prefix + "loss": float("nan")}
