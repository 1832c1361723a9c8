"""Independent pieces of one metric's work on the machine's cores.

The ranking metrics sort and scan each class apart, and NumPy releases the GIL
inside its sorts, searches and element-wise loops: on a large input, the
classes are spread over a few threads while the training waits for the
evaluation. The results are put back in their order, each computed exactly as
in one thread, so the values do not depend on the number of threads. Small
inputs (below ``THREADS_FROM`` elements) and one-core machines stay in the
calling thread. ``FITTRACK_THREADS=1`` turns the threads off (another number
caps them).

Example:
    >>> parallel_map(lambda c: c * c, range(4), elements=10)
    [0, 1, 4, 9]
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")

#: inputs of at least this many elements are spread over threads
THREADS_FROM = 1 << 20
#: at most this many threads (the sorts of a few classes saturate the memory bus)
MAX_THREADS = 4


def threads() -> int:
    """The threads a large input is spread over: the cores this process may use,
    at most ``MAX_THREADS``, or ``$FITTRACK_THREADS``."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    limit = os.environ.get("FITTRACK_THREADS", "")
    return max(1, min(int(limit) if limit.isdigit() else MAX_THREADS, cores or 1))


def parallel_map(fn: Callable[[T], R], items: Iterable[T], elements: int,
                 threads_from: int | None = None) -> list[R]:
    """``[fn(item) for item in items]``, on a few threads when ``elements`` (the
    size of the whole input) is at least ``threads_from`` (default ``THREADS_FROM``).
    A pool lives for one call only, so that nothing outlives it (a forked child
    never inherits a pool)."""
    items = list(items)
    workers = min(threads(), len(items))
    if workers < 2 or elements < (THREADS_FROM if threads_from is None else threads_from):
        return [fn(item) for item in items]
    with ThreadPoolExecutor(workers, thread_name_prefix="fittrack") as pool:
        return list(pool.map(fn, items))
