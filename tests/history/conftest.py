"""Helpers for the history tests: a naive reference model of the store, subprocesses."""

from __future__ import annotations

import contextlib
import math
import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

import fittrack


class KerasLikeHistory:
    """What ``keras.callbacks.History`` does with the logs, written out by hand."""

    def __init__(self) -> None:
        self.history: dict[str, list[float]] = {}
        self.epoch: list[int] = []

    def on_epoch_end(self, epoch: int, logs: dict) -> None:
        self.epoch.append(epoch)
        for key, value in logs.items():
            self.history.setdefault(key, []).append(value)


def same_floats(a, b) -> bool:
    """Equal lists of floats where NaN equals NaN and -0.0 differs from 0.0."""
    a, b = list(a), list(b)
    if len(a) != len(b):
        return False
    for x, y in zip(a, b):
        if math.isnan(x) or math.isnan(y):
            if not (math.isnan(x) and math.isnan(y)):
                return False
        elif x != y or math.copysign(1, x) != math.copysign(1, y):
            return False
    return True


def cells(history, level: str = "epoch") -> list[tuple]:
    """Every row of a level as (index..., {key: value}) with missing keys absent."""
    table = history.table(level)
    index = [table.index_column(name).tolist() for name in table.index_names]
    columns = {key: table.column(key) for key in table.keys}
    rows = []
    for i in range(table.n_rows):
        values = {key: float(v[i]) for key, (v, p) in columns.items() if p[i]}
        rows.append((*[col[i] for col in index], values))
    return rows


def same_rows(a: list[tuple], b: list[tuple]) -> bool:
    """Rows equal cell by cell (NaN equal to NaN, missing distinct from NaN)."""
    if len(a) != len(b):
        return False
    for ra, rb in zip(a, b):
        if ra[:-1] != rb[:-1] or set(ra[-1]) != set(rb[-1]):
            return False
        if not same_floats([ra[-1][k] for k in ra[-1]], [rb[-1][k] for k in ra[-1]]):
            return False
    return True


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(12345)


ROOT = str(Path(fittrack.__file__).resolve().parent.parent)  # the fittrack under test


@contextlib.contextmanager
def python_process(code: str, *args: str, timeout: float = 60):
    """A Python subprocess running ``code`` (stdin/stdout pipes, text); killed on failure."""
    env = dict(os.environ, PYTHONPATH=ROOT)
    process = subprocess.Popen([sys.executable, "-c", code, *map(str, args)], env=env,
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    try:
        yield process
        process.wait(timeout=timeout)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        for stream in (process.stdin, process.stdout, process.stderr):
            stream.close()


def run_python(code: str, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    """Run ``code`` in a subprocess to the end (killed after ``timeout`` seconds)."""
    env = dict(os.environ, PYTHONPATH=ROOT)
    return subprocess.run([sys.executable, "-c", code, *map(str, args)], env=env,
                          capture_output=True, text=True, timeout=timeout)


@contextlib.contextmanager
def caught_warnings():
    """Record every warning (a list of messages)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        messages: list[str] = []
        yield messages
        messages.extend(str(w.message) for w in caught)
