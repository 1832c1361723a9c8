"""Curves per evaluated epoch, the evaluation's time, and the progress line."""

import numpy as np
import pytest
from scipy.special import softmax
from sklearn import metrics as skm

from fittrack import MetricsCallback, load_history
from fittrack.callbacks import progress
from tests.callbacks.probes import EvalProbe, binary_classifier
from tests.keras_under_test import keras


def test_binary_curves_equal_scikit_learn_and_survive_the_file(binary_data, tmp_path):
    x, y, xv, yv = binary_data
    model = binary_classifier()
    path = tmp_path / "run.csv"
    cb = MetricsCallback(["auc"], (x, y), (xv, yv), csv_path=path, curves=True)
    probe = EvalProbe(val=(xv, yv), train=(x, y))
    model.fit(x, y, epochs=3, verbose=0, callbacks=[cb, probe])
    loaded = load_history(path)
    for epoch, preds in enumerate(probe.preds):
        for dataset, labels in (("val", yv), ("train", y)):
            p = preds[dataset][:, 0]
            fpr, tpr, thresholds = skm.roc_curve(labels, p)
            precision, recall, pr_thresholds = skm.precision_recall_curve(labels, p)
            for history in (cb.history, loaded):
                roc = history.curve("roc", dataset, epoch)
                np.testing.assert_allclose(roc["fpr"], fpr)
                np.testing.assert_allclose(roc["tpr"], tpr)
                np.testing.assert_allclose(roc["thresholds"][1:], thresholds[1:], rtol=1e-6)
                pr = history.curve("pr", dataset, epoch)
                np.testing.assert_allclose(pr["precision"], precision)
                np.testing.assert_allclose(pr["recall"], recall)
                np.testing.assert_allclose(pr["thresholds"][:-1], pr_thresholds, rtol=1e-6)
                cm = history.curve("confusion", dataset, epoch)["matrix"]
                np.testing.assert_array_equal(cm, skm.confusion_matrix(labels, p > 0.5))
    best = int(np.argmax(cb.history["val_auc"]))
    np.testing.assert_array_equal(cb.history.curve("roc", epoch="best:val_auc")["fpr"],
                                  cb.history.curve("roc", epoch=best)["fpr"])


def test_multiclass_logits_curves_are_on_softmax_probabilities(multiclass_data):
    x, y, xv, yv = multiclass_data
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(4)])
    model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    cb = MetricsCallback(["auc"], validation_data=(xv, yv), curves=["roc", "confusion"])
    probe = EvalProbe(val=(xv, yv))
    model.fit(x, y, epochs=1, verbose=0, callbacks=[cb, probe])
    probs = softmax(probe.preds[0]["val"].astype(np.float64), axis=1)
    roc = cb.history.curve("roc")
    for c in range(4):
        fpr, tpr, _ = skm.roc_curve(yv == c, probs[:, c])
        np.testing.assert_allclose(roc["fpr"][roc["class"] == c], fpr)
        np.testing.assert_allclose(roc["tpr"][roc["class"] == c], tpr)
    np.testing.assert_array_equal(cb.history.curve("confusion")["matrix"],
                                  skm.confusion_matrix(yv, probs.argmax(1), labels=range(4)))
    with pytest.raises(KeyError):
        cb.history.curve("pr")


def test_evaluation_time_is_recorded_not_logged(binary_data):
    x, y, xv, yv = binary_data
    model = binary_classifier()
    cb = MetricsCallback(["auc"], validation_data=(xv, yv), batch_frequency=2)
    hist = model.fit(x, y, epochs=2, batch_size=50, verbose=0, callbacks=[cb])
    assert len(cb.history["eval_seconds"]) == 2 and min(cb.history["eval_seconds"]) >= 0
    assert len(cb.history.batch_values("eval_seconds")) == 4
    assert "eval_seconds" not in hist.history
    assert cb.history.greater_is_better("eval_seconds") is None


@pytest.mark.parametrize("verbose", [0, 2])
def test_a_long_evaluation_shows_a_progress_line_when_keras_does(binary_data, capsys,
                                                                 monkeypatch, verbose):
    x, y, xv, yv = binary_data
    monkeypatch.setattr(progress, "AFTER_SECONDS", 0.0)    # every evaluation counts as long
    model = binary_classifier()
    cb = MetricsCallback(["auc"], validation_data=(xv, yv), batch_size=25)
    model.fit(x, y, epochs=1, verbose=verbose, callbacks=[cb])
    out = capsys.readouterr().out
    assert ("fittrack: evaluating validation_data 4/4 batches" in out) == bool(verbose)


@pytest.mark.parametrize("form, weighted, sorts_again", [
    ("softmax", False, False),     # the AUC metrics read the curves' sums
    ("sigmoid", False, False),
    ("softmax", True, True),       # weighted: the metrics sum on their own
    ("logits", False, True),       # logits: the metrics rank the log-odds, not the probabilities
])
def test_auc_beside_the_curves_equals_scikit_learn(form, weighted, sorts_again, binary_data,
                                                   multiclass_data, monkeypatch):
    from fittrack.metrics import ranking
    sorts = []
    for name in ("ranking_sums", "sorted_sums"):
        original = getattr(ranking, name)
        monkeypatch.setattr(ranking, name, lambda *a, _f=original, **k: sorts.append(1) or
                            _f(*a, **k))
    x, y, xv, yv = binary_data if form == "sigmoid" else multiclass_data
    wv = np.random.default_rng(2).uniform(0.1, 3.0, len(yv)) if weighted else None
    keras.utils.set_random_seed(0)
    units, activation = (1, "sigmoid") if form == "sigmoid" else \
        (4, None if form == "logits" else "softmax")
    model = keras.Sequential([keras.Input((x.shape[1],)), keras.layers.Dense(units, activation)])
    model.compile("adam", "binary_crossentropy" if form == "sigmoid" else
                  keras.losses.SparseCategoricalCrossentropy(from_logits=form == "logits"))
    val = (xv, yv) if wv is None else (xv, yv, wv)
    cb = MetricsCallback(["auc", "pr_auc"], validation_data=val, curves=True)
    probe = EvalProbe(val=val)
    forget = keras.callbacks.LambdaCallback(on_epoch_begin=lambda *_: sorts.clear())
    model.fit(x, y, epochs=2, verbose=0, callbacks=[forget, cb, probe])
    assert bool(sorts) == sorts_again          # at the last epoch's end (not the checks')
    for epoch, preds in enumerate(probe.preds):
        p = preds["val"].astype(np.float64)
        p = softmax(p, axis=1) if form == "logits" else p[:, 0] if form == "sigmoid" else p
        onehot = yv if form == "sigmoid" else np.eye(4)[yv]
        auc = skm.roc_auc_score(onehot, p, sample_weight=wv)
        ap = skm.average_precision_score(onehot, p, sample_weight=wv)
        np.testing.assert_allclose(cb.history["val_auc"][epoch], auc, rtol=1e-12)
        np.testing.assert_allclose(cb.history["val_pr_auc"][epoch], ap, rtol=1e-12)
