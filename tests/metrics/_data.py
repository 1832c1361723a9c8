"""Shared test data for tests/metrics: prediction cases and reference helpers.

A :class:`Case` holds targets and predictions in the form a Keras model and
fittrack see them (``y``, ``p``), plus the task, from which the helpers below
derive the form scikit-learn expects (1-D labels, positive-class scores,
thresholded predictions). Nothing here calls fittrack: the references must stay
independent of the code under test.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

N = 300
N_CLASSES = 7  # > 5, so top-5 accuracy is not trivially 1


@dataclass(frozen=True)
class Case:
    """``y``/``p`` as given to a Keras model's metrics; ``task`` names the layout.

    Tasks: ``binary`` (labels ``(n,)``, one sigmoid column ``(n, 1)``),
    ``binary2`` (sparse labels, two-column softmax), ``multiclass`` (sparse
    labels, softmax), ``onehot`` (one-hot rows, softmax), ``multilabel``
    (multi-hot rows, sigmoid columns), ``regression`` (real targets ``(n, k)``),
    ``positive`` (non-negative targets and outputs, ``(n, k)``), ``soft``
    (probability rows for both).
    """

    name: str
    task: str
    y: np.ndarray
    p: np.ndarray

    @property
    def n(self) -> int:
        return len(self.y)

    @property
    def n_classes(self) -> int:
        return int(self.p.shape[-1])


def softmax(logits: np.ndarray) -> np.ndarray:
    z = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _informative_logits(rng, labels, n_classes, strength=1.2):
    logits = rng.normal(size=(len(labels), n_classes))
    logits[np.arange(len(labels)), labels] += strength
    return logits


# ---------------------------------------------------------------- random cases
def random_cases(seed: int = 0) -> dict[str, Case]:
    rng = np.random.default_rng(seed)
    n, c = N, N_CLASSES
    yb = rng.integers(0, 2, n)
    pb = sigmoid(rng.normal(size=n) + 1.5 * (yb - 0.5))[:, None]
    y2 = rng.integers(0, 2, n)
    p2 = softmax(_informative_logits(rng, y2, 2))
    ym = rng.integers(0, c, n)
    pm = softmax(_informative_logits(rng, ym, c))
    yo = rng.integers(0, c, n)
    po = softmax(_informative_logits(rng, yo, c))
    yl = (rng.random((n, 4)) < 0.4).astype(np.int64)
    pl = sigmoid(rng.normal(size=(n, 4)) + 1.5 * (yl - 0.5))
    yr = rng.normal(size=(n, 3))
    pr = yr + 0.5 * rng.normal(size=(n, 3))
    ypos = rng.gamma(2.0, 1.5, size=(n, 3))
    ppos = np.abs(ypos + rng.normal(scale=0.7, size=(n, 3))) + 0.05
    ys = softmax(rng.normal(size=(n, 5)))
    ps = softmax(rng.normal(size=(n, 5)))
    return {
        "binary": Case("binary", "binary", yb, pb),
        "binary2": Case("binary2", "binary2", y2, p2),
        "multiclass": Case("multiclass", "multiclass", ym, pm),
        "onehot": Case("onehot", "onehot", np.eye(c)[yo], po),
        "multilabel": Case("multilabel", "multilabel", yl, pl),
        "regression": Case("regression", "regression", yr, pr),
        "regression1": Case("regression1", "regression", yr[:, 0], pr[:, :1]),
        "positive": Case("positive", "positive", ypos, ppos),
        "soft": Case("soft", "soft", ys, ps),
    }


def tie_cases(seed: int = 1) -> dict[str, Case]:
    """Scores with many ties: rounded to one decimal, or permutations of 3 values."""
    rng = np.random.default_rng(seed)
    n = N
    yb = rng.integers(0, 2, n)
    pb = np.round(sigmoid(rng.normal(size=n) + (yb - 0.5)), 1)[:, None]
    ym = rng.integers(0, 3, n)
    base = np.array([0.5, 0.3, 0.2])
    rows = np.array([rng.permutation(base) for _ in range(n)])
    ml = (rng.random((n, 3)) < 0.5).astype(np.int64)
    pl = np.round(rng.random((n, 3)), 1)
    yk = rng.integers(0, N_CLASSES, n)
    pk = np.round(softmax(_informative_logits(rng, yk, N_CLASSES, 0.5)), 1)
    return {
        "ties_sparse7": Case("ties_sparse7", "multiclass", yk, pk),
        "ties_onehot7": Case("ties_onehot7", "onehot", np.eye(N_CLASSES)[yk], pk),
        "ties_binary": Case("ties_binary", "binary", yb, pb),
        "ties_multiclass": Case("ties_multiclass", "multiclass", ym, rows),
        "ties_multilabel": Case("ties_multilabel", "multilabel", ml, pl),
    }


# ------------------------------------------------------- bundled sklearn data
@functools.cache
def bundled_cases() -> dict[str, Case]:
    """Realistic probabilities: logistic regressions on bundled sklearn data."""
    from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits
    from sklearn.linear_model import LinearRegression, LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    # C is small enough that no probability saturates at Keras' 1e-7 clip,
    # where float32 (Keras) and float64 (fittrack) round differently.
    x, y = load_breast_cancer(return_X_y=True)
    clf = make_pipeline(StandardScaler(), LogisticRegression(C=0.01, max_iter=2000))
    pc = clf.fit(x, y).predict_proba(x)
    xd, yd = load_digits(return_X_y=True)
    clf = make_pipeline(StandardScaler(), LogisticRegression(C=0.001, max_iter=2000))
    pd = clf.fit(xd, yd).predict_proba(xd)
    xr, yr = load_diabetes(return_X_y=True)
    pr = LinearRegression().fit(xr, yr).predict(xr)
    return {
        "cancer": Case("cancer", "binary", y, pc[:, 1:]),
        "cancer2": Case("cancer2", "binary2", y, pc),
        "digits": Case("digits", "multiclass", yd, pd),
        "digits_onehot": Case("digits_onehot", "onehot", np.eye(10)[yd], pd),
        "diabetes": Case("diabetes", "regression", yr, pr[:, None]),
    }


@functools.cache
def all_cases() -> dict[str, Case]:
    return {**random_cases(), **tie_cases(), **bundled_cases()}


def weights(kind: str | None, n: int, seed: int = 7) -> np.ndarray | None:
    """None, positive weights, or weights with about a fifth set to zero."""
    if kind is None:
        return None
    rng = np.random.default_rng(seed + n)
    w = rng.uniform(0.1, 2.0, n)
    if kind == "zeros":
        w[rng.random(n) < 0.2] = 0.0
    return w


# ------------------------------------------------- the scikit-learn view
def sk_true(case: Case) -> np.ndarray:
    """1-D int labels (binary, multi-class) or the indicator matrix (multilabel)."""
    if case.task == "onehot":
        return np.argmax(case.y, axis=1)
    if case.task == "multilabel":
        return case.y
    return np.asarray(case.y).reshape(-1).astype(np.int64)


def sk_score(case: Case) -> np.ndarray:
    """Positive-class scores (binary problems) or the score matrix."""
    if case.task == "binary":
        return case.p[:, 0]
    if case.task == "binary2":
        return case.p[:, 1]
    return case.p


def sk_pred(case: Case) -> np.ndarray:
    """Thresholded at 0.5 (binary, multilabel) or arg-maxed (multi-class)."""
    if case.task in ("binary", "binary2", "multilabel"):
        return (sk_score(case) > 0.5).astype(np.int64)
    return np.argmax(case.p, axis=1)


def is_binary(case: Case) -> bool:
    return case.task in ("binary", "binary2")


# ------------------------------------------------------------ Keras helpers
def keras_metric_value(metric, y, p, w=None) -> float:
    """A fresh ``keras.metrics.Metric``'s value over all rows in one update.

    Outputs are passed in float32, as a Keras model produces them (TensorFlow's
    ``in_top_k`` accepts nothing else).
    """
    import keras

    p = np.asarray(p, dtype=np.float32)
    metric.reset_state()
    metric.update_state(y, p, sample_weight=w)
    return float(keras.ops.convert_to_numpy(metric.result()))


def keras_fn_value(fn, y, p, w=None) -> float:
    """A Keras metric/loss function averaged as ``compile(metrics=[fn])`` does."""
    import keras

    return keras_metric_value(keras.metrics.MeanMetricWrapper(fn), y, p, w)
