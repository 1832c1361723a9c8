"""Backend tensors to NumPy: the one leaf of ``metrics/`` that may import Keras.

A user metric written with ``keras.ops`` returns a backend tensor (JAX, TF or
torch); NumPy reads most of them directly, and Keras converts the rest.
Keras is imported only when NumPy cannot read the value.

Example:
    >>> result_array(3).tolist(), result_array([0.5, 0.25]).dtype
    (3.0, dtype('float64'))
"""

from __future__ import annotations

from typing import Any

import numpy as np


def result_array(value: Any) -> np.ndarray:
    """A metric's result as a float64 NumPy array, whatever backend tensor it is."""
    try:
        arr = np.asarray(value)
    except (TypeError, ValueError, RuntimeError):
        arr = np.asarray(convert_to_numpy(value))
    return arr if arr.dtype.kind == "c" else arr.astype(np.float64)


def convert_to_numpy(value: Any) -> np.ndarray:
    """``keras.ops.convert_to_numpy``, for tensors NumPy cannot read directly."""
    import keras

    return keras.ops.convert_to_numpy(value)
