"""Several worker processes: each predicts only its share, every worker scores the whole set.

Keras' rule says what a worker's data is. Under ``keras.distribution`` with
``auto_shard_dataset=False`` (the only way Keras takes NumPy inputs across JAX
processes) each worker passes its own shard and predicts all of it; with
``auto_shard_dataset=True`` (Keras shards a ``tf.data.Dataset``), and for a
tf_keras model under TensorFlow's ``MultiWorkerMirroredStrategy``, every
worker passes the whole set and predicts its share: its block of rows
(arrays) or every N-th batch (streams), with the model's own compiled step,
locally (tf_keras' ``predict_on_batch`` would be a collective there). After
each pass every worker's chunks (outputs, masks, loss values, targets,
weights) are gathered through the engine's collectives (:mod:`.collectives`:
JAX's, or TensorFlow's collective ops), so each worker computes what one
process computes on the whole set. An error on one worker raises on every
worker. A monitor subset is one seeded subset of the whole set: each worker
draws its part from its share, in proportion to it.
With one process :func:`detect` gives a :class:`Workers` that hands
everything back unchanged (no collective, no copy).

Example:
    >>> import numpy as np
    >>> from fittrack.callbacks.data import ArrayData
    >>> run = Workers(index=1, count=2, whole_set=True)
    >>> run.share(ArrayData(np.arange(5.0)[:, None], np.arange(5), None, 5)).y.tolist()
    [3, 4]
    >>> allocate(100, [600, 401])
    [60, 40]
"""

from __future__ import annotations

import contextlib
import warnings
import zlib
from collections.abc import Iterator
from typing import Any

import keras
import numpy as np

from fittrack.callbacks import compat
from fittrack.callbacks.collectives import (
    Collective,
    Exchange,
    JaxCollective,
    TfCollective,
    tf_worker,
)
from fittrack.callbacks.data import ArrayData, dense, leaves, take_rows
from fittrack.callbacks.eval_sets import MonitorGroup, MonitorPart
from fittrack.callbacks.evaluation import Chunk
from fittrack.callbacks.inference import stateful_layers
from fittrack.callbacks.streams import StreamData, StreamShare
from fittrack.notices import FittrackWarning


def detect(model: Any) -> Workers:
    """The workers of this run; raises for a set-up that cannot be made exact.

    The answer is the same on every worker (it reads the run's configuration).
    """
    if compat.is_tf_keras(model):
        return _tf_workers(model)
    if keras.backend.backend() != "jax":
        return Workers()
    import jax

    if jax.process_count() == 1:
        return Workers()
    dist = keras.distribution.distribution()
    n = jax.process_count()
    if dist is None:
        warnings.warn(f"jax.distributed runs {n} processes but no keras.distribution is set, "
                      "so each trains its own model: MetricsCallback scores each process's "
                      "own data; only process 0 writes files.", FittrackWarning, stacklevel=3)
        return Workers()
    if not isinstance(dist, keras.distribution.DataParallel):
        raise ValueError(f"MetricsCallback across {n} JAX processes needs keras.distribution."
                         f"DataParallel; received {type(dist).__name__}, which splits the model "
                         "over the processes: no worker can predict its rows alone, so the "
                         "whole-set values cannot be made exact.")
    _refuse_stateful(model, n, "processes")
    return Workers(jax.process_index(), n, bool(dist.auto_shard_dataset), JaxCollective())


def _tf_workers(model: Any) -> Workers:
    """A tf_keras model under ``MultiWorkerMirroredStrategy`` with several workers: every
    worker passes the whole set (Keras' rule there) and predicts its share; the chunks go
    through TensorFlow's collectives. Any other strategy runs the callback in one process."""
    index, count = tf_worker(model)
    if count == 1:
        return Workers()
    _refuse_stateful(model, count, "MultiWorkerMirroredStrategy workers")
    return Workers(index, count, True, TfCollective(index, count),
                   setup="MultiWorkerMirroredStrategy")


def _refuse_stateful(model: Any, n: int, what: str) -> None:
    if stateful_layers(model):
        raise ValueError(f"MetricsCallback cannot split the evaluation of a stateful RNN over "
                         f"{n} {what}: its states run through the whole dataset in order, so "
                         "no worker can predict its share alone. Evaluate in one process.")


class Workers(Exchange):
    """This process's place in the run: its share of each dataset, the agreement before
    training, and the gathering of every pass (the exchanges are :class:`Exchange`'s).

    Args:
        index, count: this process's index and the number of processes.
        whole_set: every worker was given the whole set (``auto_shard_dataset=True``,
            ``MultiWorkerMirroredStrategy``).
        collective: the all-gather (required when ``count > 1``).
        setup: what runs the workers, a key of :data:`WHOLE_SET_RULES` (for messages).
    """

    def __init__(self, index: int = 0, count: int = 1, whole_set: bool = False,
                 collective: Collective | None = None, setup: str = "keras.distribution"):
        super().__init__(index, count, collective)
        self.multi, self.whole_set, self.setup = count > 1, whole_set, setup
        self._given: list[tuple] = []     # per dataset: (kind, role, rows, crc) as given
        self._monitors: list[tuple] = []  # per dataset: (part, rows of the share, rng)

    def share(self, data: Any, role: str = "the data") -> Any:
        """This worker's share of parsed ``train_data``/``validation_data``."""
        if not self.multi:
            return data
        if isinstance(data, StreamData):
            self._given.append(("stream", role, None, None))
            every = self.count if self.whole_set else 1
            return StreamShare(data, self.index % every, every)
        ends = leaves(take_rows(data.x, np.array([0, data.n_rows - 1])))   # x: two rows only
        parts = leaves(data.y) + [dense(a) for a in ends]
        crc = zlib.crc32(b"".join(np.ascontiguousarray(a).tobytes() for a in parts))
        self._given.append(("arrays", role, data.n_rows, crc))
        if not self.whole_set:
            return data
        if data.n_rows < self.count:
            raise ValueError(f"{role} has {data.n_rows} rows, fewer than the {self.count} "
                             "workers that share its evaluation; give it more rows.")
        start, stop = block(data.n_rows, self.index, self.count)
        rows = slice(start, stop)  # a view of the block, no copy
        return ArrayData(take_rows(data.x, rows), take_rows(data.y, rows),
                         take_rows(data.sample_weight, rows), stop - start)

    def monitor(self, eval_set: Any, size: int, rng: np.random.Generator) -> MonitorPart:
        """This worker's part of the seeded monitor subset (cut to size by :meth:`agree`)."""
        if not self.multi:
            return eval_set.monitor(size, rng)
        own = np.random.default_rng([int(rng.integers(2**63)), self.index])
        part = eval_set.monitor(size, own)
        data = eval_set.data
        self._monitors.append((part, getattr(data, "rows_read", getattr(data, "n_rows", 0)), own))
        return part

    @contextlib.contextmanager
    def agree(self, callback: Any, plan: Any) -> Iterator[None]:
        """Wrap the checks before training: an error on any worker raises on every
        worker, and the workers must agree on the set-up (``callback``'s schedule, the
        bound ``plan``'s outputs, the kinds of data), else a ValueError."""
        if not self.multi:
            yield
            return
        error = None
        try:
            yield
        except Exception as err:
            error = err

        def report() -> tuple:
            if error is not None:
                raise error
            return (_signature(callback, plan, self._given), self._given,
                    [rows for _, rows, _ in self._monitors])
        reports = self.exchange(report, "the checks before training")
        _check_same(reports, self.whole_set, self.setup)
        for n, (part, _, rng) in enumerate(self._monitors):
            part.keep(allocate(callback.monitor_size, [r[2][n] for r in reports])[self.index], rng)
        self._given, self._monitors = [], []

    def gathering(self, sets: list, group: MonitorGroup | None) -> tuple[list, Any]:
        """The evaluation sets and monitor group, gathering their chunks after each pass."""
        if not self.multi:
            return sets, group
        return ([GatheredSet(s, self) for s in sets],
                None if group is None else GatheredMonitors(group, self))

class GatheredSet:
    """An evaluation set whose chunks are every worker's, in the whole set's order."""

    def __init__(self, local: Any, workers: Workers):
        self.local, self.workers, self.key, self.prefix = local, workers, local.key, local.prefix
        self.role, self.where, data = local.role, local.where, getattr(local, "data", None)
        self.interleaved = isinstance(data, StreamShare) and data.every > 1

    @property
    def n_batches(self) -> int | None:
        return getattr(self.local, "n_batches", None)

    def chunks(self, predictor: Any, model: Any, *args: Any) -> list[Chunk]:
        """``args``: the local set's (``loss_targets``, ...)."""
        per_worker = self.workers.exchange(
            lambda: self.local.chunks(predictor, model, *args), self.where)
        chunks = interleave(per_worker) if self.interleaved else concat(per_worker)
        if not chunks:
            raise ValueError(f"{self.role} produced no batches at this evaluation on any "
                             "worker; a source must give at least one batch each time.")
        return chunks


class GatheredMonitors:
    """The monitor group, each subset's chunks gathered from every worker (one exchange)."""

    def __init__(self, group: MonitorGroup, workers: Workers):
        self.group, self.workers, self.parts = group, workers, group.parts

    def results(self, predictor: Any, model: Any, loss_targets: Any = None
                ) -> list[tuple[MonitorPart, list[Chunk]]]:
        per_worker = self.workers.exchange(
            lambda: [c for _, c in self.group.results(predictor, model, loss_targets)],
            "the batch-level evaluation")
        return [(part, concat([w[n] for w in per_worker])) for n, part in enumerate(self.parts)]


def block(rows: int, index: int, count: int) -> tuple[int, int]:
    """Rows ``[lo, hi)`` of worker ``index``: equal blocks, the first ones one row longer."""
    size, extra = divmod(rows, count)
    lo = index * size + min(index, extra)
    return lo, lo + size + (index < extra)


def allocate(size: int, shares: list[int]) -> list[int]:
    """Rows of a ``size``-row subset each share holds, in proportion (largest remainders)."""
    total = sum(shares)
    if size >= total:
        return list(shares)
    exact = [size * s / total for s in shares]
    out = [int(e) for e in exact]
    for k in sorted(range(len(shares)), key=lambda k: out[k] - exact[k])[:size - sum(out)]:
        out[k] += 1
    return out


def concat(per_worker: list[list[Chunk]]) -> list[Chunk]:
    """Shard after shard (blocks in worker order are the whole set in its order)."""
    return [c for chunks in per_worker for c in chunks if c.rows]


def interleave(per_worker: list[list[Chunk]]) -> list[Chunk]:
    """Batch ``k`` of the whole set is batch ``k // N`` of worker ``k % N``."""
    longest = max(len(chunks) for chunks in per_worker)
    return [chunks[j] for j in range(longest) for chunks in per_worker if j < len(chunks)]


def _signature(callback: Any, plan: Any, given: list[tuple]) -> tuple:
    """What every worker must share: the schedule, the outputs' problems, the datasets' kinds."""
    return (callback.batch_frequency, callback.epoch_frequency, callback.monitor_size,
            [(o.name, o.problem.task, o.problem.logits, [s.name for s in o.specs])
             for o in plan.outputs], [given_set[:2] for given_set in given])


#: per set-up: why every worker passes the whole set, and how to fix different ones
WHOLE_SET_RULES = {
    "keras.distribution": ("With auto_shard_dataset=True every worker passes the whole {role} "
                           "(Keras shards it)", "Pass the whole set on every worker, or set "
                           "auto_shard_dataset=False and pass each worker's own shard."),
    "MultiWorkerMirroredStrategy": (
        "Under MultiWorkerMirroredStrategy every worker passes the whole {role} (Keras' rule "
        "there; each worker predicts its share)", "Pass the whole set on every worker."),
}


def _check_same(reports: list[tuple], whole_set: bool, setup: str) -> None:
    """The same schedule, outputs and kinds of data on every worker, the same whole set
    where every worker passes the whole set, and a warning for identical shards."""
    for k, report in enumerate(reports[1:], start=1):
        if report[0] != reports[0][0]:
            raise ValueError(
                "Every worker must run MetricsCallback with the same arguments and kinds of "
                f"data (each evaluation is a collective): worker 0 has {reports[0][0]}, "
                f"worker {k} has {report[0]} (batch_frequency, epoch_frequency, "
                "monitor_size, outputs, datasets).")
    for n, (kind, role, _, _) in enumerate(reports[0][1]):
        seen = {r[1][n][2:] for r in reports}
        if kind == "arrays" and whole_set and len(seen) > 1:
            rule, fix = WHOLE_SET_RULES[setup]
            raise ValueError(
                f"{rule.format(role=role)}, but they passed different ones {sorted(seen)} "
                f"(rows, crc32 of y and of x's first and last rows). {fix}")
        if kind == "arrays" and not whole_set and len(seen) == 1:
            warnings.warn(
                f"Every worker passed the same {role} to MetricsCallback under "
                "auto_shard_dataset=False, where each worker passes its own shard: each row "
                f"is predicted and counted {len(reports)} times. Pass x[i::n] on worker i.",
                FittrackWarning, stacklevel=4)
