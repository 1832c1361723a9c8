"""Model outputs as metrics need them: a float dtype, probabilities from logits.

Outputs stay in the dtype the model produced (float32 as ``model.predict``
returns it; float16 and bfloat16 are cast to float32 first). Logits become
probabilities with a numerically stable sigmoid (one unit per label) or
softmax (one unit per class), computed in float64.

Example:
    >>> import numpy as np
    >>> sigmoid(np.array([0.0, 40.0, -800.0])).tolist()
    [0.5, 1.0, 0.0]
    >>> softmax(np.array([[0.0, 0.0], [1000.0, 0.0]])).tolist()
    [[0.5, 0.5], [1.0, 0.0]]
    >>> logit(0.5), scorable(np.zeros(2, dtype=np.float16)).dtype
    (0.0, dtype('float32'))
"""

from __future__ import annotations

import numpy as np


def scorable(y_pred: np.ndarray) -> np.ndarray:
    """Outputs in a float dtype NumPy computes with: float32/float64 as they are,
    half precision (float16, bfloat16) and integers cast to float32."""
    if y_pred.dtype in (np.float32, np.float64):
        return y_pred
    if y_pred.dtype.kind == "f" or y_pred.dtype.name == "bfloat16":
        return y_pred.astype(np.float32)
    if y_pred.dtype.kind in "biu":
        return y_pred.astype(np.float32)
    raise TypeError(
        f"y_pred must hold numbers; received an array of dtype {y_pred.dtype}. "
        "Model outputs are floats: check what is passed as predictions.")


def sigmoid(logits: np.ndarray) -> np.ndarray:
    """``1 / (1 + exp(-x))`` in float64, without overflow for large ``|x|``."""
    x = np.asarray(logits, dtype=np.float64)
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def softmax(logits: np.ndarray) -> np.ndarray:
    """Softmax over the last axis in float64 (the maximum subtracted first)."""
    x = np.asarray(logits, dtype=np.float64)
    z = np.exp(x - x.max(axis=-1, keepdims=True))
    z /= z.sum(axis=-1, keepdims=True)
    return z


def log_odds(logits: np.ndarray) -> np.ndarray:
    """Each class's log-odds under the softmax, ``log(p_c / (1 - p_c))``, in float64.

    Ordered as the softmax probabilities, but without their rounding: in float64 a
    class whose logit leads the others by more than about 37 gets ``p = 1.0``
    exactly, tied with every other such row. The ranking metrics of a logits
    output rank by these (as a one-unit output is ranked by its logits).
    Two columns: ``z1 - z0`` and ``z0 - z1``. Otherwise ``z_c - log(sum_{j != c}
    exp(z_j))``, from the largest logit (``m``) and the second largest (``m2``):
    ``-log(sum_{j != top} exp(z_j - m))`` for the top class, computed from ``m2``
    where that sum underflows, and ``(z_c - m) - log1p(rest - exp(z_c - m))``
    for the others.

    >>> log_odds(np.array([[0.0, 50.0], [0.0, 40.0]]))[:, 1].tolist()
    [50.0, 40.0]
    >>> p = softmax(np.array([[1.0, 2.0, 3.0]]))
    >>> bool(np.allclose(log_odds(np.array([[1.0, 2.0, 3.0]])), np.log(p / (1 - p))))
    True
    """
    x = np.asarray(logits, dtype=np.float64)
    if x.shape[-1] == 2:
        d = x[..., 1] - x[..., 0]
        return np.stack([-d, d], axis=-1)
    top = x.argmax(axis=-1)[..., None]
    m = np.take_along_axis(x, top, -1)
    e = np.exp(x - m)
    np.put_along_axis(e, top, 0.0, -1)
    rest = e.sum(axis=-1, keepdims=True)       # the other classes, relative to the top one
    out = (x - m) - np.log1p(rest - e)         # log sum_{j != c} e_j = log(1 + rest - e_c)
    with np.errstate(divide="ignore"):
        best = -np.log(rest)
    tiny = rest < 1e-250                       # the others far below: from the second largest
    if tiny.any():
        rows = tiny[..., 0]
        xr = x[rows]
        np.put_along_axis(xr, top[rows], -np.inf, -1)
        m2 = xr.max(axis=-1, keepdims=True)
        best[rows] = (m[rows] - m2) - np.log(np.exp(xr - m2).sum(axis=-1, keepdims=True))
    np.put_along_axis(out, top, best, -1)
    return out


def logit(p: float) -> float:
    """The logit whose sigmoid is ``p``: a probability threshold in logit space."""
    if p <= 0.0:
        return -np.inf
    if p >= 1.0:
        return np.inf
    return float(np.log(p) - np.log1p(-p))


def probabilities(y_pred: np.ndarray, task: str | None, logits: bool) -> np.ndarray:
    """Probabilities in float64: the outputs, or their sigmoid/softmax for logits.

    A multi-class output (``task == "multiclass"``, or a two-column binary
    softmax) gets a softmax over its columns; one-unit binary and multi-label
    outputs get a sigmoid per unit.
    """
    if not logits:
        return np.asarray(y_pred, dtype=np.float64)
    if y_pred.shape[-1] > 1 and task in ("multiclass", "binary"):
        return softmax(y_pred)
    return sigmoid(y_pred)
