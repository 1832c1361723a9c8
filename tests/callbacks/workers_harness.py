"""The two-worker harness shared by the JAX and the TensorFlow worker tests.

Test side: :func:`launch` starts the worker processes (their output in files
under the test's directory), kills them all as soon as one fails or the time
is up, and reads each worker's ``result{i}.json``; :func:`check_points`
recomputes, in this process, every value the workers logged, on the whole
sets at the weights they saved. Worker side (imports NumPy only, so a worker
starts its engine first): the data, the model, the :func:`recorder` that saves
the weights and the logs where the callback evaluated, and :func:`count_rows`.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
N_TRAIN, N_VAL, BATCH_FREQUENCY = 800, 1001, 4
METRICS = ["auc", "accuracy", "f1"]


# ----- worker side
def data() -> tuple[np.ndarray, ...]:
    """x, y of the training set; x, y, sample weights of the validation set (1,001 rows)."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(N_TRAIN + N_VAL, 5)).astype("float32")
    y = (x[:, 0] + 0.5 * x[:, 1] + rng.normal(scale=0.8, size=len(x)) > 0).astype("int64")
    w = rng.uniform(0.5, 2.0, size=len(x))
    return x[:N_TRAIN], y[:N_TRAIN], x[N_TRAIN:], y[N_TRAIN:], w[N_TRAIN:]


def build(keras: Any, learning_rate: float = 0.01) -> Any:
    """The model of the worker tests (Keras 3 or tf_keras), with both kinds of regulariser."""
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(
        8, activation="relu", kernel_regularizer=keras.regularizers.l2(1e-3),
        activity_regularizer=keras.regularizers.l2(1e-3)), keras.layers.Dense(1, "sigmoid")])
    model.compile(keras.optimizers.Adam(learning_rate), "binary_crossentropy")
    return model


def recorder(base: type, name: str, worker: int, out: str, batch_frequency: int | None) -> Any:
    """A callback (subclass of ``base``) saving the weights and the logs after each epoch and
    each ``batch_frequency``-th batch; its ``points`` list them."""

    class Record(base):
        def __init__(self) -> None:
            super().__init__()
            self.step, self.points = 0, []

        def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
            self.step += 1
            if batch_frequency and self.step % batch_frequency == 0:
                self._save("batch", self.step, logs)

        def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
            self._save("epoch", epoch, logs)

        def _save(self, level: str, at: int, logs: dict | None) -> None:
            path = os.path.join(out, f"{name}_w{worker}_{level}{at}.npz")
            np.savez(path, *self.model.get_weights())
            self.points.append({"level": level, "at": at, "weights": path,
                                "logs": {k: float(v) for k, v in (logs or {}).items()}})
    return Record()


def count_rows() -> dict[str, int]:
    """Counts the rows the callback predicts from now on: per dataset key (``val``,
    ``train``, ``<key>_check``, ``monitors_<n>``) and ``stream`` for streamed batches."""
    from fittrack.callbacks.inference import Predictor

    rows: dict[str, int] = {}
    predict, predict_batch = Predictor.predict, Predictor.predict_batch

    def counting_predict(self, model, batched, key, *args, **kwargs):
        rows[key] = rows.get(key, 0) + batched.n_rows
        return predict(self, model, batched, key, *args, **kwargs)

    def counting_predict_batch(self, model, x, n, *args, **kwargs):
        rows["stream"] = rows.get("stream", 0) + n
        return predict_batch(self, model, x, n, *args, **kwargs)

    Predictor.predict, Predictor.predict_batch = counting_predict, counting_predict_batch
    return rows


def refused(fit: Callable[[], Any]) -> str | None:
    """``"Type: message"`` of the error ``fit()`` raised, or None."""
    try:
        fit()
    except Exception as err:
        return f"{type(err).__name__}: {err}"
    return None


# ----- test side
def free_ports(n: int) -> list[int]:
    """``n`` ports the system has free now."""
    sockets = [socket.socket() for _ in range(n)]
    try:
        for s in sockets:
            s.bind(("localhost", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def launch(script: str, out: Any, args: list[list[str]], envs: list[dict],
           timeout: float = 300) -> list[dict]:
    """Run one process of ``script`` per worker (``args[i]``, ``os.environ`` updated with
    ``envs[i]``, this checkout first on PYTHONPATH), its output in ``out/worker{i}.log``.
    As soon as one fails, or after ``timeout`` seconds, every process still running is
    killed and the test fails with the logs' ends. Returns each ``out/result{i}.json``."""
    procs, logs = [], []
    for i, (argv, env) in enumerate(zip(args, envs)):
        logs.append(open(os.path.join(out, f"worker{i}.log"), "w"))  # noqa: SIM115 - closed below
        procs.append(subprocess.Popen([sys.executable, os.path.join(HERE, script), *argv],
                                      env=_env(env), stdout=logs[-1],
                                      stderr=subprocess.STDOUT))
    deadline, failed = time.monotonic() + timeout, False
    try:
        while any(p.poll() is None for p in procs) and not failed:
            failed = any(p.poll() not in (None, 0) for p in procs) or time.monotonic() > deadline
            time.sleep(0.2)
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
            p.wait()
        for log in logs:
            log.close()
    if any(p.returncode != 0 for p in procs):
        tails = [Path(out, f"worker{i}.log").read_text()[-3000:] for i in range(len(procs))]
        raise AssertionError(f"workers exited with {[p.returncode for p in procs]} "
                             f"(timeout {timeout} s):\n" + "\n".join(tails))
    return [json.loads(open(os.path.join(out, f"result{i}.json")).read())
            for i in range(len(procs))]


def _env(extra: dict) -> dict:
    """This process's environment, ``extra`` and this checkout first on PYTHONPATH."""
    path = os.pathsep.join(p for p in (ROOT, os.environ.get("PYTHONPATH")) if p)
    return dict(os.environ, PYTHONPATH=path, **extra)


def whole_data() -> dict[str, tuple]:
    """The sets of the workers, whole: (x, y, sample_weight) per key prefix."""
    x, y, xv, yv, wv = data()
    return {"": (x, y, None), "val_": (xv, yv, wv)}


def reference(model: Any, weights_path: str, sets: dict[str, tuple]) -> dict[str, float]:
    """Every value one process computes on the whole sets at these weights (``model``:
    a compiled copy of the workers' model)."""
    from sklearn.metrics import accuracy_score, f1_score, roc_auc_score

    with np.load(weights_path) as saved:
        model.set_weights([saved[f"arr_{i}"] for i in range(len(saved.files))])
    values = {}
    for prefix, (x, y, w) in sets.items():
        p = np.asarray(model.predict(x, batch_size=len(x), verbose=0))[:, 0]
        values[prefix + "auc"] = roc_auc_score(y, p, sample_weight=w)
        values[prefix + "accuracy"] = accuracy_score(y, p > 0.5, sample_weight=w)
        values[prefix + "f1"] = f1_score(y, p > 0.5, sample_weight=w)
        values[prefix + "loss"] = model.evaluate(x, y, sample_weight=w, batch_size=len(x),
                                                 verbose=0)
    return values


def check_points(results: list[dict], name: str, levels: list[str], model: Any) -> None:
    """Both workers logged the very same values at the same points, and each value is the
    whole sets' at the weights saved there (``model``: the reference model)."""
    import pytest

    sets = whole_data()
    first, second = results[0][name]["points"], results[1][name]["points"]
    assert [(p["level"], p["at"]) for p in first] == [(p["level"], p["at"]) for p in second]
    assert sorted({p["level"] for p in first}) == levels
    for mine, theirs in zip(first, second):
        assert mine["logs"] == theirs["logs"]   # both workers log the very same values
        expected = reference(model, mine["weights"], sets)
        for key, value in expected.items():
            if key in mine["logs"]:
                tol = 1e-5 * abs(value) if key.endswith("loss") else 1e-9
                assert mine["logs"][key] == pytest.approx(value, abs=tol), \
                    (name, mine["level"], mine["at"], key)
        assert {k for k in expected if k in mine["logs"]} == set(expected)
