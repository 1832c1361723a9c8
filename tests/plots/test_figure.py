"""plot_history: panels, labels, legends, the best mark, levels, ax= and fig=."""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pytest

from fittrack.plots import plot_history
from fittrack.plots.layout import grid_shape

from .conftest import AUC, VAL_AUC, synthetic


def _line(ax, label):
    matches = [line for line in ax.get_lines() if line.get_label() == label]
    assert len(matches) == 1, [line.get_label() for line in ax.get_lines()]
    return matches[0]


def _best_line(ax):
    stars = [line for line in ax.get_lines() if line.get_marker() == "*"]
    assert len(stars) == 1
    return stars[0]


def _legend(ax):
    return [text.get_text() for text in ax.get_legend().get_texts()]


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5, 7, 9, 12, 16, 20])
def test_one_panel_per_metric_in_a_grid(n):
    fig = plot_history(synthetic(n))
    assert len(fig.axes) == n
    assert [ax.get_title() for ax in fig.axes] == [f"m{i}" for i in range(n)]
    rows, cols = grid_shape(n)
    assert rows * cols >= n and cols <= 5 and (rows - 1) * cols < n
    assert {ax.get_subplotspec().get_geometry()[:2] for ax in fig.axes} == {(rows, cols)}
    width, height = fig.get_size_inches()
    assert width / cols >= 3.5 and height / rows >= 2.5  # panels stay readable


def test_labels_and_legend(run):
    fig = plot_history(run)
    loss, auc = fig.axes
    assert (loss.get_title(), auc.get_title()) == ("loss", "auc")
    assert loss.get_xlabel() == auc.get_xlabel() == "epoch"
    assert loss.get_ylabel() == "loss (lower is better)"
    assert auc.get_ylabel() == "auc (higher is better)"
    assert _legend(auc) == ["training", "validation", "training, Keras running avg",
                            "best 0.84 (epoch 2)"]
    assert _legend(loss) == ["training", "validation", "best 0.6 (epoch 3)"]


def test_curves_hold_the_source_values_and_share_a_colour_family(run):
    auc = plot_history(run).axes[1]
    train, val = _line(auc, "training"), _line(auc, "validation")
    running = _line(auc, "training, Keras running avg")
    np.testing.assert_allclose(train.get_xdata(), range(5))
    np.testing.assert_allclose(train.get_ydata(), AUC)
    np.testing.assert_allclose(val.get_ydata(), VAL_AUC)
    np.testing.assert_allclose(running.get_ydata(), np.array(AUC) - 0.05)
    assert len({train.get_linestyle(), val.get_linestyle(), running.get_linestyle()}) == 3
    assert train.get_color() != val.get_color()
    hue = [_hue(line.get_color()) for line in (train, val)]
    distance = abs(hue[0] - hue[1])
    assert min(distance, 1 - distance) < 0.02  # hue is circular


def _hue(colour):
    import colorsys

    from matplotlib.colors import to_rgb

    return colorsys.rgb_to_hsv(*to_rgb(colour))[0]


@pytest.mark.parametrize("key, greater", [("val_auc", True), ("val_loss", False)])
def test_best_mark_on_the_best_validation_epoch(run, key, greater):
    fig = plot_history(run, [key])
    values = run[key]
    expected = int(np.argmax(values) if greater else np.argmin(values))
    star = _best_line(fig.axes[0])
    assert list(star.get_xdata()) == [expected]
    assert list(star.get_ydata()) == [values[expected]]


def test_best_mark_on_training_without_validation_and_direction_from_registry():
    fig = plot_history({"mae": [3.0, 1.0, 2.0], "r2": [0.1, 0.5, 0.3], "val_r2": [math.nan] * 3})
    mae, r2 = fig.axes
    assert list(_best_line(mae).get_xdata()) == [1]
    assert list(_best_line(r2).get_xdata()) == [1]  # validation all NaN: training is marked
    assert list(_best_line(r2).get_ydata()) == [0.5]


def test_best_false_draws_no_mark(run):
    assert not [line for ax in plot_history(run, best=False).axes
                for line in ax.get_lines() if line.get_marker() == "*"]


def test_nan_and_missing_values_leave_gaps():
    fig = plot_history({"loss": [1.0, 0.8, math.nan, 0.5, 0.4], "val_loss": [0.9, 0.7]})
    ax = fig.axes[0]
    train = _line(ax, "training")
    x = np.asarray(train.get_xdata(), dtype=float)
    assert np.isnan(x).sum() == 1 and list(x[~np.isnan(x)]) == [0, 1, 3, 4]
    assert list(_line(ax, "validation").get_ydata()) == [0.9, 0.7]


def test_validation_every_second_epoch_is_one_line():
    import keras

    history = keras.callbacks.History()
    history.history = {"loss": [5.0, 4.0, 3.0, 2.0, 1.0, 0.5], "val_loss": [3.5, 1.5, 0.7]}
    history.epoch = list(range(6))
    val = _line(plot_history(history).axes[0], "validation")
    assert list(val.get_xdata()) == [1, 3, 5]  # validation_freq=2: joined, no gap
    assert list(val.get_ydata()) == [3.5, 1.5, 0.7]


def test_batch_level(run):
    fig = plot_history(run, level="batch")
    assert [ax.get_title() for ax in fig.axes] == ["loss", "auc"]
    assert {ax.get_xlabel() for ax in fig.axes} == {"step"}
    auc = fig.axes[1]
    val = _line(auc, "validation")
    np.testing.assert_allclose(val.get_xdata(), run.steps)
    np.testing.assert_allclose(val.get_ydata(), run.batch_values("val_auc"))
    assert "epoch start" in _legend(auc)


def test_batch_level_smoothing_keeps_the_raw_curve(run):
    auc = plot_history(run, ["auc"], level="batch", smoothing=0.8).axes[0]
    smoothed = _line(auc, "validation (smoothed 0.8)")
    raw = [line for line in auc.get_lines() if line.get_label().startswith("_")
           and len(line.get_ydata()) == len(run.steps)]
    assert any(np.allclose(line.get_ydata(), run.batch_values("val_auc")) for line in raw)
    values = np.array(run.batch_values("val_auc"))
    assert np.all(np.diff(smoothed.get_ydata()) > 0)
    assert smoothed.get_ydata()[-1] < values[-1]  # lags behind a rising curve


def test_batch_overlay_puts_batches_inside_their_epoch_and_no_point_below_zero(run):
    auc = plot_history(run, ["auc"], batch_overlay=True).axes[0]
    points = [c for c in auc.collections if c.get_label() == "per batch"]
    assert len(points) == 1
    x = points[0].get_offsets()[:, 0]
    # x = epochs completed. 10 batches per epoch, evaluated after batches 4 and 9:
    # halfway through each epoch, then at its end, where the epoch's value is.
    np.testing.assert_allclose(x, [0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5.0])
    np.testing.assert_allclose(_line(auc, "validation").get_xdata(), [1, 2, 3, 4, 5])
    assert list(_best_line(auc).get_xdata()) == [3]  # epoch index 2, completed at 3
    assert "best 0.84 (epoch 2)" in _legend(auc)
    assert auc.get_xlabel() == "epochs completed (epoch index + 1)"
    assert "per batch" in _legend(auc)
    assert min(_all_x(auc)) >= 0
    assert auc.get_xlim()[0] >= -0.5


def _all_x(ax):
    """Every x coordinate of the axes' lines and point collections."""
    xs = [np.asarray(line.get_xdata(), dtype=float) for line in ax.get_lines()]
    xs += [np.asarray(c.get_offsets())[:, 0] for c in ax.collections if len(c.get_offsets())]
    values = np.concatenate(xs)
    return values[np.isfinite(values)]


def test_batch_overlay_without_batch_rows_warns():
    with pytest.warns(UserWarning, match="batch_frequency"):
        fig = plot_history({"loss": [1.0, 0.5]}, batch_overlay=True)
    assert len(fig.axes) == 1


def test_ax_and_fig_arguments(run):
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3)
    assert plot_history(run, ax=axes) is fig
    assert [ax.get_title() for ax in axes] == ["loss", "auc", ""]
    single_fig, single_ax = plt.subplots()
    assert plot_history(run, "auc", ax=single_ax) is single_fig
    assert single_ax.get_title() == "auc"
    with pytest.raises(ValueError, match="1 axes but there are 2 panels"):
        plot_history(run, ax=single_ax)
    from matplotlib.figure import Figure

    target = Figure()
    for _ in range(3):  # redrawing clears: still one axes per panel
        assert plot_history(run, fig=target) is target
    assert len(target.axes) == 2


def test_bad_arguments(run):
    with pytest.raises(ValueError, match="level must be"):
        plot_history(run, level="step")
    with pytest.raises(ValueError, match="smoothing must be in"):
        plot_history(run, level="batch", smoothing=1.5)
    with pytest.raises(ValueError, match="level='batch'"):
        plot_history(run, smoothing=0.5)
    with pytest.raises(ValueError, match="no batch-level rows"):
        plot_history({"loss": [1.0]}, level="batch")
    with pytest.raises(ValueError, match="empty"):
        plot_history({})


def test_never_shows(run, monkeypatch):
    import matplotlib.pyplot as plt

    def fail(*args, **kwargs):
        raise AssertionError("plot_history called plt.show()")

    monkeypatch.setattr(plt, "show", fail)
    plot_history(run, batch_overlay=True)
    plot_history(run, level="batch", smoothing=0.5)


def test_title_and_figsize(run):
    fig = plot_history(run, title="my run", figsize=(7.0, 3.0))
    assert fig.get_suptitle() == "my run"
    assert tuple(fig.get_size_inches()) == (7.0, 3.0)


def test_import_loads_neither_matplotlib_nor_keras():
    code = ("import sys, fittrack.plots, fittrack; fittrack.plot_history; "
            "print(sorted(m for m in ('matplotlib', 'keras') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"


def test_training_alone_is_drawn_as_the_main_curve():
    fig = plot_history({"mae": [3.0, 1.0, 2.0], "auc": [0.5, 0.6, 0.7], "val_auc": [0.5, 0.6, 0.6]})
    mae, auc = fig.axes
    assert _line(mae, "training").get_linestyle() == "-"
    assert _line(auc, "training").get_linestyle() == "--"
    assert _line(auc, "validation").get_linestyle() == "-"


def test_log_scale_when_values_span_three_decades():
    data = {"loss": [1.5, 0.1, 1e-3, 1e-5], "val_loss": [1.6, 0.2, 0.01, 0.005],
            "auc": [0.5, 0.7, 0.8, 0.9], "r": [-1.0, 1e-4, 1.0, 10.0]}
    loss, auc, r = plot_history(data).axes
    assert loss.get_yscale() == "log" and "log scale" in loss.get_ylabel()
    assert auc.get_yscale() == "linear" and r.get_yscale() == "linear"  # r has a negative value
    assert {ax.get_yscale() for ax in plot_history(data, logy=False).axes} == {"linear"}
    assert plot_history(data, "auc", logy=True).axes[0].get_yscale() == "log"
