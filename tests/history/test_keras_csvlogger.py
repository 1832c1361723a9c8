"""load_history reads the files of Keras' own CSVLogger like Keras' History."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fittrack.history import MetricHistory, load_history

from .conftest import same_floats


@pytest.fixture(scope="module")
def keras():
    import keras  # only this test imports Keras (backend from KERAS_BACKEND)

    return keras


def _fit(keras, path, epochs, initial_epoch=0, append=False, model=None, **kwargs):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 3)).astype("float32")
    y = (x[:, 0] > 0).astype("float32")
    if model is None:
        keras.utils.set_random_seed(0)
        model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1, activation="sigmoid")])
        model.compile(optimizer="sgd", loss="binary_crossentropy", metrics=["accuracy"])
    logger = keras.callbacks.CSVLogger(str(path), append=append)
    history = model.fit(x, y, validation_data=(x[:16], y[:16]), epochs=epochs,
                        initial_epoch=initial_epoch, batch_size=16, verbose=0,
                        callbacks=[logger], **kwargs)
    return model, history


def _assert_same(loaded: MetricHistory, keras_history) -> None:
    assert loaded.epoch == keras_history.epoch
    assert sorted(loaded.keys()) == sorted(keras_history.history)
    for key, values in keras_history.history.items():
        assert same_floats(loaded[key], [float(v) for v in values]), key


def test_csvlogger_file_equals_the_fit_history(keras, tmp_path):
    path = tmp_path / "log.csv"
    _, history = _fit(keras, path, epochs=3)
    assert path.read_text().startswith("epoch,accuracy,loss,val_accuracy,val_loss")
    _assert_same(load_history(path), history)


def test_csvlogger_with_validation_every_other_epoch(keras, tmp_path):
    path = tmp_path / "log.csv"
    _, history = _fit(keras, path, epochs=4, validation_freq=2)
    assert len(history.history["val_loss"]) == 2
    loaded = load_history(path)
    _assert_same(loaded, history)
    # from_dict puts Keras' shorter val_ lists at the epochs CSVLogger wrote them
    from_dict = MetricHistory.from_dict(history.history, history.epoch)
    pd.testing.assert_frame_equal(from_dict.to_frame()[loaded.keys()], loaded.to_frame())


def test_csvlogger_resumed_with_append(keras, tmp_path):
    path = tmp_path / "log.csv"
    model, first = _fit(keras, path, epochs=2)
    _, second = _fit(keras, path, epochs=4, initial_epoch=2, append=True, model=model)
    assert path.read_text().count("epoch") == 1  # CSVLogger wrote one header
    loaded = load_history(path)
    assert loaded.epoch == [0, 1, 2, 3]
    for key in first.history:
        expected = [float(v) for v in first.history[key] + second.history[key]]
        assert same_floats(loaded[key], expected), key
