"""Group a history's keys into panels, and say which way is better for each.

One panel per metric: ``k`` (training data) and ``val_k`` (validation data)
share a panel titled ``k``; ``k_keras`` and ``val_k_keras`` (Keras' running
values, kept when the callback replaced them) join the panel of ``k``. The
``loss`` panel comes first, then the others in order of first appearance.

The direction of a key comes from the store (the callback records each
metric's), else from the built-in metric of that name (after stripping
``val_``, ``_keras``, an output-name prefix or an element index), else from
the name: a loss or an error is lower-is-better, anything else higher.

Example:
    >>> [(p.name, p.train, p.val, p.running) for p in group_keys(
    ...     ["accuracy", "loss", "val_accuracy", "accuracy_keras"])]
    [('loss', 'loss', None, []), ('accuracy', 'accuracy', 'val_accuracy', ['accuracy_keras'])]
    >>> key_direction(None, "val_mae"), key_direction(None, "head_auc")
    (False, True)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

VAL = "val_"
RUNNING = "_keras"


@dataclass
class Panel:
    """The keys drawn on one panel."""

    name: str                       # the title: the metric name without ``val_``
    train: str | None = None        # ``k``
    val: str | None = None          # ``val_k``
    running: list[str] = field(default_factory=list)  # ``k_keras``, ``val_k_keras``

    @property
    def keys(self) -> list[str]:
        """Every key of the panel: training, validation, then Keras' running values."""
        return [k for k in (self.train, self.val) if k] + self.running


def split_key(key: str, keys: Sequence[str] | set[str]) -> tuple[str, str]:
    """``(panel name, role)`` of ``key``; role is train, val, train_running or val_running."""
    if key.endswith(RUNNING) and len(key) > len(RUNNING):
        stem = key[: -len(RUNNING)]
        base = stem[len(VAL):] if stem.startswith(VAL) else stem
        if base in keys or VAL + base in keys:
            return base, ("val_running" if stem.startswith(VAL) else "train_running")
    if key.startswith(VAL) and len(key) > len(VAL):
        return key[len(VAL):], "val"
    return key, "train"


def group_keys(keys: Sequence[str], metrics: Sequence[str] | None = None,
               level: str = "epoch") -> list[Panel]:
    """Panels for ``keys``; with ``metrics``, only the panels of those names, in that order.

    A name in ``metrics`` may be a panel name (``"auc"``) or any key of its
    panel (``"val_auc"``); either selects the whole panel.

    Raises:
        ValueError: a name in ``metrics`` that is not a key (the message lists them).
    """
    keyset = set(keys)
    panels: dict[str, Panel] = {}
    for key in keys:
        name, role = split_key(key, keyset)
        panel = panels.setdefault(name, Panel(name))
        if role in ("train", "val"):
            setattr(panel, role, key)
        else:
            panel.running.append(key)
    for panel in panels.values():  # training before validation, whatever the column order
        panel.running.sort(key=lambda k: k.startswith(VAL))
    if metrics is None:
        order = sorted(panels, key=lambda name: name != "loss")
        return [panels[name] for name in order]
    if isinstance(metrics, str):
        metrics = [metrics]
    chosen: list[str] = []
    for name in metrics:
        panel_name = name if name in panels else split_key(name, keyset)[0]
        if panel_name not in panels or (name not in panels and name not in keyset):
            raise ValueError(f"Unknown metric {name!r} at level={level!r}: the history's keys "
                             f"are {', '.join(keys) or '(none)'}.")
        if panel_name not in chosen:
            chosen.append(panel_name)
    return [panels[name] for name in chosen]


def key_direction(history: Any, key: str) -> bool | None:
    """True if greater is better for ``key``, False if lower, None if unknown.

    The history's answer (:meth:`MetricHistory.greater_is_better`: recorded
    directions, the registry, the name rules); without a history, the same
    rules with nothing recorded (:func:`fittrack.history.keys.key_direction`).
    """
    if history is not None and hasattr(history, "greater_is_better"):
        return history.greater_is_better(key)
    from fittrack.history.keys import key_direction as direction

    return direction(key)


def _registered_direction(key: str) -> bool | None:
    """The direction of the built-in metric ``key`` names, if any."""
    from fittrack.metrics.registry import lookup

    name = key[len(VAL):] if key.startswith(VAL) else key
    name = name[: -len(RUNNING)] if name.endswith(RUNNING) else name
    candidates = [name]
    head, _, tail = name.rpartition("_")
    if head and tail.isdigit():  # one element of a vector metric: f1_3
        candidates.append(head)
    for candidate in list(candidates):  # an output-name prefix: head_auc, out_1_mse
        parts = candidate.split("_")
        candidates += ["_".join(parts[i:]) for i in range(1, len(parts))]
    for candidate in candidates:
        spec = lookup(candidate)
        if spec is not None:
            return bool(spec.greater_is_better)
    return None
