"""Extra memory of one evaluation, as a multiple of the float32 predictions (issue 17).

For each problem, ``--rows`` rows (2,000,000 by default):

- ``multiclass10``: integer labels and a 10-class softmax output ``(n, 10)``;
- ``binary``: 0/1 labels and one sigmoid unit ``(n, 1)``;
- ``onehot10``: one-hot float32 targets and a 10-class softmax output (where
  the categorical losses and the regression-style metrics are defined);
- ``multiclass10-logits``, ``binary-logits``: the same labels next to the
  logits of a ``from_logits=True`` model (``Problem(task, logits=True)``);
- ``multiclass10-weighted``, ``binary-weighted``: with float64 sample weights,

one ``fittrack.metrics.evaluate`` of the six metrics of the issue together
(accuracy, auc, f1, precision, recall, log_loss) and of every registered
metric alone. ``ratio`` is tracemalloc's peak during the evaluation divided by
the bytes of the float32 predictions (NumPy reports its allocations to
tracemalloc, so the figure is deterministic; the inputs, weights included,
exist before tracing starts). ``rss_ratio`` is the growth of the resident set's high-water mark
during the same evaluation (reset through ``/proc/self/clear_refs``), over the
same bytes; it also counts the allocator's own behaviour. A metric that
raises on a problem (a regression metric given class labels) is reported with
its error; its memory is measured all the same. The metrics are pure NumPy:
no Keras backend is involved, so this runs once, not per backend.

Usage:
    python benchmarks/bench_memory.py [--rows 2000000] [--problems binary,multiclass10]
        [--metrics six,auc,...]
"""

from __future__ import annotations

import argparse
import os
import sys
import tracemalloc
import warnings
from typing import Any

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if os.path.isdir(os.path.join(ROOT, "fittrack")):
    sys.path.insert(0, ROOT)  # measure this checkout, not an installed copy
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402
from common import emit  # noqa: E402

SIX = ["accuracy", "auc", "f1", "precision", "recall", "log_loss"]
PROBLEMS = ("multiclass10", "binary", "onehot10", "multiclass10-logits", "binary-logits",
            "multiclass10-weighted", "binary-weighted")


def problem_data(problem: str, rows: int, seed: int = 0) -> tuple[np.ndarray, ...]:
    """``(y, p, sample_weight, problem)``: labels, float32 outputs of an informative
    model, weights (or None)."""
    weighted = problem.endswith("-weighted")
    y, p, kind = _outputs(problem.replace("-weighted", ""), rows, seed)
    w = np.random.default_rng(seed + 1).uniform(0.1, 2.0, rows) if weighted else None
    return y, p, w, kind


def _outputs(problem: str, rows: int, seed: int) -> tuple[np.ndarray, np.ndarray, Any]:
    from fittrack.metrics import Problem

    rng = np.random.default_rng(seed)
    binary = problem.startswith("binary")
    n_classes = 2 if binary else 10
    y = rng.integers(0, n_classes, rows)
    z = rng.normal(size=(rows, 1 if binary else n_classes)).astype(np.float32)
    if binary:
        z[:, 0] += 2 * y - 1
    else:
        z[np.arange(rows), y] += 1.5
    task = "binary" if binary else "multiclass"
    if problem.endswith("logits"):
        return y, z, Problem(task, logits=True)
    np.exp(z if binary else z - z.max(axis=1, keepdims=True), out=z)
    p = 1 / (1 + 1 / z) if binary else z / z.sum(axis=1, keepdims=True)
    if problem == "onehot10":
        y = np.eye(n_classes, dtype=np.float32)[y]
    return y, p, Problem(task)


def rss_mib(field: str) -> float:
    """``VmRSS`` or ``VmHWM`` of this process, MiB."""
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")


def reset_peak_rss() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as handle:
            handle.write("5")
        return True
    except OSError:
        return False


def measure(names: list[str], y: np.ndarray, p: np.ndarray, w: np.ndarray | None,
            problem: Any) -> dict:
    """tracemalloc and RSS peaks of one evaluation of ``names``."""
    from fittrack.metrics import MetricError, evaluate, resolve_metrics

    specs = resolve_metrics(names)
    error = ""
    rss_ok = reset_peak_rss()
    rss_before = rss_mib("VmRSS")
    tracemalloc.start()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            evaluate(specs, y, p, w, problem=problem)
    except MetricError as err:
        error = str(err.__cause__ or err)[:80]
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss_growth = rss_mib("VmHWM") - rss_before if rss_ok else float("nan")
    return {"peak_mib": peak / 2**20, "ratio": peak / p.nbytes,
            "rss_growth_mib": rss_growth, "rss_ratio": rss_growth * 2**20 / p.nbytes,
            "error": error}


def main() -> None:
    from fittrack.metrics.registry import CANONICAL

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--problems", default=",".join(PROBLEMS))
    parser.add_argument("--metrics", default="six," + ",".join(sorted(CANONICAL)))
    args = parser.parse_args()
    selections = [SIX if m == "six" else [m] for m in args.metrics.split(",")]
    for problem in args.problems.split(","):
        y, p, w, kind = problem_data(problem, args.rows)
        measure(SIX, y[:1000], p[:1000], None if w is None else w[:1000], kind)  # warm up
        for names in selections:
            row = measure(names, y, p, w, kind)
            emit({"bench": "memory", "problem": problem, "rows": args.rows,
                  "metrics": "six" if names is SIX else names[0],
                  "pred_mib": p.nbytes / 2**20, **row})


if __name__ == "__main__":
    main()
