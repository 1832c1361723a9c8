"""plot_curves: the drawn arrays are scikit-learn's; legends, sources, epochs, errors."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import (
    average_precision_score,
    confusion_matrix,
    precision_recall_curve,
    roc_auc_score,
    roc_curve,
)

import fittrack
from fittrack.history import MetricHistory
from fittrack.history.curve_store import CurveStore, curves_path
from fittrack.metrics.curve_points import curves_for
from fittrack.plots import plot_curves

EPOCHS = 3


def _data(epoch: int, classes: int = 2, n: int = 600):
    rng = np.random.default_rng(epoch)
    y = rng.integers(0, classes, n)
    if classes == 2:
        return y, np.clip(rng.normal(0.4 + 0.15 * (epoch + 1) * y, 0.2), 0, 1).astype(np.float32)
    logits = rng.normal(size=(n, classes))
    logits[np.arange(n), y] += 1.0 + epoch
    return y, (np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)).astype(np.float32)


@pytest.fixture
def store():
    s = CurveStore()
    for epoch in range(EPOCHS):
        for dataset, shift in (("train", 10), ("val", 0)):
            s.add_curves(epoch, dataset, curves_for(*_data(epoch + shift)))
    return s


def _lines(ax):
    return {line.get_label(): line for line in ax.get_lines()}


def _check_binary(fig, y, p):
    roc_ax, pr_ax, cm_ax = fig.axes
    assert [ax.get_title() for ax in fig.axes] == ["ROC curve", "precision-recall curve",
                                                   "confusion matrix"]
    roc_lines = _lines(roc_ax)
    auc_label = f"AUC {roc_auc_score(y, p):.3f}"
    fpr, tpr, _ = roc_curve(y, p)
    np.testing.assert_array_equal(roc_lines[auc_label].get_xdata(), fpr)
    np.testing.assert_array_equal(roc_lines[auc_label].get_ydata(), tpr)
    diagonal = roc_lines["chance (AUC 0.5)"]
    assert list(diagonal.get_xdata()) == [0, 1] == list(diagonal.get_ydata())
    precision, recall, _ = precision_recall_curve(y, p)
    pr_line = _lines(pr_ax)[f"AP {average_precision_score(y, p):.3f}"]
    np.testing.assert_array_equal(pr_line.get_xdata(), recall)
    np.testing.assert_array_equal(pr_line.get_ydata(), precision)
    assert pr_line.get_drawstyle() == "steps-post"
    assert any(label.startswith("chance (positive rate") for label in _lines(pr_ax))
    expected = confusion_matrix(y, (p > 0.5).astype(int))
    (image,) = cm_ax.get_images()
    np.testing.assert_allclose(image.get_array(), expected / expected.sum(axis=1, keepdims=True))
    cells = [text.get_text().split("\n")[0] for text in cm_ax.texts]
    assert cells == [str(v) for v in expected.ravel()]
    assert (cm_ax.get_xlabel(), cm_ax.get_ylabel().split(" (")[0]) == ("predicted class",
                                                                       "true class")


def test_last_epoch_of_the_validation_data_by_default(store):
    fig = plot_curves(store)
    _check_binary(fig, *_data(EPOCHS - 1))
    assert fig.get_suptitle() == f"validation data, epoch {EPOCHS - 1}"


def test_an_epoch_and_the_training_data(store):
    fig = plot_curves(store, epoch=0, dataset="train")
    _check_binary(fig, *_data(10))
    assert fig.get_suptitle() == "training data, epoch 0"


def test_multiclass_one_line_per_class_and_the_macro_auc():
    y, p = _data(0, classes=4)
    s = CurveStore()
    s.add_curves(0, "val", curves_for(y, p))
    roc_ax, pr_ax, cm_ax = plot_curves(s).axes
    for k in range(4):
        label = f"class {k} (AUC {roc_auc_score(y == k, p[:, k]):.3f})"
        expected = roc_curve(y == k, p[:, k])[1]
        np.testing.assert_array_equal(_lines(roc_ax)[label].get_ydata(), expected)
        assert f"class {k} (AP {average_precision_score(y == k, p[:, k]):.3f})" in _lines(pr_ax)
    macro = roc_auc_score(y, p, multi_class="ovr", average="macro")
    assert roc_ax.get_title() == f"ROC curve (macro AUC {macro:.3f})"
    assert cm_ax.get_images()[0].get_array().shape == (4, 4)


class HistoryWithCurves:
    """What MetricHistory will offer: a .curves store and best(key) -> (epoch, value)."""

    def __init__(self, store):
        self.curves = store

    def best(self, key):
        return {"val_auc": (1, 0.9)}[key]


def test_sources_and_the_best_epoch(store, tmp_path):
    history = HistoryWithCurves(store)
    fig = plot_curves(history, epoch="best:val_auc")
    _check_binary(fig, *_data(1))
    assert fig.get_suptitle() == "validation data, epoch 1 (best val_auc)"

    class Callback:
        pass

    callback = Callback()
    callback.history = history
    _check_binary(plot_curves(callback, epoch=1), *_data(1))

    h = MetricHistory.from_dict({"val_auc": [0.7, 0.6, 0.9]})  # best epoch 2
    csv = h.to_csv(tmp_path / "run.csv")
    store.save(curves_path(csv))
    for source in (csv, str(csv), curves_path(csv)):
        _check_binary(plot_curves(source, epoch="best:val_auc"), *_data(2))
    _check_binary(plot_curves(csv, epoch=0), *_data(0))


def test_kinds_and_axes(store):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    assert plot_curves(store, "pr", ax=ax) is fig
    assert ax.get_title() == "precision-recall curve"
    fig, axes = plt.subplots(1, 2)
    plot_curves(store, ["confusion", "roc"], ax=axes)
    assert [a.get_title() for a in axes] == ["confusion matrix", "ROC curve"]


def test_errors(store, tmp_path):
    with pytest.raises(ValueError, match="needs the run's history"):
        plot_curves(store, epoch="best:val_auc")
    with pytest.raises(KeyError, match=r"epoch=9.*epochs \[0, 1, 2\]"):
        plot_curves(store, epoch=9)
    with pytest.raises(ValueError, match="kinds must be some of"):
        plot_curves(store, "det")
    csv = MetricHistory.from_dict({"loss": [1.0]}).to_csv(tmp_path / "plain.csv")
    with pytest.raises(FileNotFoundError, match="curves=True"):
        plot_curves(csv)
    with pytest.raises(TypeError, match="CurveStore"):
        plot_curves(object())
    with pytest.raises(KeyError, match="curves=True"):   # a history without curves
        plot_curves(MetricHistory())
    with pytest.raises(KeyError, match="curves=True"):
        plot_curves(CurveStore())


def test_exported_and_never_shows(store, monkeypatch):
    import matplotlib.pyplot as plt

    assert fittrack.plot_curves is plot_curves and "plot_curves" in fittrack.__all__
    monkeypatch.setattr(plt, "show", lambda *a, **k: pytest.fail("plot_curves called plt.show()"))
    plot_curves(store)
