"""Which metrics run on which model output, under which keys, on which targets.

A single-output model takes ``metrics=[...]``; its keys are the metric names.
A multi-output model takes ``metrics={output_name: [...]}``; its keys read
``<output_name>_<metric>`` as Keras names them. Targets and sample weights for
several outputs are a dict keyed by output name, or a list paired with the
outputs as Keras pairs it: dict outputs in sorted-name order, list outputs in
order. Each bound output carries its :class:`~fittrack.metrics.Problem`.

Example:
    >>> plan = OutputPlan.from_argument(["acc"])
    >>> plan.bind([None], output_names=None)
    >>> [(o.name, o.prefix, [s.name for s in o.specs]) for o in plan.outputs]
    [(None, '', ['acc'])]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from fittrack.metrics import MetricSpec, Problem, resolve_metrics

#: names in ``metrics=[...]`` that ask for the exact loss, which is always computed
LOSS_NAMES = ("loss",)


@dataclass
class BoundOutput:
    """One model output with its metrics."""

    name: str | None          # output name (None for a single-output model)
    position: int             # index in the (sorted) outputs
    specs: list[MetricSpec]
    prefix: str               # "" or "<name>_"
    problem: Problem = field(default_factory=Problem)


class OutputPlan:
    """Metrics per output, resolved in ``__init__`` and bound to the model later."""

    def __init__(self, per_output: Mapping[str | None, list[MetricSpec]]):
        self.per_output = dict(per_output)
        self.outputs: list[BoundOutput] = []
        self.keys: list = []
        self._names: list = []

    @classmethod
    def from_argument(cls, metrics: Any) -> OutputPlan:
        """Resolve ``metrics`` (a list, or a dict per output); bad names fail here."""
        if metrics is None:
            raise ValueError("metrics is required: pass a list such as ['accuracy', 'auc'], "
                             "or a dict {output_name: [...]} for a multi-output model.")
        if isinstance(metrics, Mapping):
            if not metrics:
                raise ValueError("metrics is an empty dict; give at least one output's metrics.")
            return cls({str(k): _resolve(v) for k, v in metrics.items()})
        return cls({None: _resolve(metrics)})

    def unbind(self) -> None:
        """Forget the model (a new ``fit`` binds again)."""
        self.outputs, self.keys, self._names = [], [], []

    def bind(self, keys: Sequence[Any], output_names: Sequence[str] | None) -> None:
        """Match the metrics to the model's outputs (keys of one prediction, sorted)."""
        names = _output_names(keys, output_names)
        self.keys, self._names = list(keys), names
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

    @property
    def names(self) -> list:
        """The outputs' names in position order (the model's names for list outputs)."""
        return self._names or _output_names(self.keys, None)

    def target(self, y: Any, position: int, role: str) -> Any:
        """The targets of the output at ``position``."""
        return _part(y, position, self.keys, role, "y", names=self.names)

    def weight(self, w: Any, position: int, role: str) -> np.ndarray | None:
        """The sample weights of the output at ``position`` (None: unweighted)."""
        if w is None:
            return None
        if isinstance(w, (Mapping, list, tuple)):
            return _part(w, position, self.keys, role, "sample_weight", missing_ok=True,
                         names=self.names)
        return w

    def per_output_directions(self) -> dict[str, bool | None]:
        """Base key -> greater_is_better, before the plan is bound to a model."""
        return {("" if out is None else f"{out}_") + s.name: s.greater_is_better
                for out, specs in self.per_output.items() for s in specs}

    def directions(self) -> dict[str, bool | None]:
        """Base key (no ``val_``) -> greater_is_better (None: unknown)."""
        return {o.prefix + s.name: s.greater_is_better for o in self.outputs for s in o.specs}


def _resolve(metrics: Any) -> list[MetricSpec]:
    if isinstance(metrics, str):
        metrics = [metrics]
    if isinstance(metrics, (list, tuple)):
        metrics = [m for m in metrics if not (isinstance(m, str) and m in LOSS_NAMES)]
    return resolve_metrics(metrics)


def _output_names(keys: Sequence[Any], output_names: Sequence[str] | None) -> list:
    if len(keys) == 1 and keys[0] is None:
        return [output_names[0] if output_names else "output"]
    if all(isinstance(k, str) for k in keys):
        return list(keys)
    names = list(output_names or [])
    return [names[i] if i < len(names) else f"output_{i}" for i in keys]


def _part(tree: Any, position: int, keys: list, role: str, what: str,
          missing_ok: bool = False, names: list | None = None) -> Any:
    """One output's entry of ``y`` or ``sample_weight`` (an array, a list or a dict,
    keyed by the outputs' keys or, for list outputs, their names)."""
    key = keys[position] if position < len(keys) else None
    if isinstance(tree, Mapping):
        if key in tree:
            return tree[key]
        name = names[position] if names and position < len(names) else None
        if name is not None and name in tree:
            return tree[name]
        if len(keys) == 1 and len(tree) == 1:
            return next(iter(tree.values()))
        if missing_ok:
            return None
        raise ValueError(f"{role}: {what} is a dict with keys {list(tree)}, which has no entry "
                         f"for the model's output {name if name is not None else key!r}; its "
                         f"outputs are {names or keys}. Key {what} by output name.")
    if isinstance(tree, (list, tuple)):
        if len(keys) == 1:
            if len(tree) != 1:
                raise ValueError(f"{role}: {what} is a list of {len(tree)} arrays for a model "
                                 "with one output; pass one array.")
            return tree[0]
        if len(tree) != len(keys):
            raise ValueError(f"{role}: {what} is a list of {len(tree)} arrays for a model with "
                             f"{len(keys)} outputs {keys}; pass one per output (in that order) "
                             "or a dict keyed by output name.")
        return tree[position]
    if len(keys) > 1:
        raise ValueError(f"{role}: the model has {len(keys)} outputs {keys}, so {what} must be "
                         f"a dict keyed by output name or a list of {len(keys)} arrays; "
                         f"received one {type(tree).__name__}.")
    return tree
