"""Objects between the worker processes of a run, through the engine's all-gather
(JAX's multi-host utilities, or TensorFlow's collective ops under
``MultiWorkerMirroredStrategy``).

Every worker calls every exchange, in the same order: a collective that only
some workers call waits forever. So an error on one worker is sent to all,
and all raise it. Objects are pickled; uneven sizes are padded, never counted
twice: each worker's row holds its length, then its bytes, padded to the room
that exchange site needed last time (the same on every worker), so a pass
whose sizes hold takes one gather; a payload that does not fit takes a second
gather, wide enough for the longest.

Example:
    >>> Exchange(0, 1, None).exchange(lambda: {"rows": 3}, "the validation_data")
    [{'rows': 3}]
    >>> _bucket(1000), _bucket(1025)
    (1024, 1152)
"""

from __future__ import annotations

import itertools
import pickle
from collections.abc import Callable
from typing import Any, Protocol

import numpy as np


class Collective(Protocol):
    """``allgather(a)``: every worker's ``a`` (same shape and dtype on all), stacked."""

    def allgather(self, array: np.ndarray) -> np.ndarray: ...


class JaxCollective:
    """JAX's multi-host all-gather."""

    def allgather(self, array: np.ndarray) -> np.ndarray:
        from jax.experimental import multihost_utils

        return np.asarray(multihost_utils.process_allgather(array))


class TfCollective:
    """TensorFlow's all-gather between the workers of a ``MultiWorkerMirroredStrategy``.

    One ``CollectiveGatherV2`` on each worker's CPU, in a group of the workers
    alone (one member per worker, whatever devices it trains on) under a group
    key of its own, clear of the strategy's (small integers from 1); it runs
    eagerly and locally, in the callback's cross-replica context, and no
    training step is in flight at a callback hook. The first gather of each
    instance sends the workers' indices, so the rows come back in worker order
    whatever ranks TensorFlow gives the group's members. No timeout by default,
    as for the strategy's own collectives: when a worker dies TensorFlow aborts
    them (``UnavailableError`` at once on localhost); with ``timeout_seconds``
    a worker that lives but does not join raises ``DeadlineExceededError``, and
    TensorFlow then aborts every collective of the process: training cannot go
    on. The op gathers numbers only: any other array goes as its bytes, in
    int64 words.

    Args:
        index, count: this worker's index (chief first) and the number of workers.
        timeout_seconds: how long a gather waits for the other workers (None: forever).
    """

    GROUP_KEY = 0x6674726B   # "ftrk"
    #: instance keys, shared by every instance: each worker makes the same gathers in order
    _instance_keys = itertools.count(1)

    def __init__(self, index: int, count: int, timeout_seconds: float | None = None):
        self.index, self.count, self.timeout_seconds = index, count, timeout_seconds
        self._order: np.ndarray | None = None

    def allgather(self, array: np.ndarray) -> np.ndarray:
        if self._order is None:
            ranks = self._gather(np.array([self.index], dtype=np.int64))
            if sorted(ranks.tolist()) != list(range(self.count)):
                raise RuntimeError(f"The {self.count} workers' indices are {ranks.tolist()}, not "
                                   f"0..{self.count - 1}: their TF_CONFIG cluster specs differ.")
            self._order = np.argsort(ranks)
        # The op gathers numbers only: the bytes go as int64 words (the last one padded).
        array = np.ascontiguousarray(array)
        raw = array.reshape(-1).view(np.uint8)
        words = np.zeros(-(-raw.size // 8), dtype=np.int64)
        words.view(np.uint8)[:raw.size] = raw
        stacked = self._gather(words[None])[self._order]
        return np.ascontiguousarray(stacked.view(np.uint8)[:, :raw.size]).view(
            array.dtype).reshape((self.count,) + array.shape)

    def _gather(self, array: np.ndarray) -> np.ndarray:
        import tensorflow as tf

        with tf.device("/cpu:0"):
            out = tf.raw_ops.CollectiveGatherV2(
                input=tf.constant(array), group_size=self.count, group_key=self.GROUP_KEY,
                instance_key=next(self._instance_keys), ordering_token=[],
                timeout_seconds=float(self.timeout_seconds or 0))
        return out.numpy()


def tf_worker(model: Any) -> tuple[int, int]:
    """``(index, count)`` of this process among the workers of the ``MultiWorkerMirroredStrategy``
    that ``model`` (tf_keras) was built under, from its cluster resolver: the chief first, then
    the workers in task order (evaluators and parameter servers take no part); (0, 1) otherwise."""
    import tensorflow as tf

    strategy = getattr(model, "distribute_strategy", None) or tf.distribute.get_strategy()
    if not isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy):
        return 0, 1
    resolver = strategy.cluster_resolver
    spec = resolver.cluster_spec().as_dict() if resolver is not None else {}
    chiefs, tasks = len(spec.get("chief", [])), len(spec.get("worker", []))
    if chiefs + tasks <= 1 or resolver.task_type not in ("chief", "worker"):
        return 0, 1
    index = int(resolver.task_id or 0) + (chiefs if resolver.task_type == "worker" else 0)
    return index, chiefs + tasks


class Exchange:
    """Objects between the ``count`` processes of a run, this one being ``index``."""

    def __init__(self, index: int, count: int, collective: Collective | None):
        self.index, self.count, self.collective = index, count, collective
        self._room: dict[str, int] = {}   # per exchange site: the bytes its rows hold

    def exchange(self, produce: Callable[[], Any], where: str) -> list[Any]:
        """Every worker's ``produce()``, in worker order; if it raised on any worker,
        every worker raises (the original error where it happened)."""
        error = None
        try:
            local: tuple = ("ok", produce())
        except Exception as err:
            error, local = err, ("error", f"{type(err).__name__}: {err}")
        replies = self.allgather_objects(local, where)
        if error is not None:
            raise error
        for k, (status, value) in enumerate(replies):
            if status == "error":
                raise RuntimeError(f"Worker {k} of {self.count} failed in {where}: {value}")
        return [value for _, value in replies]

    def allgather_objects(self, obj: Any, site: str = "") -> list[Any]:
        """Every worker's ``obj``, pickled. Each worker's row is its length then its bytes,
        padded to the room this ``site`` needed last time (the same on every worker): one
        gather while sizes hold; if a payload does not fit, a second one, wider."""
        if self.count == 1:
            return [obj]
        payload = np.frombuffer(pickle.dumps(obj, protocol=5), dtype=np.uint8)
        room = self._room.get(site, 0)
        stacked = self._gather_row(payload, room)
        lengths = [int(n) for n in stacked[:, :8].copy().view(np.int64)[:, 0]]
        if max(lengths) > room:
            room = _bucket(max(lengths))
            stacked = self._gather_row(payload, room)
        self._room[site] = room if max(lengths) > room // 2 else _bucket(max(lengths))
        return [obj if k == self.index else pickle.loads(stacked[k, 8:8 + n].tobytes())
                for k, n in enumerate(lengths)]

    def _gather_row(self, payload: np.ndarray, room: int) -> np.ndarray:
        row = np.zeros(8 + room, dtype=np.uint8)
        row[:8] = np.array([payload.size], dtype=np.int64).view(np.uint8)
        row[8:8 + min(payload.size, room)] = payload[:room]
        assert self.collective is not None  # several workers
        return self.collective.allgather(row)


def _bucket(n: int) -> int:
    """``n`` rounded up to 1/8 of its power of two: few distinct shapes to compile."""
    step = 1 << max(0, n.bit_length() - 4)
    return max(step, -(-n // step) * step)
