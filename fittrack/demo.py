"""``fittrack demo``: train a small model on scikit-learn's digits with the callback.

The application layer, like ``cli.py``: it imports Keras (inside
:func:`run_demo`, after choosing the backend) to train a model end to end.

Example (slow: it trains a model):
    >>> from fittrack.demo import run_demo                      # doctest: +SKIP
    >>> history = run_demo(epochs=3, out="fittrack-demo")       # doctest: +SKIP
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

BACKENDS = ("jax", "tensorflow", "torch")
TABLE_KEYS = ("loss", "accuracy", "val_loss", "val_accuracy", "val_auc", "val_f1", "val_log_loss")


def pick_backend(requested: str | None) -> str:
    """The requested backend, else $KERAS_BACKEND, else the first one installed."""
    backend = requested or os.environ.get("KERAS_BACKEND")
    if backend:
        return backend
    for name in BACKENDS:
        if importlib.util.find_spec(name) is not None:
            return name
    raise RuntimeError("No Keras backend is installed: pip install 'fittrack[jax]' "
                       "(or tensorflow-cpu, or torch==2.13.0).")


def load_digits_split(seed: int = 0) -> tuple[np.ndarray, ...]:
    """scikit-learn's bundled 8x8 digits (no download), scaled to [0, 1], 80/20 split."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    x = (digits.data / 16.0).astype("float32")
    y = digits.target.astype("int64")
    order = np.random.default_rng(seed).permutation(len(x))
    cut = int(0.8 * len(x))
    return x[order[:cut]], y[order[:cut]], x[order[cut:]], y[order[cut:]]


def run_demo(backend: str | None = None, epochs: int = 10, out: str | os.PathLike = "fittrack-demo",
             batch_frequency: int = 10, seed: int = 0, plot: bool = True,
             echo: Callable[[str], Any] = print) -> Any:
    """Train on the digits, print one table row per epoch, write the CSVs (and the plot).

    Returns the run's :class:`~fittrack.MetricHistory`.
    """
    os.environ["KERAS_BACKEND"] = pick_backend(backend)
    import keras

    from fittrack.callbacks import MetricsCallback

    if keras.backend.backend() != os.environ["KERAS_BACKEND"]:
        raise RuntimeError(f"Keras is already running the {keras.backend.backend()} backend; "
                           "start a new process to use another one.")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    x, y, xv, yv = load_digits_split(seed)
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([
        keras.Input((64,)),
        keras.layers.Dense(64, activation="relu"),
        keras.layers.Dropout(0.2),
        keras.layers.Dense(10, activation="softmax"),
    ])
    model.compile(keras.optimizers.Adam(1e-3), "sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    cb = MetricsCallback(["accuracy", "auc", "f1", "log_loss"], train_data=(x, y),
                         validation_data=(xv, yv), batch_frequency=batch_frequency,
                         csv_path=out / "history.csv", seed=seed)
    echo(f"fittrack demo: digits, {len(x)} train / {len(xv)} validation rows, "
         f"backend {keras.backend.backend()}, {epochs} epochs")
    model.fit(x, y, epochs=epochs, batch_size=32, verbose=0, validation_data=(xv, yv),
              callbacks=[cb, _table_printer(echo)])
    _finish(cb.history, out, plot, echo)
    return cb.history


def _finish(history: Any, out: Path, plot: bool, echo: Callable[[str], Any]) -> None:
    from fittrack.history.summary import format_summary, summarize

    epoch, value = history.best("val_auc")
    echo(f"best val_auc {value:.4f} at epoch {epoch}; accuracy as Keras printed it "
         f"(running average) vs exact: {history['accuracy_keras'][-1]:.4f} vs "
         f"{history['accuracy'][-1]:.4f}")
    echo(format_summary(summarize(history)))
    echo(f"wrote {out / 'history.csv'} and {out / 'history.batches.csv'}")
    if plot:
        import matplotlib.pyplot as plt

        from fittrack.plots import plot_history

        fig = plot_history(history, batch_overlay=True,
                           title="fittrack demo: digits, exact metrics per epoch and per batch")
        fig.savefig(out / "curves.png", dpi=110)
        plt.close(fig)
        echo(f"wrote {out / 'curves.png'}")


def _table_printer(echo: Callable[[str], Any]) -> Any:
    """A Keras callback printing one row of :data:`TABLE_KEYS` per epoch."""
    import keras

    class TablePrinter(keras.callbacks.Callback):
        def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
            logs = logs or {}
            if epoch == 0:
                echo("epoch " + " ".join(f"{k:>12}" for k in TABLE_KEYS))
            cells = " ".join(f"{logs[k]:>12.4f}" if k in logs else f"{'':>12}" for k in TABLE_KEYS)
            echo(f"{epoch:>5} {cells}")

    return TablePrinter()
