"""One dataset's metrics computed on a second thread while the next dataset is predicted.

An evaluation predicts the training set, then the validation set. The
inference (XLA, TensorFlow or PyTorch kernels) and the metrics (NumPy sorts
and scans) both release the GIL, so on a machine with two cores or more the
training set's metrics are computed while the validation set is predicted.
The last dataset's metrics have no inference left to overlap: they are
computed on the calling thread as soon as it is predicted, beside the earlier
datasets' metrics if those are still running, rather than queued behind them
(the training set's metrics can outlast the validation set's prediction).
Their errors are raised in the datasets' order either way.
Only NumPy work goes to that thread: the built-in metrics and the curves. The
loss (which may call the Keras loss object), user functions, scikit-learn
callables and Keras metric objects stay on the calling thread, as does all of
an evaluation with any of them (Keras keeps some state per thread: the dtype
policy, the distribution). The values are merged in the datasets' order, so
the logs hold the same keys, in the same order, with the same values.

Example:
    >>> with Overlap(enabled=True) as overlap:
    ...     result = overlap.run(sum, [1, 2, 3], size=OVERLAP_FROM)
    >>> result()
    6
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

from fittrack.metrics.parallel import threads
from fittrack.metrics.registry import is_builtin

R = TypeVar("R")

#: predictions of at least this many elements go to the second thread; on smaller
#: ones the metrics take well under a millisecond and the threads would only wait
#: for each other (the GIL's switch interval)
OVERLAP_FROM = 1 << 16


def overlap_allowed(plan: Any) -> bool:
    """Whether an evaluation's metrics may run on the second thread: every metric of
    every output is built in (pure NumPy), and this process may use two cores."""
    return threads() >= 2 and all(is_builtin(spec) for o in plan.outputs for spec in o.specs)


class Overlap:
    """A second thread for one evaluation (none when not ``enabled``: results are
    computed at once, on the calling thread)."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self._pool: ThreadPoolExecutor | None = None

    def __enter__(self) -> Overlap:
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)   # nothing outlives the evaluation
            self._pool = None

    def run(self, fn: Callable[..., R], *args: Any, size: int = OVERLAP_FROM,
            last: bool = False) -> Callable[[], R]:
        """Start ``fn(*args)``, on the second thread when enabled, ``size`` (the
        predictions' elements) is large enough to gain from it and more inference follows
        (not ``last``); the returned function gives its result (or raises its error)."""
        if self.enabled and not last and size >= OVERLAP_FROM:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(1, thread_name_prefix="fittrack-metrics")
            return self._pool.submit(fn, *args).result
        if self._pool is None:                 # nothing on the other thread: at once
            value = fn(*args)
            return lambda: value
        done: Future = Future()   # on this thread, beside the other: its error (if any) is
        try:                      # raised after those of the earlier sets, in their order
            done.set_result(fn(*args))
        except Exception as err:
            done.set_exception(err)
        return done.result
