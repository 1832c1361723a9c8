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
    ['loss', 'accuracy', 'auc', 'val_accuracy', 'val_auc', 'val_loss', 'loss_keras', 'eval_seconds']
    >>> len(cb.history["val_auc"])
    2
"""

from __future__ import annotations

import os
import time
from typing import Any

import keras
import numpy as np

from fittrack.callbacks import compat, monitors, resume, workers
from fittrack.callbacks.arguments import (
    check_curves,
    check_from_logits,
    check_int,
    parse_source,
    warn_unknown_directions,
)
from fittrack.callbacks.distribution import is_chief
from fittrack.callbacks.eval_sets import MonitorGroup, build_set
from fittrack.callbacks.evaluator import Evaluator
from fittrack.callbacks.inference import (
    DEFAULT_BATCH_SIZE,
    fixed_batch_size,
    has_activity_regularizer,
    stateful_layers,
)
from fittrack.callbacks.logs import KERAS_SUFFIX, merge_into_logs
from fittrack.callbacks.outputs import OutputPlan
from fittrack.callbacks.progress import Progress
from fittrack.callbacks.schedule import Schedule
from fittrack.history import CsvStream, MetricHistory

#: the store's key for how long each evaluation took (seconds); not a metric
EVAL_SECONDS = "eval_seconds"


class MetricsCallback(compat.TfKerasCallbackHooks, keras.callbacks.Callback):
    """Compute exact metrics from the model's own predictions during ``fit``.

    At the end of every ``epoch_frequency``-th epoch the model predicts the whole
    ``train_data`` and ``validation_data``; every metric is computed on all rows
    at once and written into ``logs`` (``<name>`` and ``val_<name>``), so
    EarlyStopping, ModelCheckpoint and Keras' History see the exact values. With
    ``batch_frequency=N`` the same metrics are computed every N training batches
    on seeded subsets of ``monitor_size`` rows. Everything, with every key Keras
    logs, is kept in :attr:`history`, and streamed to ``csv_path``.

    ``loss`` and ``val_loss`` are exact too: the compiled loss (with its
    weights and the model's regularisation losses) on the whole dataset, as
    ``model.evaluate`` gives it; Keras' running average is kept as
    ``loss_keras``. Masked timesteps (``Embedding(mask_zero=True)``) and
    zero per-timestep weights are left out of every metric and the loss.

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
        curves: True, or some of ``["roc", "pr", "confusion"]``: keep the ROC
            curve, the PR curve and the confusion matrix of every dataset and
            classification output at each evaluated epoch
            (:meth:`MetricHistory.curve`, ``<stem>.curves.npz`` beside the CSV).
        from_logits: None (read it from the compiled loss of each output), True
            or False, or ``{output_name: bool}``: whether the outputs are
            logits. Score-based metrics then get sigmoid/softmax
            probabilities and label-based ones decide at logit 0 / arg-max.
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
                 csv_path: str | os.PathLike | None = None, append: bool | str = False,
                 seed: int = 0, *, from_logits: bool | dict | None = None,
                 curves: bool | list[str] = False, train_steps: int | None = None,
                 validation_steps: int | None = None, live_plot: bool | dict = False):
        super().__init__()
        for name, value in (("batch_frequency", batch_frequency), ("batch_size", batch_size),
                            ("train_steps", train_steps), ("validation_steps", validation_steps)):
            check_int(name, value, allow_none=True)
        check_int("monitor_size", monitor_size)
        check_int("epoch_frequency", epoch_frequency)
        check_from_logits(from_logits)
        if append not in resume.APPEND_CHOICES:
            raise ValueError(f"append must be True, False or 'replace'; received {append!r}.")
        plan = OutputPlan.from_argument(metrics)
        warn_unknown_directions(plan.per_output_directions())
        self._evaluator = Evaluator(plan, from_logits, check_curves(curves))
        self._train = parse_source(train_data, "train_data", train_steps)
        self._val = parse_source(validation_data, "validation_data", validation_steps)
        if self._train is None and self._val is None:
            raise ValueError("MetricsCallback needs data to evaluate: pass train_data=(x, y) "
                             "and/or validation_data=(x_val, y_val).")
        self.batch_frequency, self.monitor_size = batch_frequency, monitor_size
        self.epoch_frequency, self.seed, self.from_logits = epoch_frequency, seed, from_logits
        self.batch_size, self._batch_size_given = batch_size or DEFAULT_BATCH_SIZE, batch_size
        self.csv_path, self.append, self.curves = csv_path, append, curves
        self.history = MetricHistory()
        self._schedule = Schedule(epoch_frequency, batch_frequency)
        self._counted: tuple[int, int] | None = None   # (last epoch, steps) of the last fit
        self._stream: CsvStream | None = None
        if csv_path is not None:
            CsvStream(csv_path, self.history).check_writable()
        if not isinstance(live_plot, (bool, dict)):
            raise TypeError(f"live_plot must be True, False or a dict of LivePlot arguments; "
                            f"received {live_plot!r}.")
        self.live_plot = live_plot
        self._live: Any = None
        if batch_frequency is not None:
            # Only now is the batch hook overridden: it turns off async dispatch.
            self.on_train_batch_end = self._on_train_batch_end

    # ----- Keras hooks -----
    def on_train_begin(self, logs: dict | None = None) -> None:
        model = self.model
        self._schedule.reset()
        self._evaluator.reset()
        self._first_epoch = True
        self._progress = Progress(bool((self.params or {}).get("verbose")))
        self._start_history()
        try:
            self._epoch_sets, self._monitors = self._prepare(model)
        except BaseException:
            self._close_stream()
            raise
        monitors.configure_monitors(self, compat.sibling_callbacks(), self._evaluator.direction)
        monitors.warn_validation_split(compat.fit_arguments(), self._train, self._val)
        if self.live_plot and is_chief():
            from fittrack.plots import LivePlot

            self._live = LivePlot(**(self.live_plot if isinstance(self.live_plot, dict) else {}))

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        if self._first_epoch:
            self._first_epoch = False
            try:
                resume.resume(self.history, epoch, self.append, self.csv_path)
            except ValueError:
                self._close_stream()
                raise
            self._schedule.reset(resume.steps_before(
                self.history, epoch, self.append, (self.params or {}).get("steps"),
                self._counted, bool(self.batch_frequency)))
        self._schedule.begin_epoch(epoch)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        computed: dict[str, float] = {}
        seconds = None
        if self._schedule.epoch_due(epoch):
            start = time.perf_counter()
            computed, curves = self._evaluator.evaluate(self._epoch_sets, self.model,
                                                        self._progress)
            seconds = time.perf_counter() - start
            for dataset, per_output in curves.items():
                for output, arrays in per_output.items():
                    self.history.curves.add_curves(epoch, dataset, arrays, output)
        row = merge_into_logs(logs, computed)
        if seconds is not None:
            row[EVAL_SECONDS] = seconds
        self.history.record_epoch(epoch, row)
        self._flush()
        if self._live is not None:
            self._live.update(self.history)

    def _on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        if not self._schedule.advance(batch):
            return
        # On JAX, self.model writes the training state back into the variables;
        # the step reads it where Keras keeps it instead (stateful RNNs need the sync).
        model = self.model if stateful_layers(self._model) else self._model
        start = time.perf_counter()
        assert self._monitors is not None
        computed = self._evaluator.evaluate_monitors(self._monitors, model)
        row = merge_into_logs(logs, computed)
        row[EVAL_SECONDS] = time.perf_counter() - start
        epoch = self._schedule.epoch if self._schedule.epoch is not None else 0
        self.history.record_batch(self._schedule.step, epoch, batch, row)

    def on_train_end(self, logs: dict | None = None) -> None:
        if self._schedule.epoch is not None:   # what a resume by this callback continues
            self._counted = (self._schedule.epoch, self._schedule.step)
        self._flush()
        self._close_stream()
        if self._live is not None:
            self._live.close()

    @property
    def live(self) -> Any:
        """The :class:`~fittrack.plots.LivePlot` of ``live_plot=`` (None without one)."""
        return self._live

    # ----- set-up -----
    def _start_history(self) -> None:
        continuing = self.append and (len(self.history) or self.history.last_step is not None)
        if not continuing:
            path = self.csv_path
            loaded = self.append and path is not None and os.path.exists(path)
            self.history = MetricHistory.from_csv(path) if loaded and path else MetricHistory()
        for k, greater in {"loss": False, **self._evaluator.plan.per_output_directions()}.items():
            self.history.set_greater_is_better(k, greater)
            self.history.set_greater_is_better(k + KERAS_SUFFIX, greater)
        self._close_stream()
        if self.csv_path is not None and is_chief():
            self._stream = CsvStream(self.csv_path, self.history)
            self._stream.check_writable()
            # Keras gives the callbacks of one fit the same params dict: two callbacks
            # of this fit on one path are refused, an earlier fit's stream taken over.
            self._stream.start(append=bool(self.append), owner=self.params)

    def _prepare(self, model: Any) -> tuple[list, MonitorGroup | None]:
        roles = [("train", "", "train_data", self._train),
                 ("val", "val_", "validation_data", self._val)]
        epoch_sets, monitor_parts = [], []
        rng = np.random.default_rng(self.seed)
        batch_size, exact = self._inference_batch_size(model)
        pad = not has_activity_regularizer(model)
        run = workers.detect(model)   # several processes: each predicts its share only
        with run.agree(self, self._evaluator.plan):
            for key, prefix, role, data in roles:
                if data is None:
                    continue
                data = run.share(data, role)
                eval_set = build_set(key, prefix, role, data, batch_size, exact, pad)
                self._evaluator.check(model, eval_set.head(self._evaluator.predictor, model),
                                      role)
                epoch_sets.append(eval_set)
                if self.batch_frequency is not None:
                    monitor_parts.append(run.monitor(eval_set, self.monitor_size, rng))
        group = MonitorGroup(monitor_parts, batch_size, exact, pad) if monitor_parts else None
        return run.gathering(epoch_sets, group)

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

    def _flush(self) -> None:
        if self._stream is not None:
            self._stream.flush()

    def _close_stream(self) -> None:
        stream, self._stream = self._stream, None
        if stream is not None and hasattr(stream, "close"):
            stream.close()
