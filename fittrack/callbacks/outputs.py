"""Which metrics run on which model output, and under which keys.

A single-output model takes ``metrics=[...]``; its keys are the metric names.
A multi-output model takes ``metrics={output_name: [...]}``; its keys read
``<output_name>_<metric>`` as Keras names them. Targets for several outputs are
a dict keyed by output name or a list in output order.

Example:
    >>> plan = OutputPlan.from_argument(["acc"])
    >>> plan.bind([(None, None)], output_names=None)
    >>> [(o.name, o.prefix, [s.name for s in o.specs]) for o in plan.outputs]
    [(None, '', ['acc'])]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np

from fittrack.metrics import MetricSpec, evaluate, resolve_metrics


@dataclass
class BoundOutput:
    """One model output with its metrics."""

    name: str | None          # output name (None for a single-output model)
    position: int             # index in the flattened predictions
    specs: list[MetricSpec]
    prefix: str               # "" or "<name>_"


class OutputPlan:
    """Metrics per output, resolved in ``__init__`` and bound to the model later."""

    def __init__(self, per_output: Mapping[str | None, list[MetricSpec]]):
        self.per_output = dict(per_output)
        self.outputs: list[BoundOutput] = []

    @classmethod
    def from_argument(cls, metrics: Any) -> "OutputPlan":
        """Resolve ``metrics`` (a list, or a dict per output); bad names fail here."""
        if metrics is None:
            raise ValueError("metrics is required: pass a list such as ['accuracy', 'auc'], "
                             "or a dict {output_name: [...]} for a multi-output model.")
        if isinstance(metrics, Mapping):
            if not metrics:
                raise ValueError("metrics is an empty dict; give at least one output's metrics.")
            return cls({str(k): resolve_metrics(v) for k, v in metrics.items()})
        specs = resolve_metrics(metrics)
        if not specs:
            raise ValueError("metrics is empty; pass at least one metric, e.g. ['accuracy'].")
        return cls({None: specs})

    def bind(self, predictions: Sequence[tuple[Any, Any]], output_names: Sequence[str] | None) -> None:
        """Match the metrics to the model's outputs (from one prediction's structure)."""
        names = _output_names(predictions, output_names)
        if None in self.per_output:
            if len(names) > 1:
                raise ValueError(
                    f"The model has {len(names)} outputs {names}; metrics=[...] is for a "
                    "single output. Pass a dict instead, e.g. metrics={"
                    f"{names[0]!r}: ['accuracy'], ...}}.")
            self.outputs = [BoundOutput(None, 0, self.per_output[None], "")]
            return
        unknown = [k for k in self.per_output if k not in names]
        if unknown:
            raise ValueError(f"metrics has keys {unknown} that are not outputs of the model; "
                             f"its outputs are {names}.")
        self.outputs = [BoundOutput(name, names.index(name), specs, f"{name}_")
                        for name, specs in self.per_output.items()]

    def targets(self, y: Any, role: str) -> list[np.ndarray]:
        """The target array of each bound output, in ``self.outputs`` order."""
        out = []
        for o in self.outputs:
            if o.name is None:
                out.append(_single_target(y, role))
            elif isinstance(y, Mapping):
                if o.name not in y:
                    raise ValueError(f"{role}: y has no entry for output {o.name!r}; it has "
                                     f"{list(y)}. Give y as a dict keyed by output name.")
                out.append(y[o.name])
            elif isinstance(y, (list, tuple)):
                out.append(y[o.position])
            else:
                raise ValueError(f"{role}: the model has several outputs, so y must be a dict "
                                 f"keyed by output name or a list; received {type(y).__name__}.")
        return out

    def evaluate(self, targets: list[np.ndarray], predictions: Sequence[tuple[Any, np.ndarray]],
                 sample_weight: np.ndarray | None, prefix: str, where: str,
                 on_error: str = "nan") -> dict[str, float]:
        """Every metric of every output on one dataset: ``{key: value}``."""
        values: dict[str, float] = {}
        for o, y in zip(self.outputs, targets):
            y_pred = predictions[o.position][1]
            values.update(evaluate(o.specs, y, y_pred, sample_weight, prefix=prefix + o.prefix,
                                   where=where, on_error=on_error))
        return values

    def directions(self) -> dict[str, bool]:
        """Base key (no ``val_``) -> greater_is_better."""
        return {o.prefix + s.name: s.greater_is_better for o in self.outputs for s in o.specs}


def _output_names(predictions: Sequence[tuple[Any, Any]], output_names: Sequence[str] | None) -> list:
    keys = [k for k, _ in predictions]
    if len(keys) == 1 and keys[0] is None:
        return [output_names[0] if output_names else "output"]
    if all(isinstance(k, str) for k in keys):
        return keys
    names = list(output_names or [])
    return [names[i] if i < len(names) else f"output_{i}" for i in keys]


def _single_target(y: Any, role: str) -> np.ndarray:
    if isinstance(y, Mapping):
        if len(y) != 1:
            raise ValueError(f"{role}: y is a dict with keys {list(y)} for a single-output model.")
        return next(iter(y.values()))
    if isinstance(y, (list, tuple)):
        if len(y) != 1:
            raise ValueError(f"{role}: y is a list of {len(y)} arrays for a single-output model; "
                             "pass one array.")
        return y[0]
    return y
