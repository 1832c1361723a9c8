"""Every source plot_history accepts gives the same store and the same figure."""

from __future__ import annotations

import numpy as np
import pytest

from fittrack.history import MetricHistory
from fittrack.history.sources import as_history
from fittrack.plots import plot_history

from .conftest import AUC, LOSS, VAL_AUC, VAL_LOSS

DATA = {"loss": LOSS, "val_loss": VAL_LOSS, "auc": AUC, "val_auc": VAL_AUC}


def _curves(fig):
    """{(panel title, legend label): y data} of the figure's lines."""
    return {(ax.get_title(), line.get_label()): np.asarray(line.get_ydata(), dtype=float)
            for ax in fig.axes for line in ax.get_lines() if not line.get_label().startswith("_")}


def _check_figure(fig):
    assert [ax.get_title() for ax in fig.axes] == ["loss", "auc"]
    curves = _curves(fig)
    np.testing.assert_allclose(curves[("loss", "training")], LOSS)
    np.testing.assert_allclose(curves[("loss", "validation")], VAL_LOSS)
    np.testing.assert_allclose(curves[("auc", "validation")], VAL_AUC)


def test_dict():
    _check_figure(plot_history(DATA))


def test_metric_history():
    _check_figure(plot_history(MetricHistory.from_dict(DATA)))


def test_metric_history_plot_method():
    _check_figure(MetricHistory.from_dict(DATA).plot())


def test_keras_history_object():
    import keras

    history = keras.callbacks.History()
    history.history = {key: list(values) for key, values in DATA.items()}
    history.epoch = [0, 1, 2, 3, 4]
    _check_figure(plot_history(history))


def test_keras_history_from_fit_and_csvlogger(tmp_path):
    import keras

    x = np.random.default_rng(0).normal(size=(64, 3)).astype("float32")
    y = (x[:, 0] > 0).astype("float32")
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1, activation="sigmoid")])
    model.compile("adam", "binary_crossentropy", metrics=["accuracy"])
    logger = keras.callbacks.CSVLogger(str(tmp_path / "log.csv"))
    history = model.fit(x, y, validation_data=(x, y), epochs=3, verbose=0, callbacks=[logger])
    for source in (history, tmp_path / "log.csv", str(tmp_path / "log.csv")):
        fig = plot_history(source)
        assert sorted(ax.get_title() for ax in fig.axes) == ["accuracy", "loss"]
        lines = _curves(fig)
        np.testing.assert_allclose(lines[("loss", "validation")],
                                   history.history["val_loss"], rtol=1e-6)


def test_fittrack_csv(tmp_path, run):
    path = run.to_csv(tmp_path / "run.csv")
    run.to_csv(tmp_path / "run.batches.csv", level="batch")
    loaded = as_history(path)
    assert loaded.keys() == run.keys()
    assert loaded.batch_keys == run.batch_keys
    fig = plot_history(path, level="batch")
    assert [ax.get_xlabel() for ax in fig.axes] == ["step", "step"]


def test_dataframe_and_callback_like_object(run):
    frame = run.to_frame()
    assert as_history(frame).history == run.history

    class CallbackLike:
        history = run

    assert as_history(CallbackLike()) is run


def test_unknown_source_type():
    with pytest.raises(TypeError, match="Keras History"):
        plot_history(42)


def test_missing_csv(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        plot_history(tmp_path / "nope.csv")
