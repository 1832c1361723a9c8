"""Everything between a dataset and its logged values, for one callback.

The :class:`Evaluator` binds the metrics to the model's outputs and decides
what each output is (once per ``fit``), checks every dataset and dry-runs every
metric before training, and at each evaluation predicts the datasets (one
compiled step, with the compiled losses' values), then computes the metrics,
the exact loss and, when asked, the curves.
"""

from __future__ import annotations

import functools
import warnings
from typing import Any, cast

import numpy as np

from fittrack.callbacks import checks, compat
from fittrack.callbacks.arguments import from_logits_for
from fittrack.callbacks.eval_sets import MonitorGroup, SourceEnded
from fittrack.callbacks.evaluation import (
    Chunk,
    LossPlan,
    curves_of,
    evaluate_chunks,
    loss_values,
    metric_values,
    output_contexts,
)
from fittrack.callbacks.inference import Predictor
from fittrack.callbacks.outputs import OutputPlan
from fittrack.callbacks.overlap import Overlap, overlap_allowed
from fittrack.callbacks.problems import decide, losses_by_output, output_activation
from fittrack.callbacks.progress import Progress
from fittrack.metrics import EvalContext, Problem
from fittrack.metrics.context import Task
from fittrack.notices import FittrackRuntimeWarning, FittrackWarning

DRY_RUN_ROWS = 256


class Evaluator:
    """Binding, checks and evaluations of one callback's metrics.

    Args:
        plan: the metrics per output.
        from_logits: the user's ``from_logits`` (None: read from the model).
        curve_kinds: the curves to keep at each epoch-end evaluation ([] for none).
    """

    def __init__(self, plan: OutputPlan, from_logits: Any, curve_kinds: list[str]):
        self.plan, self.from_logits, self.curve_kinds = plan, from_logits, curve_kinds
        self.predictor = Predictor()
        self.losses = LossPlan()
        self._loss_unreadable_told = False
        self._keys: dict[str, list[str]] = {}     # per role: the keys the checks found
        self._seen: dict[str, set[str]] = {}      # per dataset key: the keys it has given

    def reset(self) -> None:
        """A new ``fit`` (maybe a new model): forget the binding, the losses, the buffers."""
        self.predictor.reset()
        self.losses.reset()
        self.plan.unbind()
        self._loss_unreadable_told = False
        self._keys, self._seen = {}, {}

    # ----- before training -----
    def check(self, model: Any, head: Chunk, role: str) -> None:
        """Bind the outputs, check the data and dry-run every metric and the loss."""
        if not self.plan.outputs:
            self._bind(model, head, role)
        try:
            checks.check_chunk(self.plan, head, role)
        except ValueError as err:
            ignored = {compat.ignore_class(loss) for loss in
                       losses_by_output(model, self.plan.keys)} - {None}
            if not ignored:
                raise
            label = sorted(ignored, key=repr)[0]
            raise ValueError(
                f"{err} The compiled loss leaves the label {label} out (ignore_class={label}), "
                "but the metrics score every row and need one of the model's classes in each: "
                f"pass train_data= and validation_data= without the rows labelled {label} "
                "(the loss is the same without them).") from None
        self.attach_losses(model)
        self._keys[role] = checks.dry_run(self.plan, self.losses, head, DRY_RUN_ROWS, role)

    def _bind(self, model: Any, head: Chunk, role: str) -> None:
        """Match metrics to outputs and decide each output's Problem, once per fit."""
        keys = [k for k, _ in head.predicted.outputs]
        self.plan.bind(keys, getattr(model, "output_names", None))
        losses = losses_by_output(model, keys)
        layers = compat.output_layers(model, len(keys))
        for o in self.plan.outputs:
            pred = head.predicted.outputs[o.position][1]
            units = int(pred.shape[-1]) if pred.ndim > 1 else 1
            o.problem = decide(losses[o.position], output_activation(layers[o.position]), units,
                               from_logits_for(self.from_logits, o.name))
            if o.problem.task is None and any(s.input != "values" for s in o.specs):
                o.problem = Problem(_task_from_labels(
                    self.plan.target(head.y, o.position, role), pred), o.problem.logits)

    def attach_losses(self, model: Any) -> None:
        """Find the compiled losses once Keras has built them; the step computes them."""
        if self.losses.entries is None and self.losses.attach(model, self.plan.keys):
            entries: list[tuple[int, Any, float | None]] = self.losses.entries or []
            self.predictor.step(model).set_losses([(entry[0], entry[1]) for entry in entries])

    # ----- evaluations -----
    def evaluate(self, sets: list, model: Any, progress: Progress | None = None
                 ) -> tuple[dict[str, float], dict[str, dict]]:
        """Every dataset's values, and its curves ``{dataset key: {output: curves}}``."""
        self.attach_losses(model)
        self._tell_if_loss_unreadable(model)
        pending: list[tuple[str, Any, dict[str, float]]] = []   # (key, result(), loss)
        with Overlap(overlap_allowed(self.plan)) as overlap:   # metrics beside the next set
            for i, s in enumerate(sets):
                if progress is not None:
                    progress.start(s.role, s.n_batches)
                try:
                    chunks = s.chunks(self.predictor, model, self._loss_targets(s.role),
                                      None if progress is None else progress.step)
                except SourceEnded as err:
                    warnings.warn(f"{err} Its values are recorded as NaN.",
                                  FittrackRuntimeWarning, stacklevel=2)
                    pending.append((s.key, functools.partial(tuple, (self._nan_values(s),
                                                                     None)), {}))
                    continue
                finally:
                    if progress is not None:
                        progress.finish()
                loss = loss_values(self.plan, self.losses, chunks, s.prefix, s.role, s.where)
                size = sum(p.size for c in chunks for _, p in c.predicted.outputs)
                pending.append((s.key, overlap.run(self._numpy_part, chunks, s, size=size,
                                                   last=i == len(sets) - 1), loss))
            values: dict[str, float] = {}
            curves: dict[str, dict] = {}
            for key, result, loss in pending:
                metrics, set_curves = result()
                values.update(metrics)
                values.update(loss)
                self._seen.setdefault(key, set()).update(metrics, loss)
                if set_curves is not None:
                    curves[key] = set_curves
        return values, curves

    def _nan_values(self, s: Any) -> dict[str, float]:
        """NaN under every key of dataset ``s``: those the checks before training found,
        those of its earlier evaluations, and the loss's (so that no key keeps Keras'
        running value)."""
        keys = {s.prefix + k for k in self._keys.get(s.role, [])} | self._seen.get(s.key, set())
        keys.update(loss_values(self.plan, self.losses, [], s.prefix, s.role, s.where))
        return dict.fromkeys(sorted(keys), float("nan"))

    def _numpy_part(self, chunks: list[Chunk], s: Any) -> tuple[dict[str, float], dict | None]:
        """One dataset's metrics and curves: NumPy only (see :mod:`.overlap`)."""
        if not self.curve_kinds:
            return metric_values(self.plan, chunks, s.prefix, s.role, s.where), None
        contexts = output_contexts(self.plan, chunks, s.role)   # shared by both
        # the curves first: the AUC metrics then read the sums of their sorts
        curves = curves_of(self.plan, chunks, s.role, self.curve_kinds, contexts=contexts)
        return (metric_values(self.plan, chunks, s.prefix, s.role, s.where, contexts=contexts),
                curves)

    def evaluate_monitors(self, group: MonitorGroup, model: Any) -> dict[str, float]:
        """The batch-level values on the monitor subsets."""
        self.attach_losses(model)
        values: dict[str, float] = {}
        targets = self._loss_targets("monitor subsets") if self.losses.entries else None
        for part, chunks in group.results(self.predictor, model, targets):
            values.update(evaluate_chunks(self.plan, self.losses, chunks, part.prefix,
                                          part.role, part.where))
        return values

    def _tell_if_loss_unreadable(self, model: Any) -> None:
        if self.losses.entries is None and not self._loss_unreadable_told \
                and compat.user_losses(model) is not None:
            self._loss_unreadable_told = True
            warnings.warn(
                "MetricsCallback cannot read the model's compiled loss in this Keras version "
                "(fittrack.callbacks.compat.compiled_losses found none): 'loss' and 'val_loss' "
                "are Keras' own values (a running average, and evaluate's) instead of exact "
                "ones. The metrics are exact.", FittrackWarning, stacklevel=3)

    def _loss_targets(self, role: str) -> Any:
        return functools.partial(self.losses.targets, self.plan, role=role)

    def direction(self, key: str) -> bool | None:
        """Whether greater is better for a key this callback computes (None: not ours)."""
        base = key[4:] if key.startswith("val_") else key
        directions = self.plan.directions()
        directions.setdefault("loss", False)
        return directions.get(base)


def _task_from_labels(y: Any, pred: np.ndarray) -> Task | None:
    """The task read once from the first batch's labels, for outputs the model does not say."""
    try:
        return cast(Task, EvalContext(np.asarray(y), pred).task)
    except (ValueError, TypeError):
        return None
