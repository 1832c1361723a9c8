"""Hand large NumPy inputs to a TensorFlow step without a fresh allocation per batch.

TensorFlow turns each NumPy argument of a ``tf.function`` into a tensor by
copying it into newly allocated memory (``convert_to_eager_tensor``), then frees
that memory after the call: for an MLP's batch of 1024 x 784 float32 values
(3.2 MB) the allocation, its page faults and its release cost more than the
copy itself (TensorFlow, 60k rows: 5-20% of the prediction). :class:`InputStaging`
copies each large input instead into a buffer of its own, allocated once,
aligned as TensorFlow's kernels require (64 bytes), and hands it over without
a second copy (DLPack). The values are the same bytes either way.

The compiled step is traced once with the batch axis left open
(:func:`trace_any_batch_size`): sets of every size share its graph.

Inputs predicted at every evaluation (the monitor subsets of batch-level
evaluations) are converted once instead (:func:`resident`): JAX and TensorFlow
then skip the copy to the device at each of them.

The buffer is overwritten at the next batch, so an output that TensorFlow
returns as the input itself (an identity output) would change with it:
:meth:`InputStaging.holds` tells the step to copy such an output. Inputs
under a ``tf.distribute`` strategy, small inputs (below 64 KiB), large ones
(above 64 MiB, whose buffer would stay allocated) and dtypes DLPack does not
carry go to TensorFlow as they are.

Example:
    >>> staging = InputStaging()
    >>> x = np.ones((1024, 784), dtype=np.float32)
    >>> tensor = staging.stage(x)          # a tf.Tensor backed by the staging buffer
    >>> staging.holds(np.asarray(tensor))
    True
"""

from __future__ import annotations

from typing import Any

import numpy as np

from fittrack.callbacks.data import leaves, map_leaves

#: inputs smaller than this go to TensorFlow as they are (its copy is cheap there)
MIN_BYTES = 1 << 16
#: nor larger ones (a batch of images): their buffer would stay allocated between
#: evaluations, and the model's own work on them dwarfs the copy
MAX_BYTES = 64 << 20
#: TensorFlow's kernels require their inputs aligned to this many bytes
ALIGN = 64
#: inputs kept as the backend's tensors (:func:`resident`) up to this many bytes
RESIDENT_MAX_BYTES = 256 << 20


class InputStaging:
    """Reusable aligned buffers, one per input of the step."""

    def __init__(self) -> None:
        self._buffers: dict[tuple[str, int], np.ndarray] = {}

    def stage(self, x: Any, group: str = "x") -> Any:
        """``x`` with each large NumPy array replaced by a tensor over its staging buffer
        (``group`` names the argument: the inputs and the targets get buffers of their own)."""
        import tensorflow as tf

        if x is None or tf.distribute.has_strategy():
            return x
        if isinstance(x, np.ndarray):
            return self._leaf((group, 0), x)
        flat = tf.nest.flatten(x)
        return tf.nest.pack_sequence_as(
            x, [self._leaf((group, i), a) for i, a in enumerate(flat)])

    def holds(self, array: np.ndarray) -> bool:
        """Whether ``array`` may be (a view of) a staging buffer."""
        return any(np.may_share_memory(array, b) for b in self._buffers.values())

    def _leaf(self, key: tuple[str, int], a: Any) -> Any:
        if not (isinstance(a, np.ndarray) and MIN_BYTES <= a.nbytes <= MAX_BYTES
                and a.dtype.kind in "fiu" and a.dtype.isnative):
            return a
        buf = self._buffers.get(key)
        if buf is None or buf.nbytes < a.nbytes:
            buf = self._buffers[key] = _aligned_bytes(a.nbytes)
        view = buf[: a.nbytes].view(a.dtype).reshape(a.shape)
        np.copyto(view, a)
        try:
            from tensorflow.experimental import dlpack

            return dlpack.from_dlpack(view.__dlpack__())
        except Exception:  # any refusal (an old TensorFlow, a dtype): TensorFlow's own copy
            return a


def resident(x: Any, backend: str) -> Any:
    """``x`` with its NumPy arrays converted to the backend's tensors, once, for inputs
    predicted again and again; ``x`` itself on PyTorch (whose tensors share NumPy's
    memory), with several JAX processes or a ``tf.distribute`` strategy (each worker's
    step places its inputs itself), and beyond :data:`RESIDENT_MAX_BYTES`."""
    def convertible(a: Any) -> bool:
        return isinstance(a, np.ndarray) and a.dtype.kind in "fiub"

    arrays = [a for a in leaves(x) if convertible(a)]
    if backend not in ("jax", "tensorflow", "tf_keras") or not arrays \
            or sum(a.nbytes for a in arrays) > RESIDENT_MAX_BYTES:
        return x
    put: Any
    if backend == "jax":
        import jax

        if jax.process_count() > 1:
            return x
        put = jax.device_put
    else:
        import tensorflow as tf

        if tf.distribute.has_strategy():
            return x
        put = tf.convert_to_tensor
    return map_leaves(lambda a: put(a) if convertible(a) else a, x)


def _aligned_bytes(n: int) -> np.ndarray:
    """``n`` bytes starting at a multiple of :data:`ALIGN`."""
    raw = np.empty(n + ALIGN, dtype=np.uint8)
    start = -raw.ctypes.data % ALIGN
    return raw[start: start + n]


def trace_any_batch_size(fn: Any, x: Any, targets: Any) -> Any:
    """Trace a ``tf.function`` once for any number of rows (the batch axis ``None``), so
    that sets of other sizes reuse the graph instead of tracing it again (a second trace
    of a recurrent model costs seconds); returns that concrete function. A model that
    cannot be traced so (a static batch size in its ``call``) is traced on first call,
    per shape, as before (None returned)."""
    import tensorflow as tf

    def spec(leaf: Any) -> Any:
        if leaf is None or not hasattr(leaf, "shape") or len(leaf.shape) == 0:
            return leaf
        return tf.TensorSpec((None, *tuple(leaf.shape)[1:]), tf.as_dtype(leaf.dtype))

    try:
        return fn.get_concrete_function(
            tf.nest.map_structure(spec, x),
            None if targets is None else tf.nest.map_structure(spec, targets))
    except Exception:  # any failure: the first call traces per shape, as before
        return None


def fits(concrete: Any, args: tuple) -> bool:
    """Whether ``args`` fit the concrete function's signature exactly: the same structure,
    every array of the same dtype and rank and the same inner dimensions (so calling it,
    rather than the ``tf.function``, skips the per-call matching and never casts)."""
    import tensorflow as tf

    specs = concrete.structured_input_signature[0]
    try:
        tf.nest.assert_same_structure(specs, args)
    except (TypeError, ValueError):
        return False
    for spec, leaf in zip(tf.nest.flatten(specs), tf.nest.flatten(args)):
        if isinstance(spec, tf.TensorSpec):   # dense arrays only (not ragged, not sparse)
            if not isinstance(leaf, (np.ndarray, tf.Tensor)) or \
                    tf.as_dtype(leaf.dtype) != spec.dtype or \
                    not spec.shape.is_compatible_with(tuple(leaf.shape)):
                return False
        elif spec is not leaf and spec != leaf:
            return False
    return True
