"""Time of the metrics themselves on large sets, against one sort (issue 17).

"Small models, large sets: the metrics dominate": a binary output (one sigmoid
unit, float32) and four metrics (accuracy, auc, f1, log_loss) on 10k, 100k
and 1M rows; and, as a second problem, a 10-class softmax output with the six
metrics of the epoch-end benchmark. Reported per size: the median time of one
``fittrack.metrics.evaluate`` (and of each metric alone), the median time of
one ``np.sort`` of as many float32 keys as there are scores, measured in the
same process and interleaved with the evaluations (the floor: an exact AUC
sorts the scores once), their ratio, and the time per row. The metrics are
pure NumPy: this runs once, not per backend.

Usage:
    python benchmarks/bench_metrics.py [--rows 10000,100000,1000000] [--repeats 9]
        [--problems binary,multiclass10]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if os.path.isdir(os.path.join(ROOT, "fittrack")):
    sys.path.insert(0, ROOT)  # measure this checkout, not an installed copy
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402
from common import emit  # noqa: E402

METRICS = {"binary": ["accuracy", "auc", "f1", "log_loss"],
           "multiclass10": ["accuracy", "auc", "f1", "precision", "recall", "log_loss"]}


def problem_data(problem: str, rows: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, str]:
    """``(y, p, task)``: labels and the float32 outputs of an informative model."""
    rng = np.random.default_rng(seed)
    if problem == "binary":
        y = rng.integers(0, 2, rows)
        z = rng.normal(size=rows).astype(np.float32) + 1.5 * (y - 0.5).astype(np.float32)
        return y, (1 / (1 + np.exp(-z)))[:, None], "binary"
    y = rng.integers(0, 10, rows)
    z = rng.normal(size=(rows, 10)).astype(np.float32)
    z[np.arange(rows), y] += 1.5
    p = np.exp(z)
    return y, p / p.sum(axis=1, keepdims=True), "multiclass"


def _once(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def measure(problem: str, rows: int, repeats: int) -> dict:
    from fittrack.metrics import Problem, evaluate, resolve_metrics

    y, p, task = problem_data(problem, rows)
    names = METRICS[problem]
    keys = np.random.default_rng(1).random(p.size, dtype=np.float32)
    runs = {"eval": (resolve_metrics(names), y, p)}
    runs.update({name: (resolve_metrics([name]), y, p) for name in names})
    calls = {label: (lambda specs=specs, y=y, p=p: evaluate(specs, y, p, problem=Problem(task)))
             for label, (specs, y, p) in runs.items()}
    calls["sort"] = lambda: np.sort(keys)
    times: dict[str, list[float]] = {label: [] for label in calls}
    for repeat in range(repeats + 1):           # interleaved; the first round warms up
        for label, call in calls.items():
            elapsed = _once(call)
            if repeat:
                times[label].append(elapsed)
    ms = {label: 1e3 * statistics.median(t) for label, t in times.items()}
    return {"bench": "metrics", "problem": problem, "rows": rows, "metrics": ",".join(names),
            "eval_ms": ms["eval"], "sort_ms": ms["sort"], "vs_sort": ms["eval"] / ms["sort"],
            "ns_per_row": 1e6 * ms["eval"] / rows,
            **{f"{name}_ms": ms[name] for name in names}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="10000,100000,1000000")
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--problems", default="binary,multiclass10")
    args = parser.parse_args()
    for problem in args.problems.split(","):
        for rows in (int(r) for r in args.rows.split(",")):
            emit(measure(problem, rows, args.repeats))


if __name__ == "__main__":
    main()
