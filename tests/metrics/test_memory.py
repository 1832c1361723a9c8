"""The extra memory of one evaluation stays a small multiple of the predictions (issue 17).

tracemalloc's peak during one ``evaluate`` (NumPy reports its allocations to
it, so the figure does not depend on the machine's allocator or load), over
the bytes of the float32 predictions: for the six metrics of the issue
together and for every registered metric alone, on 200,000 rows of a
10-class and of a binary problem (probabilities, logits, sample weights), and
of one-hot targets. The bound is loose (4x; about 2x is measured at this size, under
1.7x at 2M rows, where the issue asks for 3x) so that it holds on every
machine; ``benchmarks/bench_memory.py`` reports the figures. A metric that
fails on a problem (a regression metric given class labels) is measured all
the same: failing must not be expensive either.
"""

from __future__ import annotations

import functools
import tracemalloc
import warnings

import numpy as np
import pytest

from fittrack.metrics import Problem, evaluate, resolve_metrics
from fittrack.metrics.registry import CANONICAL

ROWS = 200_000
BOUND = 4.0
SIX = ["accuracy", "auc", "f1", "precision", "recall", "log_loss"]
PROBLEMS = ["multiclass10", "binary", "multiclass10-logits", "binary-logits", "onehot10",
            "multiclass10-weighted", "binary-weighted"]


@functools.cache
def data(problem: str) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, Problem]:
    """``(y, p, sample_weight, problem)``."""
    y, p, kind = _outputs(problem.replace("-weighted", ""))
    w = np.random.default_rng(1).uniform(0.1, 2.0, ROWS) if "weighted" in problem else None
    return y, p, w, kind


def _outputs(problem: str) -> tuple[np.ndarray, np.ndarray, Problem]:
    rng = np.random.default_rng(0)
    binary = problem.startswith("binary")
    n_classes = 2 if binary else 10
    y = rng.integers(0, n_classes, ROWS)
    z = rng.normal(size=(ROWS, 1 if binary else n_classes)).astype(np.float32)
    if binary:
        z[:, 0] += 2 * y - 1
    else:
        z[np.arange(ROWS), y] += 1.5
    task = "binary" if binary else "multiclass"
    if problem.endswith("logits"):
        return y, z, Problem(task, logits=True)
    p = 1 / (1 + np.exp(-z)) if binary else np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    if problem == "onehot10":
        y = np.eye(n_classes, dtype=np.float32)[y]
    return y, p, Problem(task)


def peak_ratio(names: list[str], problem: str) -> float:
    """tracemalloc's peak during one evaluation / the predictions' bytes."""
    y, p, w, kind = data(problem)
    specs = resolve_metrics(names)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        evaluate(specs, y[:100], p[:100], None if w is None else w[:100], problem=kind,
                 on_error="nan")  # imports, caches
        tracing = tracemalloc.is_tracing()
        if not tracing:
            tracemalloc.start()
        tracemalloc.reset_peak()
        before, _ = tracemalloc.get_traced_memory()
        try:
            evaluate(specs, y, p, w, problem=kind, on_error="nan")
            _, peak = tracemalloc.get_traced_memory()
        finally:
            if not tracing:
                tracemalloc.stop()
    return (peak - before) / p.nbytes


@pytest.mark.parametrize("problem", PROBLEMS)
@pytest.mark.parametrize("names", [SIX] + [[name] for name in sorted(CANONICAL)],
                         ids=["six"] + sorted(CANONICAL))
def test_peak_memory_is_a_small_multiple_of_the_predictions(names, problem):
    ratio = peak_ratio(names, problem)
    assert ratio <= BOUND, (f"{', '.join(names)} on {problem}: peak {ratio:.2f}x the "
                            f"float32 predictions (bound {BOUND}x)")
