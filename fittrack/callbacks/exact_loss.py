"""The exact loss: the compiled loss on a whole dataset, as ``model.evaluate`` has it.

For each output the compiled ``keras.losses.Loss`` object gives per-element
values (its ``call``, on the model's own predictions, in chunks); they are
reduced over the whole dataset the way Keras reduces one batch
(``keras/src/losses/loss.py``): with ``"sum_over_batch_size"``, the default,
``sum(L * w * m) / sum(m)`` with a mask ``m`` (masked timesteps left out, the
sum divided by the unmasked count) and ``sum(L * w) / size`` without one. The
total is ``sum(loss_weight * output loss)`` plus the model's regularisation
losses; ``<output>_loss`` keys hold the per-output values as Keras logs them
(unweighted). The result equals
``model.evaluate(x, y, batch_size=len(x))`` to
float32 rounding.
"""

from __future__ import annotations

import functools
import weakref
from dataclasses import dataclass
from typing import Any

import keras
import numpy as np

from fittrack.callbacks import compat

CHUNK_ROWS = 65536


@dataclass
class LossTerms:
    """Running sums of one output's loss over the chunks of a dataset."""

    loss: Any
    weighted: float = 0.0      # sum(L * w * m)
    valid: float = 0.0         # sum(m): the unmasked elements
    size: int = 0              # every element
    weight_sum: float = 0.0    # sum(w * m)
    masked: bool = False

    def add(self, y_true: Any, y_pred: np.ndarray, sample_weight: np.ndarray | None,
            mask: np.ndarray | None, values: np.ndarray | None = None,
            values_mask: np.ndarray | None = None) -> None:
        """Add one chunk of rows (targets, outputs, weights, output mask); ``values``
        are the loss's unreduced values when the inference step computed them, and
        ``values_mask`` the mask the loss attached to them (``ignore_class``), if any."""
        if values is not None:
            self._add(values, _combine(mask, values_mask, values.shape), sample_weight)
            return
        for start in range(0, len(y_pred), CHUNK_ROWS):
            rows = slice(start, start + CHUNK_ROWS)
            chunk, out_mask = per_element(self.loss, _take(y_true, rows), y_pred[rows])
            m = _combine(None if mask is None else mask[rows], out_mask, chunk.shape)
            self._add(chunk, m, None if sample_weight is None else sample_weight[rows])

    def _add(self, values: np.ndarray, mask: np.ndarray | None,
             sample_weight: np.ndarray | None) -> None:
        m = None if mask is None else _shaped(mask, values.shape).astype(np.float64)
        w = None if sample_weight is None else _weights(sample_weight, values.shape)
        self.masked = self.masked or m is not None
        wm = np.ones(values.shape) if w is None else w
        if m is not None:
            wm = wm * m
        self.weighted += float(np.sum(values * wm))
        self.valid += float(values.size if m is None else m.sum())
        self.size += int(values.size)
        self.weight_sum += float(np.sum(wm))

    def value(self) -> float:
        """The reduced loss (NaN without rows)."""
        reduction = getattr(self.loss, "reduction", "sum_over_batch_size")
        if reduction == "sum":
            return self.weighted
        if reduction == "mean_with_sample_weight":
            return _divide(self.weighted, self.weight_sum)
        if reduction in (None, "none"):
            return _divide(self.weighted, self.size)
        return _divide(self.weighted, self.valid if self.masked else self.size)


def per_element(loss: Any, y_true: Any, y_pred: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """The loss's unreduced values (float64) and the mask it attaches to them, if any."""
    if keras.backend.backend() == "jax" and not compat.is_tf_keras(loss):
        values, out_mask = _jitted(loss)(y_true, y_pred)
    else:
        values, out_mask = compat.unreduced_loss_and_mask(loss, y_true, y_pred)
    numpy = np.asarray if compat.is_tf_keras(loss) else keras.ops.convert_to_numpy
    as_np = np.asarray(numpy(values), dtype=np.float64)
    return as_np, None if out_mask is None else np.asarray(numpy(out_mask))


#: one ``jax.jit`` of each loss object's values: JAX compiles every eager op apart (a
#: cross-entropy on a sequence output: 0.8 s eagerly, 0.1 s compiled)
_JITTED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _jitted(loss: Any) -> Any:
    fn = _JITTED.get(loss)
    if fn is None:
        import jax

        fn = _JITTED[loss] = jax.jit(functools.partial(compat.unreduced_loss_and_mask, loss))
    return fn


def _take(y: Any, rows: slice) -> Any:
    return keras.tree.map_structure(lambda a: a[rows], y)


def _combine(mask: np.ndarray | None, out_mask: np.ndarray | None,
             shape: tuple) -> np.ndarray | None:
    """The output mask and the loss's own mask, shaped like the loss values."""
    masks = [_shaped(m, shape) for m in (mask, out_mask) if m is not None]
    if not masks:
        return None
    combined = masks[0]
    for other in masks[1:]:
        combined = combined & other
    return combined


def _shaped(mask: np.ndarray, shape: tuple) -> np.ndarray:
    m = mask.astype(bool)
    if m.ndim == len(shape) + 1 and m.shape[-1] == 1:
        m = m[..., 0]
    if m.shape != shape:
        m = np.broadcast_to(m.reshape(m.shape + (1,) * (len(shape) - m.ndim)), shape)
    return m


def _weights(w: np.ndarray, shape: tuple) -> np.ndarray:
    w = np.asarray(w, dtype=np.float64)
    if w.ndim == len(shape) + 1 and w.shape[-1] == 1:
        w = w[..., 0]
    if w.shape == shape:
        return w
    return np.broadcast_to(w.reshape(w.shape + (1,) * (len(shape) - w.ndim)), shape)


def _divide(num: float, den: float) -> float:
    return num / den if den else 0.0
