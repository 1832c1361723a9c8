"""Work spread over threads gives the same results, in order; the limits are respected."""

from __future__ import annotations

import os
import threading

import numpy as np
import pytest

from fittrack.metrics import parallel, sorted_ranks


def test_results_come_back_in_order_from_several_threads(monkeypatch):
    monkeypatch.setattr(parallel, "threads", lambda: 2)
    names: set[str] = set()

    def square(i: int) -> int:
        names.add(threading.current_thread().name)
        return i * i

    assert parallel.parallel_map(square, range(9), elements=parallel.THREADS_FROM) == \
        [i * i for i in range(9)]
    assert names and all(name.startswith("fittrack") for name in names)
    names.clear()
    assert parallel.parallel_map(square, range(9), elements=parallel.THREADS_FROM - 1) == \
        [i * i for i in range(9)]
    assert names == {threading.current_thread().name}   # small input: the calling thread


def test_an_error_on_a_thread_reaches_the_caller(monkeypatch):
    monkeypatch.setattr(parallel, "threads", lambda: 2)

    def fail(i: int) -> int:
        if i == 3:
            raise ValueError("class 3")
        return i

    with pytest.raises(ValueError, match="class 3"):
        parallel.parallel_map(fail, range(6), elements=parallel.THREADS_FROM)


def test_fittrack_threads_caps_the_threads_never_above_the_cores(monkeypatch):
    cores = len(os.sched_getaffinity(0))
    monkeypatch.setenv("FITTRACK_THREADS", "1")
    assert parallel.threads() == 1
    monkeypatch.setenv("FITTRACK_THREADS", "64")
    assert parallel.threads() == cores
    monkeypatch.delenv("FITTRACK_THREADS")
    assert parallel.threads() == min(parallel.MAX_THREADS, cores)


def test_ranking_sums_do_not_depend_on_the_threads(monkeypatch):
    rng = np.random.default_rng(0)
    n, n_classes = 3000, 7
    scores = np.round(rng.random((n, n_classes)), 2).astype(np.float32)   # many ties
    labels = rng.integers(0, n_classes, n)
    monkeypatch.setattr(parallel, "THREADS_FROM", 0)
    results = []
    for count in (1, 2, 4):
        monkeypatch.setattr(parallel, "threads", lambda count=count: count)
        results.append(sorted_ranks.sorted_sums(scores.__getitem__, n, n_classes, labels,
                                                np.float32))
    for other in results[1:]:
        for a, b in zip(results[0], other):
            np.testing.assert_array_equal(a, b)
