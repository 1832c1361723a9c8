"""What the output is, decided by the caller: logits, multi-label outputs, decision
thresholds, output dtypes; and inputs a metric must not change or misread.

References are scikit-learn on probabilities computed here with SciPy
(``expit``/``softmax`` in float64) from the same logits, or on the outputs in the
model's own dtype.
"""

from __future__ import annotations

import warnings

import keras
import numpy as np
import pytest
from scipy.special import expit, logsumexp, softmax
from sklearn import metrics as skm

from fittrack.metrics import (
    MetricError,
    NonFiniteTargetWarning,
    Problem,
    evaluate,
    get_metric,
    make_metric,
    resolve_metrics,
)
from fittrack.metrics.registry import CANONICAL

from ._data import all_cases
from .test_reference import REFERENCES

RTOL = dict(rtol=1e-9, atol=1e-12)
F32 = dict(rtol=2e-6, atol=1e-7)  # float32 rounding: scikit-learn computes in float32


def _binary_logits(n=400, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    logits = (rng.normal(size=n) * 3 + 2.0 * (y - 0.5)).astype(np.float32)[:, None]
    return y, logits


def test_binary_logits_are_scored_as_probabilities():
    y, logits = _binary_logits()
    names = ["auc", "pr_auc", "f1", "precision", "recall", "accuracy", "log_loss",
             "binary_crossentropy", "mcc"]
    got = evaluate(resolve_metrics(names), y, logits, problem=Problem("binary", logits=True))
    p64 = expit(logits[:, 0].astype(np.float64))
    p32 = p64.astype(np.float32)
    pred = (logits[:, 0] > 0).astype(int)
    np.testing.assert_allclose(got["auc"], skm.roc_auc_score(y, logits[:, 0]), **RTOL)
    np.testing.assert_allclose(got["pr_auc"], skm.average_precision_score(y, logits[:, 0]),
                               **RTOL)
    for name, fn in (("f1", skm.f1_score), ("precision", skm.precision_score),
                     ("recall", skm.recall_score), ("accuracy", skm.accuracy_score),
                     ("mcc", skm.matthews_corrcoef)):
        np.testing.assert_allclose(got[name], fn(y, pred), **RTOL, err_msg=name)
    np.testing.assert_allclose(got["log_loss"], skm.log_loss(y, p32), **F32)
    keras_bce = keras.metrics.BinaryCrossentropy(from_logits=True)
    keras_bce.update_state(y[:, None].astype(np.float32), logits)
    np.testing.assert_allclose(got["binary_crossentropy"],
                               float(keras.ops.convert_to_numpy(keras_bce.result())), rtol=1e-5)
    # without the Problem, the logits would be read as probabilities: a different f1
    assert evaluate(resolve_metrics(["f1"]), y, np.clip(logits, 0, 1))["f1"] != got["f1"]


@pytest.mark.parametrize("n_classes", [2, 10])
def test_softmax_logits_are_scored_as_probabilities(n_classes):
    rng = np.random.default_rng(n_classes)
    y = rng.integers(0, n_classes, 500)
    logits = rng.normal(size=(500, n_classes)).astype(np.float32)
    logits[np.arange(500), y] += 1.5
    task = "binary" if n_classes == 2 else "multiclass"
    names = ["auc", "f1", "accuracy", "log_loss", "sparse_categorical_crossentropy"]
    got = evaluate(resolve_metrics(names), y, logits, problem=Problem(task, logits=True))
    probs = softmax(logits.astype(np.float64), axis=1)
    pred = logits.argmax(1)
    if n_classes == 2:
        auc = skm.roc_auc_score(y, probs[:, 1])
        f1 = skm.f1_score(y, pred)
    else:
        auc = skm.roc_auc_score(y, probs, multi_class="ovr")
        f1 = skm.f1_score(y, pred, average="macro")
    np.testing.assert_allclose(got["auc"], auc, **RTOL)
    np.testing.assert_allclose(got["f1"], f1, **RTOL)
    np.testing.assert_allclose(got["accuracy"], np.mean(pred == y), **RTOL)
    np.testing.assert_allclose(got["log_loss"],
                               skm.log_loss(y, probs.astype(np.float32),
                                            labels=np.arange(n_classes)), **F32)
    keras_ce = keras.metrics.SparseCategoricalCrossentropy(from_logits=True)
    keras_ce.update_state(y, logits)
    np.testing.assert_allclose(got["sparse_categorical_crossentropy"],
                               float(keras.ops.convert_to_numpy(keras_ce.result())), rtol=1e-5)


def _log_odds(logits):
    """An independent reference: z_c - logsumexp(z_j, j != c), in float64."""
    z = logits.astype(np.float64)
    return np.stack([z[:, c] - logsumexp(np.delete(z, c, axis=1), axis=1)
                     for c in range(z.shape[1])], axis=1)


@pytest.mark.parametrize("n_classes", [2, 5])
@pytest.mark.parametrize("weighted", [False, True])
def test_saturated_softmax_logits_are_ranked_exactly(n_classes, weighted):
    # an over-confident model: many rows lead by more than 37, where the float64 softmax
    # is exactly 1.0 (ties); their order is in the logits, and the AUC counts it
    rng = np.random.default_rng(7 + n_classes)
    n = 3000
    y = rng.integers(0, n_classes, n)
    logits = rng.normal(size=(n, n_classes)).astype(np.float32)
    lead = rng.integers(0, n_classes, n)      # the class a row is sure of, right or wrong
    logits[np.arange(n), lead] += rng.uniform(30, 90, n).astype(np.float32)
    w = rng.uniform(0.5, 2.0, n) if weighted else None
    task = "binary" if n_classes == 2 else "multiclass"
    got = evaluate(resolve_metrics(["auc", "pr_auc"]), y, logits, w,
                   problem=Problem(task, logits=True))
    odds = _log_odds(logits)
    if n_classes == 2:
        auc = skm.roc_auc_score(y, odds[:, 1], sample_weight=w)
        ap = skm.average_precision_score(y, odds[:, 1], sample_weight=w)
        tied = skm.roc_auc_score(y, softmax(logits.astype(np.float64), axis=1)[:, 1],
                                 sample_weight=w)
        # the same model with one unit (z1 - z0) gets the same AUC
        one = evaluate(resolve_metrics(["auc"]), y, logits[:, 1:] - logits[:, :1].astype(float), w,
                       problem=Problem("binary", logits=True))["auc"]
        np.testing.assert_allclose(one, auc, **RTOL)
    else:
        auc = np.mean([skm.roc_auc_score(y == c, odds[:, c], sample_weight=w)
                       for c in range(n_classes)])
        ap = np.mean([skm.average_precision_score(y == c, odds[:, c], sample_weight=w)
                      for c in range(n_classes)])
        probs = softmax(logits.astype(np.float64), axis=1)
        tied = np.mean([skm.roc_auc_score(y == c, probs[:, c], sample_weight=w)
                        for c in range(n_classes)])
    np.testing.assert_allclose(got["auc"], auc, **RTOL)
    np.testing.assert_allclose(got["pr_auc"], ap, **RTOL)
    assert abs(tied - auc) > 1e-4       # the rounded probabilities would have been off


def test_multilabel_logits_decide_at_zero():
    rng = np.random.default_rng(4)
    y = (rng.random((300, 4)) < 0.3).astype(int)
    logits = (rng.normal(size=(300, 4)) + 2 * (y - 0.5)).astype(np.float32)
    got = evaluate(resolve_metrics(["auc", "f1", "recall"]), y, logits,
                   problem=Problem("multilabel", logits=True))
    pred = (logits > 0).astype(int)
    np.testing.assert_allclose(got["auc"], skm.roc_auc_score(y, expit(logits.astype(float))),
                               **RTOL)
    np.testing.assert_allclose(got["f1"], skm.f1_score(y, pred, average="macro"), **RTOL)
    np.testing.assert_allclose(got["recall"], skm.recall_score(y, pred, average="macro"), **RTOL)


def test_log_loss_of_saturated_float32_probabilities_clips_at_float32_eps():
    """A float32 probability of exactly 0 or 1 on a wrong row costs -log(float32 eps),
    as scikit-learn computes on the model's own output; not -log(float64 eps)."""
    y = np.array([1, 0, 1, 0, 1, 1])
    p = np.array([[1.0], [1.0], [0.0], [0.2], [0.9], [1.0]], dtype=np.float32)
    got = get_metric("log_loss")(y, p)
    np.testing.assert_allclose(got, skm.log_loss(y, p[:, 0]), **F32)
    float64_clip = skm.log_loss(y, p[:, 0].astype(np.float64))
    assert abs(got - float64_clip) > 1.0
    # sklearn's own function, passed as it is, gets the same float32 probabilities
    np.testing.assert_allclose(get_metric(skm.log_loss)(y, p), got, **F32)


def test_multilabel_is_kept_when_each_row_holds_one_label():
    """The task comes from the model: one-label rows stay multi-label (macro over labels)."""
    rng = np.random.default_rng(5)
    y = np.eye(4, dtype=int)[rng.integers(0, 4, 200)]
    p = rng.random((200, 4))
    problem = Problem("multilabel")
    pred = (p > 0.5).astype(int)
    with pytest.warns(UserWarning, match="per-label binary accuracy"):
        got = evaluate(resolve_metrics(["f1", "auc", "accuracy", "subset_accuracy"]), y, p,
                       problem=problem)
    np.testing.assert_allclose(got["f1"], skm.f1_score(y, pred, average="macro"), **RTOL)
    np.testing.assert_allclose(got["auc"], skm.roc_auc_score(y, p, average="macro"), **RTOL)
    np.testing.assert_allclose(got["accuracy"], np.mean(pred == y), **RTOL)
    np.testing.assert_allclose(got["subset_accuracy"], skm.accuracy_score(y, pred), **RTOL)
    # read from these labels alone, the rows would be one multi-class problem
    assert evaluate(resolve_metrics(["f1"]), y, p)["f1"] != got["f1"]


@pytest.mark.parametrize("logits", [False, True])
def test_decision_threshold_of_label_metrics(logits):
    y, z = _binary_logits(seed=3)
    p = expit(z.astype(np.float64)).astype(np.float32)
    spec = make_metric("f1", threshold=0.3)
    assert spec.name == "f1_at_0.3" and spec.greater_is_better
    out = z if logits else p
    got = evaluate([spec, get_metric("f1")], y, out, problem=Problem("binary", logits=logits))
    np.testing.assert_allclose(got["f1_at_0.3"], skm.f1_score(y, p[:, 0] > 0.3), rtol=1e-12)
    np.testing.assert_allclose(got["f1"], skm.f1_score(y, p[:, 0] > 0.5), rtol=1e-12)
    named = make_metric("precision", threshold=0.7, name="precision_strict")
    assert named.name == "precision_strict"
    with pytest.raises(ValueError, match="no decision threshold"):
        make_metric("auc", threshold=0.3)
    with pytest.raises(ValueError, match="strictly between 0 and 1"):
        make_metric("f1", threshold=1.5)


def test_metrics_cannot_change_the_data():
    y = np.array([0, 1, 1, 0, 1])
    p = np.array([[0.2], [0.8], [0.6], [0.4], [0.3]])
    y0, p0 = y.copy(), p.copy()

    def zero_labels(y_true, y_pred):
        y_true[:] = 0
        return 0.0

    def sklearn_style(y_true, y_pred):
        y_pred[y_pred < 0.5] = 0.0
        return 0.0

    for fn in (zero_labels, sklearn_style):
        with pytest.raises(MetricError, match="read-only"):
            evaluate(resolve_metrics([fn, "accuracy"]), y, p, on_error="raise")
    np.testing.assert_array_equal(y, y0)
    np.testing.assert_array_equal(p, p0)


@pytest.mark.parametrize("name", sorted(CANONICAL))
def test_nan_targets_give_nan_with_a_warning_for_every_metric(name):
    case = all_cases()[REFERENCES[name][1][0]]
    y = np.asarray(case.y, dtype=np.float64).copy()
    y.reshape(-1)[3] = np.nan
    with pytest.warns(NonFiniteTargetWarning, match="targets"):
        got = evaluate([get_metric(name)], y, case.p, prefix="val_")
    assert list(got) == [f"val_{name}"] and np.isnan(got[f"val_{name}"])


def test_top_k_categorical_accuracy_adapts_to_integer_labels():
    case = all_cases()["multiclass"]
    onehot = np.eye(case.n_classes)[case.y]
    sparse = get_metric("top_k_categorical_accuracy")(case.y, case.p)
    assert sparse == get_metric("top_k_categorical_accuracy")(onehot, case.p)
    assert sparse == get_metric("sparse_top_k_categorical_accuracy")(case.y, case.p)


def test_keras2_backend_calls_point_to_keras_ops():
    from keras import backend as K

    def rmse_k2(y_true, y_pred):
        return K.sqrt(K.mean(K.square(y_pred - y_true), axis=-1))

    case = all_cases()["regression"]
    with pytest.raises(MetricError, match=r"keras\.ops\.sqrt"):
        evaluate(resolve_metrics([rmse_k2]), case.y, case.p, on_error="raise")


@pytest.mark.parametrize("result,error", [(np.array([]), "empty"), (1 + 2j, "complex")])
def test_empty_or_complex_results_are_errors(result, error):
    def odd(y_true, y_pred):
        return result

    case = all_cases()["regression"]
    with pytest.raises(MetricError, match=error):
        evaluate(resolve_metrics([odd]), case.y, case.p, on_error="raise")


@pytest.mark.parametrize("name", ["epoch", "step", "batch", "=cmd", "+x", "-y", "@z"])
def test_names_that_clash_with_the_files_are_refused(name):
    with pytest.raises(ValueError, match="Rename it"):
        resolve_metrics([make_metric("mse", name=name)])


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_half_precision_outputs_are_scored_in_float32(dtype):
    import ml_dtypes  # noqa: F401 - registers bfloat16 with NumPy

    case = all_cases()["multiclass"]
    half = case.p.astype(dtype)
    as32 = half.astype(np.float32)
    names = ["accuracy", "auc", "f1", "log_loss", "sparse_categorical_crossentropy"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = evaluate(resolve_metrics(names), case.y, half)
    assert got == evaluate(resolve_metrics(names), case.y, as32)
