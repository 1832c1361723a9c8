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
    ['loss', 'accuracy', 'auc', 'val_accuracy', 'val_auc', 'val_loss', 'loss_keras']
    >>> len(cb.history["val_auc"])
    2
"""

from __future__ import annotations

import functools
import os
import warnings
from typing import Any

import keras
import numpy as np

from fittrack.callbacks import checks, compat, monitors, resume
from fittrack.callbacks.arguments import (check_from_logits, check_int, from_logits_for,
                                          parse_source, warn_unknown_directions)
from fittrack.callbacks.distribution import is_chief
from fittrack.callbacks.eval_sets import MonitorGroup, build_set
from fittrack.callbacks.evaluation import Chunk, LossPlan, evaluate_chunks
from fittrack.callbacks.inference import (DEFAULT_BATCH_SIZE, Predictor, fixed_batch_size,
                                          has_activity_regularizer, stateful_layers)
from fittrack.callbacks.logs import KERAS_SUFFIX, merge_into_logs
from fittrack.callbacks.outputs import OutputPlan
from fittrack.callbacks.problems import decide, losses_by_output, output_activation
from fittrack.callbacks.schedule import Schedule
from fittrack.history import CsvStream, MetricHistory
from fittrack.metrics import EvalContext, Problem

DRY_RUN_ROWS = 256


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
                 train_steps: int | None = None, validation_steps: int | None = None,
                 live_plot: bool | dict = False):
        super().__init__()
        for name, value in (("batch_frequency", batch_frequency), ("batch_size", batch_size),
                            ("train_steps", train_steps), ("validation_steps", validation_steps)):
            check_int(name, value, allow_none=True)
        check_int("monitor_size", monitor_size)
        check_int("epoch_frequency", epoch_frequency)
        check_from_logits(from_logits)
        if append not in resume.APPEND_CHOICES:
            raise ValueError(f"append must be True, False or 'replace'; received {append!r}.")
        self._plan = OutputPlan.from_argument(metrics)
        warn_unknown_directions(self._plan.per_output_directions())
        self._train = parse_source(train_data, "train_data", train_steps)
        self._val = parse_source(validation_data, "validation_data", validation_steps)
        if self._train is None and self._val is None:
            raise ValueError("MetricsCallback needs data to evaluate: pass train_data=(x, y) "
                             "and/or validation_data=(x_val, y_val).")
        self.batch_frequency, self.monitor_size = batch_frequency, monitor_size
        self.epoch_frequency, self.seed, self.from_logits = epoch_frequency, seed, from_logits
        self.batch_size, self._batch_size_given = batch_size or DEFAULT_BATCH_SIZE, batch_size
        self.csv_path, self.append = csv_path, append
        self.history = MetricHistory()
        self._schedule = Schedule(epoch_frequency, batch_frequency)
        self._predictor = Predictor()
        self._losses = LossPlan()
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
        self._losses.reset()
        self._plan.unbind()
        self._first_epoch = True
        self._loss_unreadable_told = False
        self._start_history()
        try:
            self._epoch_sets, self._monitors = self._prepare(model)
        except BaseException:
            self._close_stream()
            raise
        monitors.configure_monitors(self, compat.sibling_callbacks(), self._direction)
        monitors.warn_validation_split(compat.fit_arguments(), self._train, self._val)
        if self.live_plot:
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
            self._schedule.reset(self._steps_before(epoch))
        self._schedule.begin_epoch(epoch)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        computed: dict[str, float] = {}
        if self._schedule.epoch_due(epoch):
            computed = self._evaluate(self._epoch_sets, self.model)
        self.history.record_epoch(epoch, merge_into_logs(logs, computed))
        self._flush()
        if self._live is not None:
            self._live.update(self.history)

    def _on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        if not self._schedule.advance(batch):
            return
        computed = self._evaluate_monitors()
        row = merge_into_logs(logs, computed)
        epoch = self._schedule.epoch if self._schedule.epoch is not None else 0
        self.history.record_batch(self._schedule.step, epoch, batch, row)

    def on_train_end(self, logs: dict | None = None) -> None:
        self._flush()
        self._close_stream()
        if self._live is not None:
            self._live.close()

    # ----- set-up -----
    def _start_history(self) -> None:
        continuing = self.append and (len(self.history) or self.history.last_step is not None)
        if not continuing:
            loaded = self.append and self.csv_path is not None and os.path.exists(self.csv_path)
            self.history = MetricHistory.from_csv(self.csv_path) if loaded else MetricHistory()
        self.history.set_greater_is_better("loss", False)
        self._close_stream()
        if self.csv_path is not None and is_chief():
            self._stream = CsvStream(self.csv_path, self.history)
            self._stream.check_writable()
            # Keras gives the callbacks of one fit the same params dict: two callbacks
            # of this fit on one path are refused, an earlier fit's stream taken over.
            self._stream.start(append=bool(self.append), owner=self.params)

    def _steps_before(self, initial_epoch: int) -> int:
        """Training batches run before this fit: 0, or those of the epochs resumed after."""
        if not self.append or initial_epoch == 0:
            return 0
        steps = (self.params or {}).get("steps")
        if steps:
            return initial_epoch * int(steps)
        return self.history.last_step or 0

    def _prepare(self, model: Any) -> tuple[list, MonitorGroup | None]:
        roles = [("train", "", "train_data", self._train),
                 ("val", "val_", "validation_data", self._val)]
        epoch_sets, monitor_parts = [], []
        rng = np.random.default_rng(self.seed)
        batch_size, exact = self._inference_batch_size(model)
        pad = not has_activity_regularizer(model)
        for key, prefix, role, data in roles:
            if data is None:
                continue
            eval_set = build_set(key, prefix, role, data, batch_size, exact, pad)
            self._check(model, eval_set.head(self._predictor, model), role)
            epoch_sets.append(eval_set)
            if self.batch_frequency is not None:
                monitor_parts.append(eval_set.monitor(self.monitor_size, rng))
        group = MonitorGroup(monitor_parts, batch_size, exact, pad) if monitor_parts else None
        return epoch_sets, group

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

    def _check(self, model: Any, head: Chunk, role: str) -> None:
        """Bind the outputs, check the data and dry-run every metric, before training."""
        if not self._plan.outputs:
            self._bind(model, head, role)
        checks.check_chunk(self._plan, head, role)
        self._attach_losses(model)
        checks.dry_run(self._plan, self._losses, head, DRY_RUN_ROWS, role)

    def _bind(self, model: Any, head: Chunk, role: str) -> None:
        """Match metrics to outputs and decide each output's Problem, once per fit."""
        keys = [k for k, _ in head.predicted.outputs]
        self._plan.bind(keys, getattr(model, "output_names", None))
        losses = losses_by_output(model, keys)
        layers = compat.output_layers(model, len(keys))
        for o in self._plan.outputs:
            pred = head.predicted.outputs[o.position][1]
            units = int(pred.shape[-1]) if pred.ndim > 1 else 1
            o.problem = decide(losses[o.position], output_activation(layers[o.position]), units,
                               from_logits_for(self.from_logits, o.name))
            if o.problem.task is None and any(s.input != "values" for s in o.specs):
                o.problem = Problem(_task_from_labels(
                    self._plan.target(head.y, o.position, role), pred), o.problem.logits)
        for k, greater in self._plan.directions().items():
            self.history.set_greater_is_better(k, greater)
            self.history.set_greater_is_better(k + KERAS_SUFFIX, greater)

    # ----- evaluation -----
    def _attach_losses(self, model: Any) -> None:
        """Find the compiled losses once Keras has built them; the step computes them."""
        if self._losses.entries is None and self._losses.attach(model, self._plan.keys):
            self._predictor.step(model).set_losses(
                [(position, loss) for position, loss, _ in self._losses.entries or []])

    def _loss_targets(self, role: str) -> Any:
        return functools.partial(self._losses.targets, self._plan, role=role)

    def _evaluate(self, sets: list, model: Any) -> dict[str, float]:
        self._attach_losses(model)
        if self._losses.entries is None and not self._loss_unreadable_told \
                and compat.user_losses(model) is not None:
            self._loss_unreadable_told = True
            warnings.warn(
                "MetricsCallback cannot read the model's compiled loss in this Keras version "
                "(fittrack.callbacks.compat.compiled_losses found none): 'loss' and 'val_loss' "
                "are Keras' own values (a running average, and evaluate's) instead of exact "
                "ones. The metrics are exact.", UserWarning, stacklevel=2)
        values: dict[str, float] = {}
        for s in sets:
            chunks = s.chunks(self._predictor, model, self._loss_targets(s.role))
            values.update(evaluate_chunks(self._plan, self._losses, chunks, s.prefix, s.role,
                                          s.where))
        return values

    def _evaluate_monitors(self) -> dict[str, float]:
        # On JAX, self.model writes the training state back into the variables;
        # the step reads it where Keras keeps it instead (stateful RNNs need the sync).
        model = self.model if stateful_layers(self._model) else self._model
        self._attach_losses(model)
        values: dict[str, float] = {}
        assert self._monitors is not None
        targets = self._loss_targets("monitor subsets") if self._losses.entries else None
        for part, chunks in self._monitors.results(self._predictor, model, targets):
            values.update(evaluate_chunks(self._plan, self._losses, chunks, part.prefix,
                                          part.role, part.where))
        return values

    def _direction(self, key: str) -> bool | None:
        base = key[4:] if key.startswith("val_") else key
        directions = self._plan.directions()
        directions.setdefault("loss", False)
        return directions.get(base)

    def _flush(self) -> None:
        if self._stream is not None:
            self._stream.flush()

    def _close_stream(self) -> None:
        stream, self._stream = self._stream, None
        if stream is not None and hasattr(stream, "close"):
            stream.close()


def _task_from_labels(y: Any, pred: np.ndarray) -> str | None:
    """The task read once from the first batch's labels, for outputs the model does not say."""
    try:
        return EvalContext(np.asarray(y), pred).task
    except (ValueError, TypeError):
        return None
