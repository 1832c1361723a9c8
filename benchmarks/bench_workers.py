"""Evaluation time per worker with two worker processes against one, same total data.

Workload: the MLP 784-256-128-10 of ``common.py``, train 60k + validation 10k
rows, metrics accuracy, auc, f1, precision, recall, log_loss, batch size 1024.
Two processes on localhost, each pinned to its own core with
``os.sched_setaffinity`` so that the figure stands for separate machines:

- JAX (``KERAS_BACKEND=jax``): ``jax.distributed``, ``DataParallel`` with
  ``auto_shard_dataset=False``, each worker passing its shard (``x[i::2]``);
- tf_keras (``TF_USE_LEGACY_KERAS=1``): ``MultiWorkerMirroredStrategy``
  (``TF_CONFIG``), every worker passing the whole set, as Keras' rule is there.

In each process two callbacks run at every epoch end of the same fits (their
order swapped from one fit to the next, so that a change in the machine's
load hits both alike):

- one worker (the reference): ``MetricsCallback`` given the whole 70k rows,
  evaluated as one process does (the worker exchange switched off);
- two workers: ``MetricsCallback`` given what this worker passes (its shard,
  or the whole set): it predicts its 35k rows, gathers both workers' chunks,
  and scores the whole set.

Figures, per worker: the median ``on_epoch_end`` time of each (the first
epoch of each fit, which compiles, left out), the median of their ratio at
each epoch (target <= 0.6), the rows it predicted per evaluation and the
time that took (every worker then scores the whole set), and the cost of
the gather: inside the evaluation (waiting for the other worker
included) and on its own (the last payloads exchanged back to back), with
the MiB each worker sends. On a busy machine the wall-time ratio includes
the time a worker waits at the gather for a peer that the load slowed down;
``cpu_ratio`` (this process's CPU time, both figures) is not affected by it.
Run: ``python benchmarks/bench_workers.py`` (with ``KERAS_BACKEND=jax``, or
``TF_USE_LEGACY_KERAS=1``), or ``python benchmarks/run.py workers --backends jax,tf_keras``.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))

from common import tf_keras_run

METRICS = ["accuracy", "auc", "f1", "precision", "recall", "log_loss"]
EPOCHS, REPEATS, TIMEOUT_S = 6, 4, 900


def worker(engine: str, index: int, port: str) -> None:
    """One of the two processes (pinned to core ``index``)."""
    os.sched_setaffinity(0, {index % os.cpu_count()})
    if engine == "jax":
        import jax

        jax.config.update("jax_cpu_collectives_implementation", "gloo")
        jax.distributed.initialize(f"localhost:{port}", num_processes=2, process_id=index)
        scope = _jax_distribution(jax)
    else:
        import tensorflow as tf

        scope = tf.distribute.MultiWorkerMirroredStrategy().scope   # reads TF_CONFIG
    import numpy as np
    from common import build_mlp, emit, synthetic_data

    from fittrack import MetricsCallback
    from fittrack.callbacks import workers
    from fittrack.callbacks.inference import DEFAULT_BATCH_SIZE, Predictor

    x, y, xv, yv = synthetic_data()
    # JAX: each worker passes its shard; MultiWorkerMirroredStrategy: the whole set
    mine = slice(index, None, 2) if engine == "jax" else slice(None)
    with scope():
        model = build_mlp()
    probe = Probe(Predictor, workers.Workers)

    class OneWorker(MetricsCallback):
        """The whole set, evaluated as one process does (the worker exchange off)."""

        def _prepare(self, model):
            detect, workers.detect = workers.detect, lambda model: workers.Workers()
            try:
                return super()._prepare(model)
            finally:
                workers.detect = detect

    size = DEFAULT_BATCH_SIZE
    samples: dict[str, list] = {"one": [], "two": []}
    for repeat in range(REPEATS):
        callbacks = {"one": OneWorker(METRICS, (x, y), (xv, yv), batch_size=size),
                     "two": MetricsCallback(METRICS, (x[mine], y[mine]), (xv[mine], yv[mine]),
                                            batch_size=size)}
        order = ["one", "two"] if repeat % 2 == 0 else ["two", "one"]
        times = {name: probe.time_epochs(cb) for name, cb in callbacks.items()}
        model.fit(x[:2048][mine], y[:2048][mine], epochs=EPOCHS, batch_size=256, verbose=0,
                  callbacks=[callbacks[name] for name in order])
        for name in samples:
            samples[name] += times[name][1:]     # the first epoch compiles
    gather_s, sent_mb = probe.time_exchange()
    one, two = (np.array(samples[name]) for name in ("one", "two"))
    emit({"worker": index, "one_worker_s": float(np.median(one[:, 0])),
          "two_workers_s": float(np.median(two[:, 0])),
          "ratio": float(np.median(two[:, 0] / one[:, 0])),
          "one_worker_cpu_s": float(np.median(one[:, 3])),
          "two_workers_cpu_s": float(np.median(two[:, 3])),
          "cpu_ratio": float(np.median(two[:, 3] / one[:, 3])), "rows_one": int(one[0, 1]),
          "rows_two": int(two[0, 1]), "gather_in_eval_s": float(np.median(two[:, 2])),
          "predict_one_s": float(np.median(one[:, 4])),
          "predict_two_s": float(np.median(two[:, 4])),
          "gather_s": gather_s, "sent_mb": sent_mb, "load": os.getloadavg()[0]})


def _jax_distribution(jax):
    """Keras' DataParallel over both processes, each passing its shard; a no-op scope."""
    import contextlib

    import keras

    dist = keras.distribution.DataParallel(devices=jax.devices())
    dist.auto_shard_dataset = False
    keras.distribution.set_distribution(dist)
    return contextlib.nullcontext


class Probe:
    """Counts the rows predicted, times the epoch-end hook and the exchanges."""

    def __init__(self, predictor_cls, workers_cls):
        self.rows, self.gather_s, self.sent, self.last_sent, self.run = 0, 0.0, [], [], None
        self.predict_s = 0.0
        predict, self.exchange = predictor_cls.predict, workers_cls.allgather_objects
        probe = self

        def counting_predict(self, model, batched, key, *args, **kwargs):
            start = time.perf_counter()
            out = predict(self, model, batched, key, *args, **kwargs)
            if not key.endswith("_check"):
                probe.rows += batched.n_rows
                probe.predict_s += time.perf_counter() - start
            return out

        def timed_exchange(self, obj, *args):
            start = time.perf_counter()
            out = probe.exchange(self, obj, *args)
            probe.gather_s += time.perf_counter() - start
            probe.run = self
            probe.sent.append((obj, *args))
            return out
        predictor_cls.predict, workers_cls.allgather_objects = counting_predict, timed_exchange

    def time_epochs(self, cb) -> list[tuple[float, int, float, float, float]]:
        """(seconds, rows predicted, seconds in exchanges, CPU seconds of this process,
        seconds predicting) of each ``on_epoch_end`` of ``cb``."""
        original, times = cb.on_epoch_end, []

        def timed(epoch, logs=None):
            self.rows, self.gather_s, self.sent, self.predict_s = 0, 0.0, [], 0.0
            start, cpu = time.perf_counter(), time.process_time()
            original(epoch, logs)
            times.append((time.perf_counter() - start, self.rows, self.gather_s,
                          time.process_time() - cpu, self.predict_s))
            self.last_sent = self.sent or self.last_sent
        cb.on_epoch_end = timed
        return times

    def time_exchange(self, repeats: int = 5) -> tuple[float, float]:
        """Median seconds of the last evaluation's exchanges run back to back, and the
        MiB this worker sent in them."""
        import pickle
        import statistics

        sent, times = list(self.last_sent), []
        for _ in range(repeats + 1):
            start = time.perf_counter()
            for args in sent:
                self.exchange(self.run, *args)
            times.append(time.perf_counter() - start)
        return statistics.median(times[1:]), sum(
            len(pickle.dumps(args[0], protocol=5)) for args in sent) / 2**20


def main() -> None:
    engine = "tf_keras" if tf_keras_run() else os.environ.get("KERAS_BACKEND", "jax")
    if engine not in ("jax", "tf_keras"):
        return
    here = os.path.abspath(__file__)
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", JAX_PLATFORMS="cpu", CUDA_VISIBLE_DEVICES="",
               PYTHONPATH=os.pathsep.join([os.path.dirname(os.path.dirname(here)),
                                           os.environ.get("PYTHONPATH", "")]))
    if engine == "jax":
        env["KERAS_BACKEND"] = "jax"
    ports = free_ports(2)
    cluster = {"worker": [f"localhost:{p}" for p in ports]}
    envs = [dict(env, TF_CONFIG=json.dumps({"cluster": cluster, "task": {
        "type": "worker", "index": i}})) if engine == "tf_keras" else env for i in range(2)]
    procs = [subprocess.Popen([sys.executable, here, "--worker", engine, str(i), str(ports[0])],
                              env=envs[i], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for i in range(2)]
    outputs = []
    try:
        for p in procs:
            outputs.append(p.communicate(timeout=TIMEOUT_S))
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
    rows = [json.loads(line[7:]) for out, _ in outputs for line in out.splitlines()
            if line.startswith("RESULT ")]
    if len(rows) != 2:
        sys.stderr.write("\n".join(err[-3000:] for _, err in outputs))
        sys.exit(1)
    rows.sort(key=lambda r: r["worker"])
    per_worker = lambda key: [round(r[key], 3) for r in rows]  # noqa: E731
    print("RESULT " + json.dumps({
        "bench": "workers", "backend": engine, "one_worker_s": per_worker("one_worker_s"),
        "two_workers_s": per_worker("two_workers_s"), "ratio": per_worker("ratio"),
        "cpu_ratio": per_worker("cpu_ratio"),
        "rows_one_worker": rows[0]["rows_one"], "rows_per_worker": per_worker("rows_two"),
        "predict_one_s": per_worker("predict_one_s"), "predict_two_s": per_worker("predict_two_s"),
        "gather_in_eval_s": per_worker("gather_in_eval_s"), "gather_s": per_worker("gather_s"),
        "sent_mb": per_worker("sent_mb"), "load": per_worker("load")}), flush=True)


def free_ports(n: int) -> list[int]:
    sockets = [socket.socket() for _ in range(n)]
    for s in sockets:
        s.bind(("localhost", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--worker":
        worker(sys.argv[2], int(sys.argv[3]), sys.argv[4])
    else:
        main()
