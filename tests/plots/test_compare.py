"""Several runs on the same panels: colours, line styles, legends, best marks, sources."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.colors import to_hex

from fittrack.history import MetricHistory
from fittrack.plots import figure, plot_history

from .conftest import synthetic

A = {"loss": [0.9, 0.6, 0.5, 0.55], "val_loss": [1.0, 0.7, 0.6, 0.65],
     "auc": [0.70, 0.80, 0.85, 0.90], "val_auc": [0.65, 0.78, 0.84, 0.83]}
B = {"loss": [1.1, 0.9, 0.7, 0.6], "val_loss": [1.2, 1.0, 0.8, 0.75],
     "auc": [0.60, 0.70, 0.75, 0.80], "val_auc": [0.55, 0.66, 0.74, 0.76]}


def _run_lines(ax, run):
    """{role label: line} of one run's curves (labels '<run>: <role>')."""
    prefix = f"{run}: "
    return {line.get_label()[len(prefix):]: line for line in ax.get_lines()
            if line.get_label().startswith(prefix) and line.get_marker() != "*"}


def _legend(ax):
    return [text.get_text() for text in ax.get_legend().get_texts()]


def _stars(ax):
    return {line.get_label(): (list(line.get_xdata()), list(line.get_ydata()))
            for line in ax.get_lines() if line.get_marker() == "*"}


def _check_two_runs(fig, names=("first", "second"), data=(A, B)):
    assert [ax.get_title() for ax in fig.axes] == ["loss", "auc"]
    colours = []
    for ax, metric in zip(fig.axes, ("loss", "auc")):
        legend = _legend(ax)
        for name, values in zip(names, data):
            lines = _run_lines(ax, name)
            assert set(lines) == {"training", "validation"}
            train, val = lines["training"], lines["validation"]
            np.testing.assert_allclose(train.get_ydata(), values[metric])
            np.testing.assert_allclose(val.get_ydata(), values["val_" + metric])
            assert train.get_linestyle() == "--" and val.get_linestyle() == "-"
            assert to_hex(train.get_color()) == to_hex(val.get_color())  # one colour per run
            colours.append(to_hex(val.get_color()))
            assert any(entry.startswith(f"{name}: best") for entry in legend), legend
        assert legend[-3:] == ["validation", "training", "best epoch"]
    assert colours[0] != colours[1]                              # runs differ
    assert colours[:2] == colours[2:]                            # the same colour on each panel


def test_dict_of_runs_of_every_source_kind(tmp_path):
    import keras

    history = keras.callbacks.History()
    history.history, history.epoch = {k: list(v) for k, v in B.items()}, list(range(4))
    path = MetricHistory.from_dict(B).to_csv(tmp_path / "b.csv")
    frame = MetricHistory.from_dict(B).to_frame()
    for second in (MetricHistory.from_dict(B), history, B, frame, path, str(path)):
        _check_two_runs(plot_history({"first": A, "second": second}))


def test_list_of_runs_labelled_by_file_name_or_position(tmp_path):
    a = MetricHistory.from_dict(A).to_csv(tmp_path / "lr_1e-3.csv")
    b = MetricHistory.from_dict(B).to_csv(tmp_path / "lr_1e-2.csv")
    _check_two_runs(plot_history([a, b]), names=("lr_1e-3", "lr_1e-2"))
    _check_two_runs(plot_history([A, MetricHistory.from_dict(B)]), names=("run 1", "run 2"))


def test_best_mark_per_run_at_its_best_validation_epoch():
    auc = plot_history({"first": A, "second": B}).axes[1]
    stars = _stars(auc)
    assert stars["first: best 0.84 (epoch 2)"] == ([2], [0.84])
    assert stars["second: best 0.76 (epoch 3)"] == ([3], [0.76])
    assert "first: best 0.84 (epoch 2)" in _legend(auc)


def test_batch_level_runs(run):
    other = MetricHistory()
    for step in range(5, 55, 5):
        other.record_batch(step, (step - 1) // 10, (step - 1) % 10, {"auc": 0.5 + step / 200})
    fig = plot_history({"a": run, "b": other}, ["auc"], level="batch")
    (ax,) = fig.axes
    assert ax.get_xlabel() == "step"
    np.testing.assert_allclose(_run_lines(ax, "a")["validation"].get_xdata(), run.steps)
    np.testing.assert_allclose(_run_lines(ax, "b")["training"].get_xdata(), other.steps)
    assert _legend(ax)[:2] == ["a", "b"]
    assert "epoch start" not in _legend(ax)  # runs' epochs differ: no boundaries


def test_two_calls_on_one_axes_get_distinct_colours_and_labels():
    import matplotlib.pyplot as plt

    _fig, ax = plt.subplots()
    plot_history(A, "auc", ax=ax, label="model A")
    plot_history(B, "auc", ax=ax, label="model B")
    colours = {name: to_hex(_run_lines(ax, name)["validation"].get_color())
               for name in ("model A", "model B")}
    assert colours["model A"] != colours["model B"]
    assert _legend(ax)[:2] == ["model A: best 0.84 (epoch 2)", "model B: best 0.76 (epoch 3)"]


def test_two_unlabelled_calls_on_one_axes_are_run_1_and_run_2():
    import matplotlib.pyplot as plt

    _fig, ax = plt.subplots()
    plot_history(A, "auc", ax=ax)
    first = {to_hex(line.get_color()) for line in ax.get_lines()}
    plot_history(B, "auc", ax=ax)
    second = {to_hex(line.get_color()) for line in _run_lines(ax, "run 2").values()}
    assert second and not first & second
    assert [entry.split(":")[0] for entry in _legend(ax)[:2]] == ["run 1", "run 2"]


def test_unknown_direction_draws_no_best_mark(monkeypatch):
    monkeypatch.setattr(figure, "key_direction", lambda history, key: None)
    fig = plot_history({"first": A, "second": B})
    for ax in fig.axes:
        assert not _stars(ax)
        assert "best epoch" not in _legend(ax)
        assert "direction unknown" in ax.get_ylabel()
    single = plot_history(A)
    assert not _stars(single.axes[1]) and "direction unknown" in single.axes[1].get_ylabel()


def test_aliases_share_a_panel_across_runs():
    keras2 = {"loss": [0.5, 0.4], "acc": [0.7, 0.8], "val_acc": [0.6, 0.7]}
    keras3 = {"loss": [0.6, 0.3], "accuracy": [0.72, 0.9], "val_accuracy": [0.62, 0.75]}
    fig = plot_history({"old": keras2, "new": keras3})
    assert [ax.get_title() for ax in fig.axes] == ["loss", "acc"]
    acc = fig.axes[1]
    np.testing.assert_allclose(_run_lines(acc, "old")["validation"].get_ydata(), [0.6, 0.7])
    np.testing.assert_allclose(_run_lines(acc, "new")["validation"].get_ydata(), [0.62, 0.75])
    assert [ax.get_title() for ax in plot_history({"old": keras2, "new": keras3},
                                                  ["accuracy"]).axes] == ["acc"]


def test_a_metric_one_run_lacks_is_drawn_for_the_others():
    fig = plot_history({"first": A, "second": {"loss": B["loss"]}})
    auc = fig.axes[1]
    assert _run_lines(auc, "first") and not _run_lines(auc, "second")


def test_a_run_without_rows_at_that_level_is_named_in_a_warning(run):
    only_batches = MetricHistory()
    only_batches.record_batch(1, 0, 0, {"loss": 0.5})
    with pytest.warns(UserWarning, match="Run 'b' is not drawn: it has no epoch-level rows"):
        fig = plot_history({"a": A, "b": only_batches})
    assert [entry.split(":")[0] for entry in _legend(fig.axes[0])[:1]] == ["a"]


def test_overlay_with_runs_keeps_every_point_at_or_after_zero(run):
    ax = plot_history({"a": run, "b": run}, ["auc"], batch_overlay=True).axes[0]
    xs = np.concatenate([np.asarray(c.get_offsets())[:, 0] for c in ax.collections])
    assert xs.min() > 0 and "per batch" in _legend(ax)
    assert ax.get_xlabel() == "epochs completed (epoch index + 1)"


def test_panel_cap_with_a_message_naming_metrics():
    data = synthetic(30)
    with pytest.warns(UserWarning, match=r"30 metrics.*first 20.*metrics=\[\.\.\.\].*--metrics"):
        fig = plot_history(data)
    assert len(fig.axes) == 20
    assert "metrics=[...]" in fig.get_supxlabel()  # the saved figure says so too
    assert len(plot_history(data, max_panels=None).axes) == 30
    chosen = [f"m{i}" for i in range(25)]
    assert len(plot_history(data, chosen).axes) == 25  # asked for by name: never capped


def test_timing_keys_are_drawn_only_when_asked_for():
    data = {**A, "eval_seconds": [0.5, 0.4, 0.4, 0.5]}
    assert [ax.get_title() for ax in plot_history(data).axes] == ["loss", "auc"]
    assert [ax.get_title() for ax in plot_history(data, ["eval_seconds"]).axes] == \
        ["eval_seconds"]
    with pytest.raises(ValueError, match="timing keys only"):
        plot_history({"eval_seconds": [0.5]})


def test_bad_collections_of_runs():
    with pytest.raises(TypeError, match="label= names one run"):
        plot_history([A, B], label="x")
    with pytest.raises(TypeError, match="mixes runs and metric values"):
        plot_history({"a": A, "loss": [1.0, 0.5]})
    with pytest.raises(TypeError, match="A list of runs"):
        plot_history([A, 3])
    with pytest.raises(ValueError, match="Unknown metric 'f1'"):
        plot_history({"a": A, "b": B}, ["f1"])
