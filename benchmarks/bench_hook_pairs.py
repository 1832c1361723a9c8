"""The callback's epoch-end evaluation against the forward pass, interleaved call by call.

The callback's ``on_epoch_end`` (after a short ``fit`` that builds and checks it) is
called outside ``fit``, alternating with the bare compiled forward pass over the same
rows (Keras' ``predict_on_batch`` over pre-sliced batches); ``REPEATS`` pairs, the
first two discarded. Reported: the median of the paired ratios of wall times (each
evaluation against the forward pass just before it: the least exposed to the drift
of a shared machine's load), their quartiles, and the median ratio of process CPU
times (both cores' work: on a machine whose cores the forward pass already fills,
what the evaluation adds shows there first).

Workloads as in ``bench_epoch_end.py``: the MLP (``run.py hook_pairs``), with
``FITTRACK_BENCH_CURVES=1`` the MLP with the curves stored too (``run.py
hook_pairs_curves``) or, with ``FITTRACK_BENCH_MODEL=tagger``, the masked tagger
(``run.py hook_pairs_tagger``).
"""

from __future__ import annotations

import os
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))

import numpy as np
from bench_epoch_end import CURVES, METRICS, TAGGER, TAGGER_METRICS
from common import (
    backend_name,
    build_mlp,
    build_tagger,
    emit,
    forward_pass,
    synthetic_data,
    synthetic_sequences,
)

REPEATS = 18


def main() -> None:
    from fittrack import MetricsCallback
    from fittrack.callbacks.inference import DEFAULT_BATCH_SIZE

    x, y, xv, yv = synthetic_sequences() if TAGGER else synthetic_data()
    model = build_tagger() if TAGGER else build_mlp()
    callback = MetricsCallback(TAGGER_METRICS if TAGGER else METRICS, (x, y), (xv, yv),
                               batch_size=DEFAULT_BATCH_SIZE, curves=CURVES and not TAGGER)
    model.fit(x[:2048], y[:2048], epochs=2, batch_size=256, verbose=0, callbacks=[callback])
    forward = forward_pass(model, np.concatenate([x, xv]), DEFAULT_BATCH_SIZE)
    wall: dict[str, list[float]] = {"forward": [], "hook": []}
    cpu: dict[str, list[float]] = {"forward": [], "hook": []}
    for _ in range(REPEATS):
        for name, fn in (("forward", forward), ("hook", lambda: callback.on_epoch_end(9, {}))):
            start, start_cpu = time.perf_counter(), time.process_time()
            fn()
            wall[name].append(time.perf_counter() - start)
            cpu[name].append(time.process_time() - start_cpu)
    ratio = np.array(wall["hook"][2:]) / np.array(wall["forward"][2:])
    cpu_ratio = np.array(cpu["hook"][2:]) / np.array(cpu["forward"][2:])
    emit({"bench": "hook_pairs",
          "model": "tagger" if TAGGER else "mlp+curves" if CURVES else "mlp",
          "backend": backend_name(), "forward_s": float(np.median(wall["forward"][2:])),
          "hook_s": float(np.median(wall["hook"][2:])), "ratio": float(np.median(ratio)),
          "ratio_q25": float(np.quantile(ratio, 0.25)),
          "ratio_q75": float(np.quantile(ratio, 0.75)), "cpu_ratio": float(np.median(cpu_ratio))})


if __name__ == "__main__":
    main()
