"""Every canonical metric against an independent reference on the same predictions.

References are scikit-learn where it has the metric, Keras otherwise. The dict
``REFERENCES`` maps each canonical name to ``(reference, cases, source)``; a
test fails when a metric is registered without an entry here.
"""

from __future__ import annotations

import warnings

import keras
import numpy as np
import pytest
from sklearn import metrics as skm
from sklearn.preprocessing import label_binarize

from fittrack.metrics import get_metric
from fittrack.metrics.registry import CANONICAL

from ._data import (
    Case,
    all_cases,
    is_binary,
    keras_fn_value,
    keras_metric_value,
    sk_pred,
    sk_score,
    sk_true,
    weights,
)

SK_TOL = dict(rtol=1e-10, atol=1e-10)
KERAS_TOL = dict(rtol=1e-5, atol=1e-6)


# ------------------------------------------------------------- sklearn refs
def ref_accuracy(c: Case, w):
    return skm.accuracy_score(sk_true(c), sk_pred(c), sample_weight=w)


def ref_auc(c: Case, w):
    if is_binary(c) or c.task == "multilabel":
        return skm.roc_auc_score(sk_true(c), sk_score(c), sample_weight=w, average="macro")
    return skm.roc_auc_score(sk_true(c), c.p, multi_class="ovr", average="macro",
                             sample_weight=w)


def ref_pr_auc(c: Case, w):
    if is_binary(c) or c.task == "multilabel":
        return skm.average_precision_score(sk_true(c), sk_score(c), sample_weight=w,
                                           average="macro")
    onehot = label_binarize(sk_true(c), classes=np.arange(c.n_classes))
    return skm.average_precision_score(onehot, c.p, average="macro", sample_weight=w)


def _prf(fn):
    def ref(c: Case, w):
        average = "binary" if is_binary(c) else "macro"
        return fn(sk_true(c), sk_pred(c), average=average, zero_division=0,
                  sample_weight=w)
    ref.__name__ = f"ref_{fn.__name__}"
    return ref


def ref_subset_accuracy(c: Case, w):
    """scikit-learn's accuracy_score: the exact-match ratio on multi-label rows."""
    return skm.accuracy_score(sk_true(c), sk_pred(c), sample_weight=w)


def ref_mcc(c: Case, w):
    return skm.matthews_corrcoef(sk_true(c), sk_pred(c), sample_weight=w)


def ref_balanced_accuracy(c: Case, w):
    return skm.balanced_accuracy_score(sk_true(c), sk_pred(c), sample_weight=w)


def ref_log_loss(c: Case, w):
    return skm.log_loss(sk_true(c), sk_score(c), labels=np.arange(max(c.n_classes, 2)),
                        sample_weight=w)


def _cell(row, col):
    def ref(c: Case, w):
        cm = skm.confusion_matrix(sk_true(c), sk_pred(c), labels=[0, 1], sample_weight=w)
        return cm[row, col]
    return ref


def ref_r2(c: Case, w):
    return skm.r2_score(c.y, c.p.reshape(c.y.shape), sample_weight=w)


# --------------------------------------------------------------- Keras refs
def _keras_y(c: Case) -> np.ndarray:
    """Targets shaped as Keras' losses need them: ``(n, 1)`` next to an ``(n, 1)`` output."""
    if c.y.ndim == 1 and c.p.shape[-1] == 1:
        return c.y[:, None]
    return c.y


def _kmetric(factory, sign=1.0):
    def ref(c: Case, w):
        return sign * keras_metric_value(factory(), _keras_y(c), c.p, w)
    return ref


def _kfn(fn):
    def ref(c: Case, w):
        return keras_fn_value(fn, _keras_y(c), c.p, w)
    return ref


km, kl = keras.metrics, keras.losses
CLASSIF = ("binary", "binary2", "multiclass", "onehot", "cancer", "cancer2", "digits",
           "digits_onehot")
RANKING = CLASSIF + ("multilabel", "ties_binary", "ties_multiclass", "ties_multilabel")
PRF = CLASSIF + ("multilabel", "ties_binary", "ties_multiclass")
BINARY = ("binary", "binary2", "cancer", "cancer2", "ties_binary")
REGRESSION = ("regression", "regression1", "positive", "diabetes")

#: canonical name -> (reference(case, sample_weight), case names, "sklearn" | "keras")
REFERENCES = {
    "accuracy": (ref_accuracy, CLASSIF + ("ties_binary",), "sklearn"),
    "subset_accuracy": (ref_subset_accuracy, ("multilabel", "ties_multilabel") + CLASSIF,
                        "sklearn"),
    "binary_accuracy": (_kmetric(km.BinaryAccuracy), ("binary", "multilabel", "cancer",
                                                      "ties_binary"), "keras"),
    "categorical_accuracy": (_kmetric(km.CategoricalAccuracy),
                             ("onehot", "soft", "digits_onehot"), "keras"),
    "sparse_categorical_accuracy": (_kmetric(km.SparseCategoricalAccuracy),
                                    ("multiclass", "binary2", "digits", "cancer2"), "keras"),
    "top_k_categorical_accuracy": (_kmetric(lambda: km.TopKCategoricalAccuracy(k=5)),
                                   ("onehot", "digits_onehot", "ties_onehot7"), "keras"),
    "sparse_top_k_categorical_accuracy": (
        _kmetric(lambda: km.SparseTopKCategoricalAccuracy(k=5)),
        ("multiclass", "digits", "ties_sparse7"), "keras"),
    "auc": (ref_auc, RANKING, "sklearn"),
    "pr_auc": (ref_pr_auc, RANKING, "sklearn"),
    "precision": (_prf(skm.precision_score), PRF, "sklearn"),
    "recall": (_prf(skm.recall_score), PRF, "sklearn"),
    "f1": (_prf(skm.f1_score), PRF, "sklearn"),
    "mcc": (ref_mcc, CLASSIF + ("ties_binary",), "sklearn"),
    "balanced_accuracy": (ref_balanced_accuracy, CLASSIF + ("ties_binary",), "sklearn"),
    "log_loss": (ref_log_loss, CLASSIF, "sklearn"),
    "true_positives": (_cell(1, 1), BINARY, "sklearn"),
    "false_positives": (_cell(0, 1), BINARY, "sklearn"),
    "true_negatives": (_cell(0, 0), BINARY, "sklearn"),
    "false_negatives": (_cell(1, 0), BINARY, "sklearn"),
    "mean_squared_error": (_kmetric(km.MeanSquaredError), REGRESSION, "keras"),
    "mean_absolute_error": (_kmetric(km.MeanAbsoluteError), REGRESSION, "keras"),
    "mean_absolute_percentage_error": (_kmetric(km.MeanAbsolutePercentageError),
                                       REGRESSION, "keras"),
    "mean_squared_logarithmic_error": (_kmetric(km.MeanSquaredLogarithmicError),
                                       ("positive", "regression", "diabetes"), "keras"),
    "rmse": (_kmetric(km.RootMeanSquaredError), REGRESSION, "keras"),
    "r2": (ref_r2, REGRESSION, "sklearn"),
    "cosine_similarity": (_kmetric(km.CosineSimilarity),
                          ("regression", "positive", "soft", "regression1"), "keras"),
    "cosine_proximity": (_kmetric(km.CosineSimilarity, sign=-1.0),
                         ("regression", "positive", "soft", "regression1"), "keras"),
    "log_cosh": (_kmetric(km.LogCoshError), REGRESSION, "keras"),
    "huber": (_kfn(kl.huber), REGRESSION, "keras"),
    "poisson": (_kmetric(km.Poisson), ("positive", "soft"), "keras"),
    "kl_divergence": (_kmetric(km.KLDivergence), ("soft", "onehot", "digits_onehot"),
                      "keras"),
    "binary_crossentropy": (_kmetric(km.BinaryCrossentropy),
                            ("binary", "multilabel", "cancer", "ties_binary"), "keras"),
    "categorical_crossentropy": (_kmetric(km.CategoricalCrossentropy),
                                 ("onehot", "soft", "digits_onehot"), "keras"),
    "sparse_categorical_crossentropy": (_kmetric(km.SparseCategoricalCrossentropy),
                                        ("multiclass", "binary2", "digits"), "keras"),
    "hinge": (_kmetric(km.Hinge), ("binary", "multilabel", "regression", "cancer"), "keras"),
    "squared_hinge": (_kmetric(km.SquaredHinge),
                      ("binary", "multilabel", "regression", "cancer"), "keras"),
    "categorical_hinge": (_kmetric(km.CategoricalHinge), ("onehot", "digits_onehot"),
                          "keras"),
}

WEIGHTS = [None, "positive", "zeros"]


def test_every_canonical_metric_has_a_reference():
    assert set(CANONICAL) == set(REFERENCES), (
        f"metrics without a reference test: {sorted(set(CANONICAL) - set(REFERENCES))}; "
        f"references for unregistered names: {sorted(set(REFERENCES) - set(CANONICAL))}")


def test_every_referenced_case_exists():
    unknown = {case for _, cases, _ in REFERENCES.values() for case in cases} - set(all_cases())
    assert not unknown


BUNDLED = ("cancer", "cancer2", "digits", "digits_onehot", "diabetes")


def _wanted(source: str, case: str, weight_kind: str | None) -> bool:
    """Keras references run eagerly (slow on JAX): for them, weights with zeros
    (and none) on the random cases, no weights on the bundled data sets."""
    if source == "sklearn":
        return True
    return weight_kind is None or (weight_kind == "zeros" and case not in BUNDLED)


PARAMS = [pytest.param(name, case, wk, id=f"{name}-{case}-{wk or 'unweighted'}")
          for name, (_, cases, source) in sorted(REFERENCES.items())
          for case in cases for wk in WEIGHTS if _wanted(source, case, wk)]


@pytest.mark.parametrize("name,case_name,weight_kind", PARAMS)
def test_metric_equals_reference(name, case_name, weight_kind):
    case = all_cases()[case_name]
    w = weights(weight_kind, case.n)
    reference, _, source = REFERENCES[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # sklearn's / keras' own notes
        expected = float(reference(case, w))
    got = get_metric(name)(case.y, case.p, w)
    assert isinstance(got, float)
    tol = SK_TOL if source == "sklearn" else KERAS_TOL
    np.testing.assert_allclose(got, expected, **tol, err_msg=f"{name} on {case_name}")


@pytest.mark.parametrize("name", sorted(CANONICAL))
def test_plain_lists_and_float32_give_the_same_value(name):
    """Python lists and float32 arrays are accepted and give the float64 value."""
    _, cases, _ = REFERENCES[name]
    case = all_cases()[cases[0]]
    spec = get_metric(name)
    exact = spec(case.y, case.p)
    np.testing.assert_allclose(spec(case.y.tolist(), case.p.tolist()), exact, rtol=1e-12)
    low = spec(case.y, case.p.astype(np.float32))
    np.testing.assert_allclose(low, exact, rtol=1e-4, atol=1e-5)


def _perfect(case: Case) -> np.ndarray:
    if case.task in ("binary",):
        return np.where(sk_true(case)[:, None] == 1, 0.95, 0.05)
    if case.task in ("binary2", "multiclass"):
        return np.eye(case.n_classes)[sk_true(case)] * 0.9 + 0.1 / case.n_classes
    if case.task in ("onehot", "multilabel"):
        return case.y * 0.9 + 0.05
    return case.y.reshape(case.p.shape).astype(np.float64)


@pytest.mark.parametrize("name", sorted(CANONICAL))
def test_greater_is_better_orders_a_perfect_and_a_real_model(name):
    """A near-perfect prediction scores better than the noisy one, per the flag."""
    _, cases, _ = REFERENCES[name]
    case = all_cases()[cases[0]]
    spec = get_metric(name)
    good, real = spec(case.y, _perfect(case)), spec(case.y, case.p)
    assert good != real
    assert (good > real) == spec.greater_is_better, (name, good, real)


# ------------------------------------------------- outputs with time steps
def _sequence_data(seed=5, n=40, steps=6, n_classes=4):
    rng = np.random.default_rng(seed)
    yb = rng.integers(0, 2, (n, steps))
    pb = rng.random((n, steps, 1))
    ym = rng.integers(0, n_classes, (n, steps))
    logits = rng.normal(size=(n, steps, n_classes))
    pm = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
    return yb, pb, ym, pm, rng.uniform(0.1, 2.0, n)


@pytest.mark.parametrize("weighted", [False, True])
def test_sequence_outputs_flatten_time_steps(weighted):
    """(n, T) targets next to (n, T, 1) or (n, T, C) outputs, as Keras takes them;
    per-row weights apply to every time step."""
    yb, pb, ym, pm, w = _sequence_data()
    w = w if weighted else None
    steps = yb.shape[1]
    wf = None if w is None else np.repeat(w, steps)
    flat_b, flat_pb = yb.reshape(-1), pb.reshape(-1)
    flat_m, flat_pm = ym.reshape(-1), pm.reshape(-1, pm.shape[-1])
    sk = {
        "auc": (skm.roc_auc_score(flat_b, flat_pb, sample_weight=wf),
                skm.roc_auc_score(flat_m, flat_pm, multi_class="ovr", sample_weight=wf)),
        "f1": (skm.f1_score(flat_b, flat_pb > 0.5, sample_weight=wf),
               skm.f1_score(flat_m, flat_pm.argmax(1), average="macro", sample_weight=wf)),
        "accuracy": (skm.accuracy_score(flat_b, flat_pb > 0.5, sample_weight=wf),
                     skm.accuracy_score(flat_m, flat_pm.argmax(1), sample_weight=wf)),
    }
    for name, (binary, multi) in sk.items():
        np.testing.assert_allclose(get_metric(name)(yb, pb, w), binary, **SK_TOL, err_msg=name)
        np.testing.assert_allclose(get_metric(name)(ym, pm, w), multi, **SK_TOL, err_msg=name)
    keras_refs = {  # name: (Keras metric, targets for Keras, ours, outputs)
        "binary_accuracy": (km.BinaryAccuracy, yb, yb, pb),
        "mse": (km.MeanSquaredError, yb, yb, pb),
        # Keras' crossentropy needs equal shapes (its loss wrapper expands them)
        "binary_crossentropy": (km.BinaryCrossentropy, yb[..., None], yb, pb),
        "sparse_categorical_accuracy": (km.SparseCategoricalAccuracy, ym, ym, pm),
        "sparse_categorical_crossentropy": (km.SparseCategoricalCrossentropy, ym, ym, pm),
    }
    for name, (factory, y_keras, y, p) in keras_refs.items():
        expected = keras_metric_value(factory(), y_keras, p, w)
        np.testing.assert_allclose(get_metric(name)(y, p, w), expected, **KERAS_TOL,
                                   err_msg=name)


@pytest.mark.parametrize("weight_kind", WEIGHTS)
def test_macro_averages_skip_classes_never_seen(weight_kind):
    """A class in neither the labels nor the predictions is not in the macro
    average (scikit-learn's label set: the labels present in y_true or y_pred)."""
    case = all_cases()["multiclass"]
    keep = case.y != 6
    y, p = case.y[keep], case.p[keep].copy()
    p[:, 6] = 0.0  # never predicted either
    w = weights(weight_kind, len(y))
    pred = p.argmax(1)
    assert 6 not in set(y) | set(pred)
    for name, fn in (("precision", skm.precision_score), ("recall", skm.recall_score),
                     ("f1", skm.f1_score)):
        expected = fn(y, pred, average="macro", zero_division=0, sample_weight=w)
        np.testing.assert_allclose(get_metric(name)(y, p, w), expected, **SK_TOL)
    np.testing.assert_allclose(get_metric("balanced_accuracy")(y, p, w),
                               skm.balanced_accuracy_score(y, pred, sample_weight=w), **SK_TOL)
    np.testing.assert_allclose(get_metric("mcc")(y, p, w),
                               skm.matthews_corrcoef(y, pred, sample_weight=w), **SK_TOL)
