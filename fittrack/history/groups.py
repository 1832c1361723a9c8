"""Group a history's keys into panels, and say which way is better for each.

One panel per metric: ``k`` (training data) and ``val_k`` (validation data)
share a panel titled ``k``; ``k_keras`` and ``val_k_keras`` (Keras' running
values, kept when the callback replaced them) join the panel of ``k``. The
``loss`` panel comes first, then the others in order of first appearance.
Timing keys (``eval_seconds``: how long each evaluation took) are not
metrics: they get a panel only when asked for by name. A name asked for
finds its aliases too (``acc`` for ``accuracy``, ``mse`` for
``mean_squared_error``), through the metric registry.

The direction of a key is the history's answer
(:meth:`MetricHistory.greater_is_better`, which asks the one key-grammar
module :mod:`fittrack.history.keys`): None when unknown (no best mark).

Example:
    >>> [(p.name, p.train, p.val, p.running) for p in group_keys(
    ...     ["accuracy", "loss", "val_accuracy", "accuracy_keras"])]
    [('loss', 'loss', None, []), ('accuracy', 'accuracy', 'val_accuracy', ['accuracy_keras'])]
    >>> key_direction(None, "val_mae"), key_direction(None, "head_auc")
    (False, True)
    >>> [p.name for p in group_keys(["acc", "val_acc", "eval_seconds"], ["accuracy"])]
    ['acc']
    >>> canonical("val_acc"), canonical("head_mse"), canonical("loss")
    ('val_accuracy', 'head_mean_squared_error', 'loss')
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

VAL = "val_"
RUNNING = "_keras"
#: Panels of these names are drawn (and summarised) only when asked for by name.
HIDDEN = ("eval_seconds",)


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
        order = sorted((name for name in panels if not is_hidden(name)),
                       key=lambda name: name != "loss")
        return [panels[name] for name in order]
    if isinstance(metrics, str):
        metrics = [metrics]
    chosen: list[str] = []
    for name in metrics:
        found = _find(name, panels, keyset)
        if not found:
            raise ValueError(f"Unknown metric {name!r} at level={level!r}: the history's keys "
                             f"are {', '.join(keys) or '(none)'}.")
        chosen += [panel_name for panel_name in found if panel_name not in chosen]
    return [panels[name] for name in chosen]


def is_hidden(panel_name: str) -> bool:
    """Whether a panel is left out unless asked for (a timing key, not a metric)."""
    return panel_name in HIDDEN or panel_name.endswith(tuple("_" + h for h in HIDDEN))


def _find(name: str, panels: dict[str, Panel], keyset: set[str]) -> list[str]:
    """The panels ``name`` selects: its own, or else those of its aliases."""
    if name in panels:
        return [name]
    if name in keyset:
        return [split_key(name, keyset)[0]]
    wanted = canonical(split_key(name, set())[0])
    return [panel for panel in panels if canonical(panel) == wanted]


def canonical(name: str) -> str:
    """``name`` with its metric part in the registry's canonical spelling.

    The longest registered tail of the name's words is replaced: ``acc`` ->
    ``accuracy``, ``val_head_mse`` -> ``val_head_mean_squared_error``.
    """
    from fittrack.metrics.registry import NAMES

    words = name.split("_")
    for i in range(len(words)):
        tail = NAMES.get("_".join(words[i:]).lower())
        if tail is not None:
            return "_".join(words[:i] + [tail])
    return name


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
