"""Where the epoch-end hook's time goes: its timeline, next to the forward pass.

The MLP workload of ``bench_epoch_end.py`` with the curves (``curves=True``):
the callback's ``on_epoch_end`` is called outside ``fit``, alternating with the
bare compiled forward pass over the same rows, ``REPEATS`` pairs (the first
two discarded). Inside each hook the times (ms from its start) at which

- the training set is predicted (``train_predicted_ms``: its loss is summed
  next, on the calling thread),
- its metrics and curves end (``train_metrics_end_ms``: on the second thread,
  beside the validation set's inference),
- the validation set is predicted, and its metrics start and end

are recorded by wrapping two of the evaluator's internal functions
(``loss_values`` and ``Evaluator._numpy_part``). Reported: the medians, the
forward pass and the hook (ms), and the cores each kept busy (process CPU time
over wall time: on a machine whose cores the forward pass already fills, the
metrics' CPU shows in the wall time whichever thread runs it).
Run: ``python benchmarks/run.py hook_timeline --backends jax,tensorflow,torch,tf_keras``.
"""

from __future__ import annotations

import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))

import numpy as np
from bench_epoch_end import METRICS
from common import backend_name, build_mlp, emit, forward_pass, synthetic_data

REPEATS = 14


def main() -> None:
    from fittrack import MetricsCallback
    from fittrack.callbacks import evaluator
    from fittrack.callbacks.inference import DEFAULT_BATCH_SIZE

    x, y, xv, yv = synthetic_data()
    model = build_mlp()
    callback = MetricsCallback(METRICS, (x, y), (xv, yv), batch_size=DEFAULT_BATCH_SIZE,
                               curves=True)
    model.fit(x[:2048], y[:2048], epochs=2, batch_size=256, verbose=0, callbacks=[callback])
    forward = forward_pass(model, np.concatenate([x, xv]), DEFAULT_BATCH_SIZE)

    events: list[tuple[str, float]] = []
    lock = threading.Lock()

    def note(name: str) -> None:
        with lock:
            events.append((name, time.perf_counter()))

    real_loss, real_part = evaluator.loss_values, evaluator.Evaluator._numpy_part

    def loss_values(plan, losses, chunks, prefix, role, where):  # type: ignore[no-untyped-def]
        note(f"{role} predicted")
        return real_loss(plan, losses, chunks, prefix, role, where)

    def numpy_part(self, chunks, s):  # type: ignore[no-untyped-def]
        note(f"{s.role} metrics start")
        try:
            return real_part(self, chunks, s)
        finally:
            note(f"{s.role} metrics end")

    setattr(evaluator, "loss_values", loss_values)  # noqa: B010 - wrapped for the timeline
    setattr(evaluator.Evaluator, "_numpy_part", numpy_part)  # noqa: B010
    rows: dict[str, list[float]] = {}
    for i in range(REPEATS):
        start, start_cpu = time.perf_counter(), time.process_time()
        forward()
        wall, cpu = time.perf_counter() - start, time.process_time() - start_cpu
        events.clear()
        start, start_cpu = time.perf_counter(), time.process_time()
        callback.on_epoch_end(9, {})
        hook_wall, hook_cpu = time.perf_counter() - start, time.process_time() - start_cpu
        if i < 2:
            continue
        for name, value in (("forward_ms", wall * 1e3), ("hook_ms", hook_wall * 1e3),
                            ("forward_cores", cpu / wall), ("hook_cores", hook_cpu / hook_wall)):
            rows.setdefault(name, []).append(value)
        for name, at in events:
            rows.setdefault(name, []).append((at - start) * 1e3)
    result: dict[str, object] = {"bench": "hook_timeline", "backend": backend_name()}
    result.update({name.replace(" ", "_").replace("_data", "") + ("" if name.endswith(
        ("ms", "cores")) else "_ms"): float(np.median(v)) for name, v in rows.items()})
    emit(result)


if __name__ == "__main__":
    main()
