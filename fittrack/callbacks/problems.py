"""What each model output is, decided once from the model: its :class:`Problem`.

The kind of problem (binary, multi-class, multi-label) and whether the output
is logits are read from the compiled loss of the output and the activation of
the layer that produces it, never from one dataset's labels:

- a binary cross-entropy (or binary focal) loss: one unit is binary, several
  units are multi-label; a categorical or sparse categorical cross-entropy:
  two units are binary (class 1 positive), more are multi-class;
- otherwise the activation: sigmoid as binary cross-entropy, softmax as
  categorical;
- ``from_logits`` from the loss (``BinaryCrossentropy(from_logits=True)``), unless
  the user said it (``MetricsCallback(from_logits=...)``).

An output neither says anything about is left to the first batch's labels,
once, for the whole run.

Example:
    >>> loss_kind("binary_crossentropy"), loss_from_logits("binary_crossentropy")
    ('binary', False)
"""

from __future__ import annotations

import functools
import inspect
from typing import Any

import keras

from fittrack.callbacks import compat
from fittrack.metrics import Problem
from fittrack.metrics.context import Task

BINARY_LOSSES = ("binary_crossentropy", "binary_focal_crossentropy", "bce",
                 "binarycrossentropy", "binaryfocalcrossentropy")
CATEGORICAL_LOSSES = ("categorical_crossentropy", "sparse_categorical_crossentropy",
                      "categorical_focal_crossentropy", "categoricalcrossentropy",
                      "sparsecategoricalcrossentropy", "categoricalfocalcrossentropy")


def loss_kind(loss: Any) -> str | None:
    """``"binary"``, ``"categorical"`` or None for a loss (name, object or function)."""
    name = _loss_name(loss)
    if name in BINARY_LOSSES:
        return "binary"
    if name in CATEGORICAL_LOSSES:
        return "categorical"
    return None


def loss_from_logits(loss: Any) -> bool | None:
    """The loss's ``from_logits`` (None when it has no such argument)."""
    if isinstance(loss, str):
        try:
            loss = keras.losses.get(loss)
        except (ValueError, TypeError):
            return None
    if hasattr(loss, "from_logits"):
        return bool(loss.from_logits)
    kwargs = getattr(loss, "_fn_kwargs", None) or {}
    if "from_logits" in kwargs:
        return bool(kwargs["from_logits"])
    loss = getattr(loss, "fn", loss)
    if isinstance(loss, functools.partial):
        if "from_logits" in loss.keywords:
            return bool(loss.keywords["from_logits"])
        loss = loss.func
    try:
        param = inspect.signature(loss).parameters.get("from_logits")
    except (TypeError, ValueError):
        return None
    return None if param is None or param.default is inspect.Parameter.empty else bool(
        param.default)


def _loss_name(loss: Any) -> str | None:
    if loss is None:
        return None
    if isinstance(loss, str):
        return loss.lower()
    inner = getattr(loss, "fn", None)
    if inner is not None:
        loss = inner
    while isinstance(loss, functools.partial):
        loss = loss.func
    name = getattr(loss, "__name__", None) or type(loss).__name__
    return name.lower()


def output_activation(layer: Any) -> str | None:
    """``"softmax"``, ``"sigmoid"``, ``"linear"``... of the layer producing an output."""
    if layer is None:
        return None
    if type(layer).__name__ == "Softmax":
        return "softmax"
    act = getattr(layer, "activation", None)
    inner = getattr(layer, "layer", None)  # TimeDistributed, Bidirectional
    if act is None and inner is not None:
        act = getattr(inner, "activation", None)
    if act is None:
        return None
    return getattr(act, "__name__", type(act).__name__).lower()


def decide(loss: Any, activation: str | None, units: int,
           from_logits: bool | None) -> Problem:
    """The :class:`Problem` of one output from its loss, activation and units."""
    kind = loss_kind(loss)
    if kind is None and activation in ("sigmoid", "softmax"):
        kind = "binary" if activation == "sigmoid" else "categorical"
    task: Task | None = None
    if kind == "binary":
        task = "binary" if units == 1 else "multilabel"
    elif kind == "categorical":
        task = "binary" if units == 2 else ("multiclass" if units > 2 else None)
    if from_logits is None:
        from_logits = loss_from_logits(loss) if kind is not None else None
    return Problem(task, bool(from_logits))


def losses_by_output(model: Any, keys: list) -> list[Any]:
    """The compiled loss of each output (None where there is none)."""
    built = compat.compiled_losses(model)
    if built is not None:
        out: list[Any] = [None] * len(keys)
        for entry in built:
            index = path_index(entry.path, keys)
            if index is not None:
                out[index] = entry.loss
        return out
    user = compat.user_losses(model)
    if isinstance(user, dict):
        return [user.get(k) for k in keys]
    if isinstance(user, (list, tuple)):
        return list(user) + [None] * (len(keys) - len(user))
    return [user] * len(keys)


def path_index(path: tuple, keys: list) -> int | None:
    """Position of the output a compiled loss reads (its path) among ``keys``."""
    if not path:
        return 0 if keys else None
    head = path[0]
    if isinstance(head, str):
        return keys.index(head) if head in keys else None
    return head if isinstance(head, int) and head < len(keys) else None
