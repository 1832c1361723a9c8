"""``MetricsCallback``: exact metrics on whole datasets while a Keras model trains.

Example:
    >>> import keras, numpy as np
    >>> from fittrack import MetricsCallback
    >>> x, y = np.random.rand(64, 3), np.random.randint(0, 2, 64)
    >>> model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1, activation="sigmoid")])
    >>> model.compile("adam", "binary_crossentropy")
    >>> cb = MetricsCallback(["accuracy", "auc"], train_data=(x, y), validation_data=(x, y))
    >>> _ = model.fit(x, y, epochs=2, verbose=0, callbacks=[cb])
    >>> cb.history.keys()
    ['loss', 'accuracy', 'auc', 'val_accuracy', 'val_auc']
    >>> len(cb.history["val_auc"])
    2
"""

from __future__ import annotations

import os
import warnings
from typing import Any

import keras
import numpy as np

from fittrack.callbacks import checks, monitors
from fittrack.callbacks.data import parse_data
from fittrack.callbacks.distribution import is_chief
from fittrack.callbacks.eval_sets import ArraySet, MonitorGroup, StreamSet, build_set
from fittrack.callbacks.inference import DEFAULT_BATCH_SIZE, Predictor, fixed_batch_size
from fittrack.callbacks.logs import KERAS_SUFFIX, merge_into_logs
from fittrack.callbacks.outputs import OutputPlan
from fittrack.callbacks.schedule import Schedule
from fittrack.callbacks.streams import is_stream, parse_stream
from fittrack.history import CsvStream, MetricHistory

DRY_RUN_ROWS = 256


class MetricsCallback(keras.callbacks.Callback):
    """Compute exact metrics from the model's own predictions during ``fit``.

    At the end of every ``epoch_frequency``-th epoch the model predicts the whole
    ``train_data`` and ``validation_data``; every metric is computed on all rows
    at once and written into ``logs`` (``<name>`` and ``val_<name>``), so
    EarlyStopping, ModelCheckpoint and Keras' History see the exact values. With
    ``batch_frequency=N`` the same metrics are computed every N training batches
    on seeded subsets of ``monitor_size`` rows. Everything, with every key Keras
    logs, is kept in :attr:`history`, and streamed to ``csv_path``.

    Put it first in ``callbacks=[...]``: callbacks after it see its values.

    Args:
        metrics: names (``"accuracy"``, ``"auc"``, ``"f1"``, ``"mse"``, Keras 2
            names such as ``"acc"`` and ``"cosine"``, ...), scikit-learn metric
            functions, callables ``f(y_true, y_pred)`` in NumPy or ``keras.ops``,
            ``keras.metrics.Metric`` objects; or a dict ``{output_name: [...]}``
            for a multi-output model.
        train_data: ``(x, y)`` or ``(x, y, sample_weight)`` arrays, a
            ``tf.data.Dataset`` or ``keras.utils.PyDataset`` of such batches, a
            generator of them (with ``train_steps``), or None.
        validation_data: same forms, or None.
        batch_frequency: also evaluate every N training batches (on the
            monitor subsets), or None.
        monitor_size: rows drawn (with ``seed``) from each dataset for the
            batch-level evaluations; all rows if the dataset is smaller.
        epoch_frequency: evaluate at epochs ``e`` with ``(e + 1) % N == 0``.
        batch_size: rows per inference batch (default 1024).
        csv_path: stream epoch rows to this CSV (and batch rows to
            ``<stem>.batches.csv``), flushed at the end of every epoch.
        append: continue an existing ``csv_path`` and this callback's history
            (resume with ``fit(..., initial_epoch=k)``, ``k`` after the last
            epoch held: a file holding epochs ``>= k`` is refused before the
            first batch); ``"replace"`` continues them but replaces the
            epochs ``>= k``.
        seed: seed of the monitor subsets.
        train_steps, validation_steps: batches read from a streamed source at
            each evaluation; required for sources that do not end.
        live_plot: in Jupyter, redraw one figure in place at each epoch end:
            True, or a dict of :class:`~fittrack.plots.LivePlot` arguments
            (``{"metrics": ["auc"], "level": "batch"}``). Does nothing outside
            a notebook.

    Attributes:
        history: the run's :class:`~fittrack.MetricHistory`.
    """

    def __init__(self, metrics: Any, train_data: Any = None, validation_data: Any = None,
                 batch_frequency: int | None = None, monitor_size: int = 1024,
                 epoch_frequency: int = 1, batch_size: int | None = None,
                 csv_path: str | os.PathLike | None = None, append: bool = False,
                 seed: int = 0, *, train_steps: int | None = None,
                 validation_steps: int | None = None, live_plot: bool | dict = False):
        super().__init__()
        _check_int("batch_frequency", batch_frequency, allow_none=True)
        _check_int("monitor_size", monitor_size)
        _check_int("epoch_frequency", epoch_frequency)
        _check_int("batch_size", batch_size, allow_none=True)
        _check_int("train_steps", train_steps, allow_none=True)
        _check_int("validation_steps", validation_steps, allow_none=True)
        self._plan = OutputPlan.from_argument(metrics)
        self._train = _parse_source(train_data, "train_data", train_steps)
        self._val = _parse_source(validation_data, "validation_data", validation_steps)
        if self._train is None and self._val is None:
            raise ValueError("MetricsCallback needs data to evaluate: pass train_data=(x, y) "
                             "and/or validation_data=(x_val, y_val).")
        self.batch_frequency, self.monitor_size = batch_frequency, monitor_size
        self.epoch_frequency, self.seed = epoch_frequency, seed
        self.batch_size, self._batch_size_given = batch_size or DEFAULT_BATCH_SIZE, batch_size
        if append not in (True, False, "replace"):
            raise ValueError(f"append must be True, False or 'replace'; received {append!r}.")
        self.csv_path, self.append = csv_path, append
        self.history = MetricHistory()
        self._schedule = Schedule(epoch_frequency, batch_frequency)
        self._predictor = Predictor()
        self._stream: CsvStream | None = None
        if csv_path is not None:
            CsvStream(csv_path, self.history).check_writable()
        if not isinstance(live_plot, (bool, dict)):
            raise TypeError(f"live_plot must be True, False or a dict of LivePlot arguments; "
                            f"received {live_plot!r}.")
        self.live_plot = live_plot
        self._live = None
        if batch_frequency is not None:
            # Only now is the batch hook overridden: it turns off async dispatch.
            self.on_train_batch_end = self._on_train_batch_end

    # ----- Keras hooks -----
    def on_train_begin(self, logs: dict | None = None) -> None:
        model = self.model
        self._schedule.reset()
        self._predictor.reset()
        self._plan.outputs = []
        self._first_epoch = True
        self._start_history()
        self._epoch_sets, self._monitor_sets = self._prepare(model)
        monitors.configure_monitors(self, monitors.sibling_callbacks(), self._direction)
        if self.live_plot:
            from fittrack.plots import LivePlot

            self._live = LivePlot(**(self.live_plot if isinstance(self.live_plot, dict) else {}))

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        if self._first_epoch:
            self._first_epoch = False
            self._resume_at(epoch)
        self._schedule.begin_epoch(epoch)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        computed: dict[str, float] = {}
        if self._schedule.epoch_due(epoch):
            computed = self._evaluate_sets(self._epoch_sets)
        self.history.record_epoch(epoch, merge_into_logs(logs, computed))
        self._flush()
        if self._live is not None:
            self._live.update(self.history)

    def _on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        if not self._schedule.advance(batch):
            return
        computed = self._evaluate_sets(self._monitor_sets)
        row = merge_into_logs(logs, computed)
        epoch = self._schedule.epoch if self._schedule.epoch is not None else 0
        self.history.record_batch(self._schedule.step, epoch, batch, row)

    def on_train_end(self, logs: dict | None = None) -> None:
        self._flush()
        if self._live is not None:
            self._live.close()

    # ----- helpers -----
    def _start_history(self) -> None:
        continuing = self.append and (len(self.history) or self.history.last_step is not None)
        if not continuing:
            loaded = self.append and self.csv_path is not None and os.path.exists(self.csv_path)
            self.history = MetricHistory.from_csv(self.csv_path) if loaded else MetricHistory()
        self.history.set_greater_is_better("loss", False)
        self._stream = None
        if self.csv_path is not None and is_chief():
            self._stream = CsvStream(self.csv_path, self.history)
            self._stream.check_writable()
            self._stream.start(append=self.append)

    def _resume_at(self, epoch: int) -> None:
        """Start at ``initial_epoch=epoch``: refuse to drop finished epochs silently."""
        held = sorted(e for e in self.history.epoch if e >= epoch)
        if held and self.append != "replace":
            self._close_stream()
            raise ValueError(resume_conflict(self.csv_path, self.history.epoch, epoch))
        # Batch rows of epochs >= epoch belong to an epoch that did not finish (an
        # interrupted fit) or to the epochs replaced: they are recorded again.
        self.history.truncate(epoch)
        last = max(self.history.epoch, default=-1)
        if self.append and last + 1 < epoch:
            warnings.warn(f"{_holder(self.csv_path)} ends at epoch {last} and this fit starts at "
                          f"initial_epoch={epoch}: epochs {last + 1}-{epoch - 1} will have no "
                          "rows.", UserWarning, stacklevel=3)
        self._schedule.reset(self._steps_before(epoch))

    def _steps_before(self, initial_epoch: int) -> int:
        """Training batches run before this fit: 0, or those of the epochs resumed after."""
        if not self.append or initial_epoch == 0:
            return 0
        steps = (self.params or {}).get("steps")
        if steps:
            return initial_epoch * int(steps)
        return self.history.last_step or 0

    def _prepare(self, model: Any) -> tuple[list, list]:
        roles = [("train", "", "train_data", self._train),
                 ("val", "val_", "validation_data", self._val)]
        epoch_sets, monitor_parts = [], []
        rng = np.random.default_rng(self.seed)
        batch_size, exact = self._inference_batch_size(model)
        for key, prefix, role, data in roles:
            if data is None:
                continue
            eval_set = build_set(key, prefix, role, data, batch_size, exact)
            self._check(model, eval_set)
            epoch_sets.append(eval_set)
            if self.batch_frequency is not None:
                monitor_parts.append(eval_set.monitor(self.monitor_size, rng))
        monitor_sets = [MonitorGroup(monitor_parts, batch_size, exact)] if monitor_parts else []
        return epoch_sets, monitor_sets

    def _inference_batch_size(self, model: Any) -> tuple[int, bool]:
        """The batch size to predict with; a stateful RNN's fixed one if there is one."""
        fixed = fixed_batch_size(model)
        if fixed is None:
            return self.batch_size, False
        if self._batch_size_given and self._batch_size_given != fixed:
            raise ValueError(
                f"The model has stateful RNN layers built for batches of {fixed} rows, so "
                f"MetricsCallback must predict in batches of {fixed}; received "
                f"batch_size={self._batch_size_given}. Leave batch_size=None.")
        return fixed, True

    def _check(self, model: Any, eval_set: ArraySet | StreamSet) -> None:
        """Bind the outputs, check the targets and dry-run every metric, before training."""
        first, y, weights, rows = eval_set.head(self._predictor, model)
        if not self._plan.outputs:
            self._plan.bind(first, getattr(model, "output_names", None))
            for k, greater in self._plan.directions().items():
                self.history.set_greater_is_better(k, greater)
                self.history.set_greater_is_better(k + KERAS_SUFFIX, greater)
        targets = self._plan.targets(y, eval_set.role)
        for out, target in zip(self._plan.outputs, targets):
            pred = first[out.position][1]
            checks.check_target_shape(target, pred, eval_set.role, out.name)
            checks.check_labels(target, pred, eval_set.role, out.name)
        checks.dry_run(self._plan, targets, first, weights, min(DRY_RUN_ROWS, rows),
                       eval_set.role)

    def _evaluate_sets(self, sets: list) -> dict[str, float]:
        model = self.model  # on JAX this syncs the training state into the model
        values: dict[str, float] = {}
        for group in sets:
            for s, y, predictions, weights in group.results(self._predictor, model):
                targets = self._plan.targets(y, s.role)
                values.update(self._plan.evaluate(targets, predictions, weights, s.prefix,
                                                  s.where, on_error="nan"))
        return values

    def _direction(self, key: str) -> bool | None:
        base = key[4:] if key.startswith("val_") else key
        return self._plan.directions().get(base)

    def _flush(self) -> None:
        if self._stream is not None:
            self._stream.flush()

    def _close_stream(self) -> None:
        stream, self._stream = self._stream, None
        if stream is not None and hasattr(stream, "close"):
            stream.close()


def _holder(csv_path: Any) -> str:
    return f"csv_path={str(csv_path)!r}" if csv_path is not None else "this callback's history"


def resume_conflict(csv_path: Any, epochs: list[int], initial_epoch: int) -> str:
    """The message for a resumed run that would overwrite finished epochs."""
    first, last = min(epochs), max(epochs)
    return (f"{_holder(csv_path)} already holds epochs {first}-{last}, and this fit starts at "
            f"initial_epoch={initial_epoch}, so epochs >= {initial_epoch} would be replaced. "
            f"Choose one: fit(..., initial_epoch={last + 1}) to continue after them; "
            f"MetricsCallback(..., append='replace') to replace the epochs >= {initial_epoch}; "
            "or append=False to start a new history (and file).")


def _parse_source(data: Any, role: str, steps: int | None) -> Any:
    if data is not None and is_stream(data):
        return parse_stream(data, role, steps)
    return parse_data(data, role)


def _check_int(name: str, value: Any, allow_none: bool = False) -> None:
    if value is None and allow_none:
        return
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        allowed = "a positive integer or None" if allow_none else "a positive integer"
        raise ValueError(f"{name} must be {allowed}; received {value!r}.")
