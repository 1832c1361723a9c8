"""Objects between the worker processes of a run, through the engine's all-gather.

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

import pickle
from typing import Any, Callable, Protocol

import numpy as np


class Collective(Protocol):
    """``allgather(a)``: every worker's ``a`` (same shape and dtype on all), stacked."""

    def allgather(self, array: np.ndarray) -> np.ndarray: ...


class JaxCollective:
    """JAX's multi-host all-gather."""

    def allgather(self, array: np.ndarray) -> np.ndarray:
        from jax.experimental import multihost_utils

        return np.asarray(multihost_utils.process_allgather(array))


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
        except Exception as err:  # noqa: BLE001 - sent to the other workers, then re-raised
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
        return [obj if k == self.index else pickle.loads(stacked[k, 8:8 + n])
                for k, n in enumerate(lengths)]

    def _gather_row(self, payload: np.ndarray, room: int) -> np.ndarray:
        row = np.zeros(8 + room, dtype=np.uint8)
        row[:8] = np.array([payload.size], dtype=np.int64).view(np.uint8)
        row[8:8 + min(payload.size, room)] = payload[:room]
        return self.collective.allgather(row)


def _bucket(n: int) -> int:
    """``n`` rounded up to 1/8 of its power of two: few distinct shapes to compile."""
    step = 1 << max(0, n.bit_length() - 4)
    return max(step, -(-n // step) * step)
