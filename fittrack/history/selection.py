"""Which panels a figure draws: the runs' keys merged by metric, the selection, the cap.

With several runs, a metric's keys are matched across runs by their
canonical names (a Keras 2 file's ``acc`` shares the panel of another run's
``accuracy``); a panel's title is the first run's spelling. The cap on the
number of panels is applied here, to the list of panels, before anything is
built per panel or per column (a 10,000-column file draws its first
``max_panels`` panels and says how to choose others).

Example:
    >>> plan = plan_panels([["loss", "acc", "val_acc"], ["loss", "accuracy", "val_accuracy"]])
    >>> [(stack.title, [part.val for part in stack.parts]) for stack in plan.stacks]
    [('loss', [None, None]), ('acc', ['val_acc', 'val_accuracy'])]
    >>> plan = plan_panels([[f"m{i}" for i in range(50)]], max_panels=20)
    >>> len(plan.stacks), plan.total
    (20, 50)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from fittrack.history.groups import (
    RUNNING,
    VAL,
    Panel,
    canonical,
    group_keys,
    split_key,
)

#: Default cap on the number of panels drawn when no metrics are chosen.
MAX_PANELS = 20


@dataclass
class Stack:
    """One panel of the figure: the keys each run draws on it (None: the run has none)."""

    title: str
    parts: list[Panel | None]


@dataclass
class Plan:
    """The panels to draw, and how many there were before the cap."""

    stacks: list[Stack]
    total: int

    @property
    def capped(self) -> bool:
        """Whether panels were left out by the cap."""
        return self.total > len(self.stacks)

    def cap_message(self) -> str:
        """What was left out and how to choose (names ``metrics=`` and ``--metrics``)."""
        return (f"{self.total} metrics to plot; drawing the first {len(self.stacks)} "
                f"({', '.join(s.title for s in self.stacks[:3])}, ...). Choose panels with "
                f"metrics=[...] (fittrack plot --metrics NAME ...), or raise max_panels=.")


def plan_panels(keys_by_run: Sequence[Sequence[str]], metrics: str | Sequence[str] | None = None,
                level: str = "epoch", max_panels: int | None = MAX_PANELS) -> Plan:
    """The panels for runs with these keys (one key list per run).

    ``metrics`` chooses panels by name, key or alias, in that order (never
    capped); without it every panel except timing keys is drawn, up to
    ``max_panels`` (None: no cap).

    Raises:
        ValueError: a name in ``metrics`` that no run has.
    """
    if max_panels is not None and (isinstance(max_panels, bool) or max_panels < 1):
        raise ValueError(f"max_panels must be a positive integer or None; received "
                         f"{max_panels!r}.")
    if len(keys_by_run) == 1:
        stacks = [Stack(p.name, [p]) for p in group_keys(keys_by_run[0], metrics, level)]
    else:
        maps = [_canonical_keys(keys) for keys in keys_by_run]
        union = list(dict.fromkeys(key for mapping in maps for key in mapping))
        stacks = [_stack(panel, maps, keys_by_run) for panel in group_keys(union, metrics, level)]
    total = len(stacks)
    if metrics is None and max_panels is not None:
        stacks = stacks[:max_panels]
    return Plan(stacks, total)


def _stack(panel: Panel, maps: list[dict[str, str]], keys_by_run: Sequence[Sequence[str]]
           ) -> Stack:
    """The merged ``panel`` split back into each run's own keys."""
    parts: list[Panel | None] = []
    for mapping, keys in zip(maps, keys_by_run):
        train, val = mapping.get(panel.train or ""), mapping.get(panel.val or "")
        running = [mapping[key] for key in panel.running if key in mapping]
        first = train or val or (running[0] if running else None)
        name = split_key(first, set(keys))[0] if first else panel.name
        parts.append(Panel(name, train, val, running) if first else None)
    title = next((part.name for part in parts if part is not None), panel.name)
    return Stack(title, parts)


def _canonical_keys(keys: Sequence[str]) -> dict[str, str]:
    """``{canonical key: key}`` for one run's keys, in their order.

    A key keeps its own spelling when its canonical one is taken by another
    key of the same run (a file with both ``acc`` and ``accuracy``).
    """
    keyset = set(keys)
    wanted = {key: _canonical_key(key, keyset) for key in keys}
    taken = {key for key in keys if wanted[key] == key}
    mapping: dict[str, str] = {}
    for key in keys:
        target = wanted[key] if wanted[key] == key or wanted[key] not in taken else key
        taken.add(target)
        mapping[target] = key
    return mapping


def _canonical_key(key: str, keyset: set[str]) -> str:
    name, role = split_key(key, keyset)
    name = canonical(name)
    return {"train": name, "val": VAL + name, "train_running": name + RUNNING,
            "val_running": VAL + name + RUNNING}[role]
