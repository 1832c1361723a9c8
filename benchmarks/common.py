"""Shared set-up for the benchmarks: the model, the data, timers, memory.

The workload is the one the issue names: an MLP 784-256-128-10 (softmax) and
70,000 rows of 784 features (60,000 "train" + 10,000 "validation"), synthetic
so that nothing is downloaded; the labels depend on the inputs so the metrics
are not degenerate. Import this module only after KERAS_BACKEND is set.

With ``TF_USE_LEGACY_KERAS=1`` the model is a tf_keras (Keras 2) model
(``run.py --backends tf_keras``), and its bare forward pass is a
``tf.function`` around ``model(x, training=False)``: tf_keras'
``predict_on_batch`` builds a data handler per call, about 3x the cost.
"""

from __future__ import annotations

import json
import os
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np

N_TRAIN, N_VAL, N_FEATURES, N_CLASSES = 60_000, 10_000, 784, 10
PAGE = os.sysconf("SC_PAGE_SIZE")


def tf_keras_run() -> bool:
    """True when the benchmark models are tf_keras models (TensorFlow's own switch)."""
    return os.environ.get("TF_USE_LEGACY_KERAS") in ("1", "true", "True")


def keras_module() -> Any:
    """The Keras the benchmark models come from: tf_keras or Keras 3."""
    if tf_keras_run():
        import tf_keras

        return tf_keras
    import keras

    return keras


def backend_name() -> str:
    """``"tf_keras"``, or Keras 3's backend."""
    return "tf_keras" if tf_keras_run() else keras_module().backend.backend()


def synthetic_data(seed: int = 0) -> tuple[np.ndarray, ...]:
    """x (70k, 784) float32 and labels 0..9 from a fixed random linear teacher."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(N_TRAIN + N_VAL, N_FEATURES)).astype("float32")
    teacher = rng.normal(size=(N_FEATURES, N_CLASSES)).astype("float32")
    logits = x @ teacher + rng.normal(scale=20.0, size=(len(x), N_CLASSES))
    y = np.argmax(logits, axis=1).astype("int64")
    return x[:N_TRAIN], y[:N_TRAIN], x[N_TRAIN:], y[N_TRAIN:]


def build_mlp(metrics: list | None = None, loss: str = "sparse_categorical_crossentropy") -> Any:
    """The benchmark MLP, compiled with Adam."""
    keras = keras_module()

    keras.utils.set_random_seed(0)
    model = keras.Sequential([
        keras.Input((N_FEATURES,)),
        keras.layers.Dense(256, activation="relu"),
        keras.layers.Dense(128, activation="relu"),
        keras.layers.Dense(N_CLASSES, activation="softmax"),
    ])
    model.compile(keras.optimizers.Adam(1e-3), loss, metrics=metrics or [])
    return model


SEQ_TRAIN, SEQ_VAL, SEQ_LEN, VOCAB, TAGS = 12_000, 3_000, 40, 1_000, 20


def synthetic_sequences(seed: int = 0) -> tuple[np.ndarray, ...]:
    """Padded token sequences (lengths 5..40, 0 = padding) and a tag per token (0 on padding):
    the masked-sequence workload (a tagger, as in NER/POS tagging)."""
    rng = np.random.default_rng(seed)
    n = SEQ_TRAIN + SEQ_VAL
    lengths = rng.integers(5, SEQ_LEN + 1, n)
    x = rng.integers(1, VOCAB, (n, SEQ_LEN)).astype("int32")
    x[np.arange(SEQ_LEN) >= lengths[:, None]] = 0
    y = np.where(x > 0, (x * 7 + np.roll(x, 1, axis=1)) % TAGS, 0).astype("int32")
    return x[:SEQ_TRAIN], y[:SEQ_TRAIN], x[SEQ_TRAIN:], y[SEQ_TRAIN:]


def build_tagger(metrics: list | None = None) -> Any:
    """Embedding(mask_zero=True) -> LSTM(64, return_sequences) -> Dense(20, softmax)."""
    import keras

    keras.utils.set_random_seed(0)
    model = keras.Sequential([
        keras.Input((SEQ_LEN,), dtype="int32"),
        keras.layers.Embedding(VOCAB, 32, mask_zero=True),
        keras.layers.LSTM(64, return_sequences=True),
        keras.layers.Dense(TAGS, activation="softmax"),
    ])
    model.compile(keras.optimizers.Adam(1e-3), "sparse_categorical_crossentropy",
                  metrics=metrics or [])
    return model


def timed(fn: Callable[[], Any], repeats: int = 5, warmup: int = 1) -> float:
    """Median wall time of ``fn`` in seconds, after ``warmup`` untimed calls."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def time_epoch_end(cb: Any, times: list[float]) -> None:
    """Record the time of each call of ``cb.on_epoch_end`` (the callback's hook itself)."""
    time_hook(cb, "on_epoch_end", times)


def time_hook(cb: Any, hook: str, times: list[float]) -> None:
    """Record the time of each call of the callback's hook ``hook`` (e.g. ``on_epoch_end``)."""
    original = getattr(cb, hook)

    def timed_hook(*args: Any, **kwargs: Any) -> None:
        start = time.perf_counter()
        original(*args, **kwargs)
        times.append(time.perf_counter() - start)
    setattr(cb, hook, timed_hook)


def rss_mb() -> float:
    """Resident set size of this process, MiB."""
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * PAGE / 2**20


def forward_pass(model: Any, x: np.ndarray, batch_size: int) -> Callable[[], None]:
    """The bare compiled forward pass over pre-sliced batches, outputs as NumPy: Keras 3's
    predict step (``predict_on_batch``); for tf_keras, ``model(x, training=False)`` in a
    ``tf.function``."""
    batches = [x[i:i + batch_size] for i in range(0, len(x), batch_size)]
    predict = model.predict_on_batch
    if tf_keras_run():
        import tensorflow as tf

        step = tf.function(lambda b: model(b, training=False), reduce_retracing=True)
        predict = lambda b: step(b).numpy()  # noqa: E731

    def run() -> None:
        for batch in batches:
            predict(batch)
    return run


def emit(result: dict) -> None:
    """Print one JSON line the driver collects."""
    print("RESULT " + json.dumps(result), flush=True)
