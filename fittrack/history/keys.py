"""The key grammar, and which way is better for a key: the one place that decides.

A key reads ``[val_][<output>_]<metric>[_<i>][_keras]``: ``val_`` for the
validation data, an output-name prefix on multi-output models, ``_<i>`` for
one element of a vector metric (per-class F1), ``_keras`` for Keras' running
value kept next to the exact one. ``epoch``, ``step`` and ``batch`` name the
index columns of the files and are not keys.

The direction of a key (True: greater is better, False: lower is better,
None: unknown) is, in this order:

1. recorded metadata (:meth:`MetricHistory.set_greater_is_better`, saved in
   the ``.meta.json`` sidecar of the files): the key itself, then the key
   without ``val_``, ``_keras`` and the element index. A recorded None (a user
   function with no declared direction) is final: no rule overrides it;
2. the metric registry (:func:`fittrack.metrics.registry.lookup`), after
   peeling ``val_``, ``_keras``, an element index and output-name prefixes;
3. for keys with no metadata, the name rules: losses and errors are
   lower-is-better, accuracies and scores higher-is-better;
4. otherwise None: no best epoch is guessed.

Example:
    >>> key_direction("val_cosine_0"), key_direction("val_head_auc_keras")
    (False, True)
    >>> key_direction("my_error"), key_direction("my_score"), key_direction("median_thing")
    (False, True, None)
    >>> key_direction("val_median_ae", {"median_ae": None}), key_direction("val_x", {"x": False})
    (None, False)
    >>> parse_key("val_out_f1_2_keras")
    KeyParts(val=True, name='out_f1', element=2, keras=True)
    >>> best_position([0.3, float("nan"), 0.1, 0.1], greater=False)
    2
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import NamedTuple

import numpy as np

VAL = "val_"
RUNNING = "_keras"
#: Index columns of the CSV files; refused as keys.
RESERVED = ("step", "epoch", "batch")


class KeyParts(NamedTuple):
    """A key split by the grammar; ``name`` is ``[<output>_]<metric>``."""

    val: bool
    name: str
    element: int | None   # the ``_<i>`` of one element of a vector metric
    keras: bool


def parse_key(key: str) -> KeyParts:
    """Split ``key`` into its ``val_`` flag, name, element index and ``_keras`` flag.

    Example:
        >>> parse_key("loss"), parse_key("val_f1_3")
        (KeyParts(val=False, name='loss', element=None, keras=False), \
KeyParts(val=True, name='f1', element=3, keras=False))
    """
    val = key.startswith(VAL) and len(key) > len(VAL)
    name = key[len(VAL):] if val else key
    keras = name.endswith(RUNNING) and len(name) > len(RUNNING)
    name = name[: -len(RUNNING)] if keras else name
    head, _, tail = name.rpartition("_")
    index = None
    if head and tail.isdigit() and tail.isascii():
        name, index = head, int(tail)
    return KeyParts(val, name, index, keras)


def metadata_names(key: str) -> list[str]:
    """Names a recorded direction of ``key`` may be stored under, most specific first.

    Example:
        >>> metadata_names("val_f1_0_keras")
        ['val_f1_0_keras', 'val_f1_0', 'val_f1', 'f1_0_keras', 'f1_0', 'f1']
    """
    parts = parse_key(key)
    indexed = parts.name if parts.element is None else f"{parts.name}_{parts.element}"
    bases = [indexed + RUNNING] if parts.keras else []
    bases += [indexed, parts.name]
    prefixes = [VAL, ""] if parts.val else [""]
    names = [key]
    for prefix in prefixes:
        names += [prefix + base for base in bases]
    return list(dict.fromkeys(names))


def registry_direction(key: str) -> bool | None:
    """The direction of the built-in metric ``key`` names (output prefixes peeled), if any.

    A prefix that is itself a metric's name is not peeled as an output name: a
    user's ``f1_fn`` is an F1 function, not false negatives of an output ``f1``.

    Example:
        >>> registry_direction("val_out_1_mse"), registry_direction("val_median_ae")
        (False, None)
        >>> registry_direction("val_f1_fn"), registry_direction("val_head_fn")
        (None, False)
    """
    from fittrack.metrics.registry import lookup  # pure NumPy

    parts = parse_key(key)
    names = [parts.name] if parts.element is None else [f"{parts.name}_{parts.element}", parts.name]
    for name in names:
        words = name.split("_")
        for i in range(len(words)):
            if i and lookup("_".join(words[:i])) is not None:
                break                  # the words before are a metric: not an output name
            spec = lookup("_".join(words[i:]))
            if spec is not None:
                return bool(spec.greater_is_better)
    return None


def name_rule_direction(key: str) -> bool | None:
    """The direction the name suggests: losses and errors lower, scores higher, else None.

    Example:
        >>> [name_rule_direction(k) for k in ("val_loss", "LogCoshError", "f1_score", "x")]
        [False, False, True, None]
    """
    from fittrack.metrics.naming import name_direction  # pure Python

    return name_direction(parse_key(key).name)


def key_direction(key: str, recorded: Mapping[str, bool | None] | None = None, *,
                  guess: bool = True) -> bool | None:
    """True if greater is better for ``key``, False if lower, None if unknown.

    ``recorded`` holds recorded directions (metadata); ``guess=False`` turns the
    registry and the name rules off (metadata that could not be read).
    """
    if recorded is not None:
        for name in metadata_names(key):
            if name in recorded:
                value = recorded[name]
                return None if value is None else bool(value)
    if not guess:
        return None
    registered = registry_direction(key)
    return registered if registered is not None else name_rule_direction(key)


def check_direction(name: object, greater: object) -> bool | None:
    """Validate a ``(name, greater_is_better)`` pair; return the direction as bool or None.

    Example:
        >>> check_direction("auc", np.True_), check_direction("my_metric", None)
        (True, None)
    """
    if not isinstance(name, str) or not name:
        raise TypeError(f"a metric name must be a non-empty string; received {name!r}.")
    if greater is None or isinstance(greater, (bool, np.bool_)):
        return None if greater is None else bool(greater)
    raise TypeError(f"greater_is_better for {name!r} must be True, False or None "
                    f"(unknown); received {greater!r}.")


def check_key(key: str) -> None:
    """Refuse a key the files could not hold: empty, an index column's name, a line break.

    Example:
        >>> check_key("val_auc")
        >>> check_key("epoch")
        Traceback (most recent call last):
        ...
        ValueError: 'epoch' cannot be a metric key: epoch, step and batch name the index ...
    """
    if not key:
        raise ValueError("a metric key cannot be empty: a CSV header needs a name for each "
                         "column. Name the metric.")
    if key in RESERVED:
        raise ValueError(f"{key!r} cannot be a metric key: epoch, step and batch name the index "
                         f"columns of the history and its CSV files. Rename the metric "
                         f"(e.g. make_metric(fn, name='{key}_metric')).")
    if any(c in key for c in "\r\n\x00"):
        raise ValueError(f"the metric key {key!r} holds a line break or a NUL character, which "
                         f"a CSV header line cannot hold; rename the metric.")


def best_position(values: Sequence[float], greater: bool | None) -> int | None:
    """Index of the first best finite value; None if no value is finite or the
    direction is unknown (``greater=None``: no best epoch is guessed).
    """
    if greater is None:
        return None
    array = np.asarray(values, dtype=np.float64)
    finite = np.isfinite(array)
    if not finite.any():
        return None
    masked = np.where(finite, array, -np.inf if greater else np.inf)
    return int(np.argmax(masked) if greater else np.argmin(masked))
