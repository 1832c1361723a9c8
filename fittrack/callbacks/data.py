"""Datasets the callback evaluates on: parsing, validation, subsets.

``train_data`` and ``validation_data`` are ``(x, y)`` or ``(x, y,
sample_weight)`` with ``x`` an array, a list of arrays or a dict of arrays
(multi-input models) and ``y`` an array, a list or a dict (multi-output
models). Backend tensors and pandas objects are read as NumPy arrays once.

Example:
    >>> import numpy as np
    >>> data = parse_data((np.zeros((5, 2)), np.arange(5)), "train_data")
    >>> data.n_rows, data.take(np.array([0, 3])).n_rows
    (5, 2)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

FORMS = ("(x, y) or (x, y, sample_weight) with NumPy arrays (a list or dict of arrays "
         "for multi-input x or multi-output y)")


def map_leaves(fn: Callable[[Any], Any], tree: Any) -> Any:
    """Apply ``fn`` to every array in a nest of lists, tuples and dicts."""
    if isinstance(tree, dict):
        return {k: map_leaves(fn, v) for k, v in tree.items()}
    if isinstance(tree, (list, tuple)):
        return type(tree)(map_leaves(fn, v) for v in tree)
    return fn(tree)


def leaves(tree: Any) -> list[Any]:
    """The arrays of a nest, in order."""
    out: list[Any] = []
    map_leaves(out.append, tree)
    return out


def concat_trees(trees: list[Any]) -> Any:
    """Concatenate nests of the same structure along their rows."""
    head = trees[0]
    if isinstance(head, dict):
        return {k: concat_trees([t[k] for t in trees]) for k in head}
    if isinstance(head, (list, tuple)):
        return type(head)(concat_trees([t[i] for t in trees]) for i in range(len(head)))
    return np.concatenate(trees)


def n_rows(tree: Any) -> int:
    """Rows of the first array of a nest."""
    return int(np.shape(leaves(tree)[0])[0]) if is_sparse(leaves(tree)[0]) \
        else len(leaves(tree)[0])


def take_rows(tree: Any, rows: np.ndarray | slice) -> Any:
    """The rows ``rows`` of every array of a nest (None stays None)."""
    if tree is None:
        return None
    return map_leaves(lambda a: a[rows], tree)


def is_sparse(value: Any) -> bool:
    """A ``scipy.sparse`` matrix or array (duck-typed: SciPy is not imported)."""
    return type(value).__module__.startswith("scipy.sparse")


def dense(value: Any) -> Any:
    """A batch of a sparse input as a dense array (models take dense batches)."""
    return value.toarray() if is_sparse(value) else value


RAGGED = ("fittrack evaluates dense batches; received a tf.RaggedTensor (rows of different "
          "lengths). Pad them to one length per batch (dataset.padded_batch(...) or "
          "keras.utils.pad_sequences) and mask the padding (Embedding(mask_zero=True) or "
          "Masking): fittrack then leaves the padded steps out, as Keras does.")


def to_numpy(value: Any) -> Any:
    """A NumPy view or copy of an array-like (NumPy, pandas, TF, JAX, torch).

    ``scipy.sparse`` inputs stay sparse (batches are made dense one at a time);
    a ``tf.SparseTensor`` becomes a ``scipy.sparse`` CSR matrix.
    """
    if isinstance(value, np.ndarray) or is_sparse(value):
        return value
    if type(value).__name__ == "SparseTensor" and hasattr(value, "dense_shape"):
        from scipy import sparse

        indices = np.asarray(value.indices)
        return sparse.csr_matrix((np.asarray(value.values), (indices[:, 0], indices[:, 1])),
                                 shape=tuple(np.asarray(value.dense_shape)))
    if type(value).__name__ == "RaggedTensor":
        raise ValueError(RAGGED)
    if hasattr(value, "detach") and hasattr(value, "cpu"):  # torch
        return value.detach().cpu().numpy()
    if hasattr(value, "to_numpy"):  # pandas
        return value.to_numpy()
    return np.asarray(value)


@dataclass
class ArrayData:
    """An in-memory dataset: inputs, targets, optional weights, all NumPy."""

    x: Any
    y: Any
    sample_weight: Any    # None, (n,), (n, T), or a list/dict of those per output
    n_rows: int

    def take(self, rows: np.ndarray) -> ArrayData:
        """A copy holding only ``rows`` (sorted indices)."""
        return ArrayData(take_rows(self.x, rows), take_rows(self.y, rows),
                         take_rows(self.sample_weight, rows), len(rows))


def parse_data(data: Any, role: str) -> ArrayData | None:
    """Validate ``train_data``/``validation_data`` and convert it to :class:`ArrayData`.

    Raises:
        TypeError: an unsupported form (the message lists the supported ones).
        ValueError: mismatched lengths, no rows, or non-numeric arrays.
    """
    if data is None:
        return None
    if not isinstance(data, (tuple, list)) or len(data) not in (2, 3):
        got = f"a {type(data).__name__}"
        if isinstance(data, (tuple, list)):
            got += f" of length {len(data)}"
        raise TypeError(f"{role} must be {FORMS}; received {got}. Pass {role}=(x, y).")
    x, y = map_leaves(to_numpy, data[0]), map_leaves(to_numpy, data[1])
    w = None if len(data) == 2 or data[2] is None else map_leaves(to_numpy, data[2])
    _check_numeric(x, f"{role}: x")
    _check_numeric(y, f"{role}: y (the labels/targets)")
    n_rows = _common_length(role, x, y, w)
    return ArrayData(x, y, parse_weights(w, role), n_rows)


def parse_weights(w: Any, role: str) -> Any:
    """Sample weights as float64: one per sample ``(n,)`` or per timestep ``(n, T)``,
    or a list/dict of those per output (a trailing axis of 1 is dropped)."""
    if w is None:
        return None
    if isinstance(w, (dict, list, tuple)):
        return map_leaves(lambda a: parse_weights(a, role), w)
    w = np.asarray(w, dtype=np.float64)
    if w.ndim >= 2 and w.shape[-1] == 1:
        w = w[..., 0]
    if w.ndim not in (1, 2):
        raise ValueError(f"{role}: sample_weight must have shape (n,), one weight per sample, "
                         f"or (n, T), one per timestep of a sequence output; received shape "
                         f"{w.shape}.")
    return w


def _common_length(role: str, x: Any, y: Any, w: Any) -> int:
    parts = [("x", a) for a in leaves(x)] + [("y", a) for a in leaves(y)]
    if w is not None:
        parts += [("sample_weight", a) for a in leaves(w)]
    lengths: dict[str, set[int]] = {}
    for name, arr in parts:
        if np.ndim(arr) == 0:
            raise ValueError(f"{role}: {name} is a scalar; expected one entry per sample.")
        lengths.setdefault(name, set()).add(int(np.shape(arr)[0]))
    distinct = set().union(*lengths.values())
    if len(distinct) > 1:
        described = ", ".join(f"{k} has {sorted(v)} rows" for k, v in lengths.items())
        raise ValueError(
            f"{role}: x, y and sample_weight must have the same number of rows; {described}. "
            "Check that they come from the same split.")
    n_rows = distinct.pop()
    if n_rows == 0:
        raise ValueError(f"{role} has no rows; pass at least one sample, or None to skip it.")
    return n_rows


def _check_numeric(tree: Any, what: str) -> None:
    for arr in leaves(tree):
        if arr.dtype.kind not in "biuf":
            raise TypeError(
                f"{what} must be numeric; received an array of dtype {arr.dtype}. Encode "
                "strings or objects as numbers first (e.g. sklearn.preprocessing."
                "LabelEncoder for class names).")


