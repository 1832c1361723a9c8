"""Run the benchmarks on each Keras backend (one process per backend) and print tables.

Usage:
    python benchmarks/run.py [epoch] [epoch_tagger] [epoch_curves] [hook_pairs]
        [hook_pairs_tagger] [hook_pairs_curves] [hook_timeline] [batch] [tabular] [growth]
        [workers] [memory] [metrics] [store]
        [--backends jax,tensorflow,torch,tf_keras]

``tf_keras`` among the backends runs the benchmark on a tf_keras (Keras 2) model:
``TF_USE_LEGACY_KERAS=1`` with Keras 3 on TensorFlow (``pip install "fittrack[tf-keras]"``).

With no benchmark named, all of them run. The figures are ratios against a
reference measured in the same process (see each script's docstring).
``memory`` and ``metrics`` measure the pure-NumPy metrics: they run once, in
their own process, whatever the backends. The machine is printed first
(``machine.py``: the CPU, NumPy's version and how fast it sorts, which the
ranking metrics' figures follow).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPTS = {"epoch": "bench_epoch_end.py", "epoch_tagger": "bench_epoch_end.py",
           "epoch_curves": "bench_epoch_end.py",
           "hook_pairs": "bench_hook_pairs.py", "hook_pairs_tagger": "bench_hook_pairs.py",
           "hook_pairs_curves": "bench_hook_pairs.py", "hook_timeline": "bench_hook_timeline.py",
           "batch": "bench_batch_level.py", "growth": "bench_growth.py",
           "workers": "bench_workers.py", "tabular": "bench_tabular.py"}
#: backend-independent benchmarks, run once
ONCE = {"memory": "bench_memory.py", "metrics": "bench_metrics.py"}
#: extra environment per benchmark name
ENV = {"epoch_tagger": {"FITTRACK_BENCH_MODEL": "tagger"},
       "hook_pairs_tagger": {"FITTRACK_BENCH_MODEL": "tagger"},
       "epoch_curves": {"FITTRACK_BENCH_CURVES": "1"},
       "hook_pairs_curves": {"FITTRACK_BENCH_CURVES": "1"}}
#: the backends a benchmark runs on, where not all: two worker processes (jax.distributed,
#: or tf_keras under MultiWorkerMirroredStrategy)
ONLY = {"workers": ("jax", "tf_keras")}
COLUMNS = {
    "epoch_end": ["model", "backend", "callback_s", "evaluate_s", "forward_s", "recipe_s",
                  "vs_evaluate", "vs_forward", "recipe_speedup", "epoch_end_hook_s",
                  "forward_standalone_s", "hook_vs_standalone", "hook_vs_forward_hook",
                  "train_epoch_s",
                  "share_of_epoch"],
    "hook_pairs": ["model", "backend", "forward_s", "hook_s", "ratio", "ratio_q25", "ratio_q75",
                   "cpu_ratio"],
    "hook_timeline": ["backend", "forward_ms", "hook_ms", "train_predicted_ms",
                      "train_metrics_end_ms", "validation_predicted_ms",
                      "validation_metrics_start_ms", "validation_metrics_end_ms",
                      "forward_cores", "hook_cores"],
    "batch_level": ["backend", "monitor_size", "eval_ms", "forward_ms", "vs_forward",
                    "hook_vs_forward_hook", "standalone_ms", "vs_standalone"],
    "tabular": ["backend", "rows", "callback_s", "forward_s", "evaluate_s", "metrics_s",
                "vs_forward", "vs_evaluate", "ns_per_row"],
    "growth": ["backend", "rss_epoch5_mb", "growth_mb", "reference_growth_mb"],
    "workers": ["backend", "one_worker_s", "two_workers_s", "ratio", "cpu_ratio", "rows_one_worker",
                "rows_per_worker", "predict_one_s", "predict_two_s", "gather_in_eval_s",
                "gather_s", "sent_mb", "load"],
    "memory": ["problem", "metrics", "rows", "pred_mib", "peak_mib", "ratio", "rss_ratio",
               "error"],
    "metrics": ["problem", "rows", "eval_ms", "sort_ms", "vs_sort", "ns_per_row", "accuracy_ms",
                "auc_ms", "f1_ms", "precision_ms", "recall_ms", "log_loss_ms"],
}


def run_one(script: str, backend: str, extra: dict | None = None) -> list[dict]:
    env = dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="3", **(extra or {}))
    if backend == "tf_keras":
        env.update(KERAS_BACKEND="tensorflow", TF_USE_LEGACY_KERAS="1")
    proc = subprocess.run([sys.executable, os.path.join(HERE, script)], env=env,
                          capture_output=True, text=True)
    rows = [json.loads(line[7:]) for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
    if proc.returncode != 0 or not rows:
        sys.stderr.write(f"{script} on {backend} failed:\n{proc.stderr[-3000:]}\n")
    return rows


def table(rows: list[dict]) -> str:
    cols = COLUMNS[rows[0]["bench"]]
    fmt = lambda v: f"{v:.3f}" if isinstance(v, float) else str(v)  # noqa: E731
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    lines += ["| " + " | ".join(fmt(r.get(c, "")) for c in cols) + " |" for r in rows]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("which", nargs="*", choices=[*SCRIPTS, *ONCE, "store"], default=[])
    parser.add_argument("--backends", default="jax,tensorflow,torch")
    args = parser.parse_args()
    which = args.which or [*SCRIPTS, *ONCE, "store"]
    # the machine first: the ranking metrics' figures follow NumPy's sort (machine.py)
    subprocess.run([sys.executable, os.path.join(HERE, "machine.py")], check=False)
    for name in which:
        if name == "store":
            subprocess.run([sys.executable, os.path.join(HERE, "bench_store.py")], check=False)
            continue
        backends = args.backends.split(",")[:1] if name in ONCE else [
            b for b in args.backends.split(",") if b in ONLY.get(name, (b,))]
        rows = [r for b in backends for r in run_one({**SCRIPTS, **ONCE}[name], b, ENV.get(name))]
        if rows:
            print(f"\n## {rows[0]['bench']}\n\n{table(rows)}\n", flush=True)


if __name__ == "__main__":
    main()
