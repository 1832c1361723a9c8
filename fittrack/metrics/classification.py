"""Label-based classification metrics, read off the shared confusion matrix.

Binary problems give the binary score of class 1 (threshold 0.5, ``score >
0.5`` is positive, as Keras does); multi-class problems give macro averages
over the classes present in the labels or the predictions, and multilabel
problems macro averages over the labels (scikit-learn's ``average="macro"``).
An empty denominator gives 0, as scikit-learn's ``zero_division=0``.

Example:
    >>> import numpy as np
    >>> from fittrack.metrics.context import EvalContext
    >>> ctx = EvalContext(np.array([0, 1, 1, 0]), np.array([0.2, 0.7, 0.4, 0.6]))
    >>> precision(ctx), recall(ctx), f1(ctx)
    (0.5, 0.5, 0.5)
"""

from __future__ import annotations

import warnings

import numpy as np

from fittrack.metrics.chunks import row_chunks
from fittrack.metrics.common import UndefinedMetricWarning
from fittrack.metrics.context import EvalContext


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    num = np.asarray(num, dtype=np.float64)
    den = np.asarray(den, dtype=np.float64)
    return np.divide(num, den, out=np.zeros_like(num), where=den > 0)


def class_counts(ctx: EvalContext) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Weighted (tp, fp, fn) per class; for binary problems, of class 1 only."""
    def build() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        cm = ctx.confusion
        if ctx.task == "multilabel":
            return cm[:, 1, 1], cm[:, 0, 1], cm[:, 1, 0]
        tp = np.diag(cm)
        fp = cm.sum(axis=0) - tp
        fn = cm.sum(axis=1) - tp
        if ctx.task == "binary":
            return tp[1:], fp[1:], fn[1:]
        present = _present_classes(ctx)
        return tp[present], fp[present], fn[present]
    return ctx.memo("class_counts", build)


def _present_classes(ctx: EvalContext) -> np.ndarray:
    """Classes seen in the labels or the predictions (scikit-learn's label set)."""
    if ctx.weights is None:  # the confusion matrix counts rows
        cm = ctx.confusion
        return np.flatnonzero(cm.sum(axis=0) + cm.sum(axis=1) > 0)
    seen = np.zeros(ctx.n_classes, dtype=np.int64)
    for rows in row_chunks(len(ctx.true_labels)):
        seen += np.bincount(ctx.true_labels[rows], minlength=ctx.n_classes)
        seen += np.bincount(ctx.pred_labels[rows], minlength=ctx.n_classes)
    return np.flatnonzero(seen > 0)


def precision(ctx: EvalContext) -> float:
    """tp / (tp + fp): binary, or macro over classes."""
    tp, fp, _ = class_counts(ctx)
    return float(np.mean(_ratio(tp, tp + fp)))


def recall(ctx: EvalContext) -> float:
    """tp / (tp + fn): binary, or macro over classes."""
    tp, _, fn = class_counts(ctx)
    return float(np.mean(_ratio(tp, tp + fn)))


def f1(ctx: EvalContext) -> float:
    """2 tp / (2 tp + fp + fn): binary, or macro over classes."""
    tp, fp, fn = class_counts(ctx)
    return float(np.mean(_ratio(2 * tp, 2 * tp + fp + fn)))


def _binary_cell(ctx: EvalContext, row: int, col: int) -> float:
    _require_single_label(ctx, "true/false positive counts")
    if ctx.task != "binary":
        raise ValueError(
            "true_positives, false_positives, true_negatives and false_negatives "
            f"are binary counts; received a {ctx.task} problem with "
            f"{ctx.n_classes} classes. Use per-output binary targets, or "
            "precision/recall (macro averaged) instead.")
    return float(ctx.confusion[row, col])


def true_positives(ctx: EvalContext) -> float:
    """Weighted count of positive rows predicted positive."""
    return _binary_cell(ctx, 1, 1)


def false_positives(ctx: EvalContext) -> float:
    """Weighted count of negative rows predicted positive."""
    return _binary_cell(ctx, 0, 1)


def true_negatives(ctx: EvalContext) -> float:
    """Weighted count of negative rows predicted negative."""
    return _binary_cell(ctx, 0, 0)


def false_negatives(ctx: EvalContext) -> float:
    """Weighted count of positive rows predicted negative."""
    return _binary_cell(ctx, 1, 0)


def mcc(ctx: EvalContext) -> float:
    """Matthews correlation coefficient (multi-class form of scikit-learn)."""
    _require_single_label(ctx, "mcc")
    cm = ctx.confusion
    t_sum, p_sum = cm.sum(axis=1), cm.sum(axis=0)
    n = t_sum.sum()
    cov_tp = np.trace(cm) * n - t_sum @ p_sum
    cov_pp = n * n - p_sum @ p_sum
    cov_tt = n * n - t_sum @ t_sum
    if cov_pp * cov_tt == 0:
        return 0.0
    return float(cov_tp / np.sqrt(cov_tt * cov_pp))


def balanced_accuracy(ctx: EvalContext) -> float:
    """Mean recall over the classes present in the labels."""
    _require_single_label(ctx, "balanced_accuracy")
    cm = ctx.confusion
    support = cm.sum(axis=1)
    present = support > 0
    if not present.any():
        return float("nan")
    if np.any(cm[:, ~present].sum(axis=0) > 0):
        warnings.warn("balanced_accuracy: some predicted classes have no true rows; "
                      "they are left out of the mean.", UndefinedMetricWarning, stacklevel=2)
    return float(np.mean(np.diag(cm)[present] / support[present]))


def log_loss(ctx: EvalContext) -> float:
    """Mean negative log-likelihood of the true class: scikit-learn's ``log_loss``
    on the outputs' own dtype (probabilities clipped to ``[eps, 1 - eps]`` of that
    dtype, then converted to float64)."""
    _require_single_label(ctx, "log_loss")
    labels, weights = ctx.true_labels, ctx.weights
    # the temporaries are one value per row, unless a softmax is computed per chunk
    chunks = row_chunks(len(labels), ctx.y_pred_given.shape[-1] if ctx.problem.logits else 1)
    if len(chunks) == 1:
        return -float(np.average(_log_likelihoods(ctx, chunks[0]), weights=weights))
    total = 0.0
    for rows in chunks:
        logs = _log_likelihoods(ctx, rows)
        total += float(logs.sum() if weights is None else logs @ weights[rows])
    return -total / (len(labels) if weights is None else float(weights.sum()))


def _log_likelihoods(ctx: EvalContext, rows: slice) -> np.ndarray:
    """``log(p[true class])`` in float64 of rows ``rows`` (clipped in the outputs' dtype)."""
    flat = ctx.flat_probs(rows)
    labels = ctx.true_labels[rows]
    if flat.shape[1] == 1:
        picked = _positive_or_complement(flat[:, 0], labels)
    else:  # flat positions of the true classes: a 1-D take is faster than 2-D indexing
        index = np.arange(0, flat.size, flat.shape[1])
        index += labels
        picked = np.take(flat.reshape(-1), index)
    eps = np.finfo(picked.dtype).eps
    np.clip(picked, eps, 1 - eps, out=picked)
    return np.log(picked, dtype=np.float64)


def _positive_or_complement(p: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """``p`` where the label is 1, else ``1 - p``: the bits selected without a branch
    (``np.where`` on a random mask is several times slower)."""
    picked = 1 - p
    bits = picked.view(f"u{picked.itemsize}")
    mask = np.negative(labels, dtype=bits.dtype)              # 0 or all bits set
    bits ^= (bits ^ p.view(bits.dtype)) & mask
    return picked


def _require_single_label(ctx: EvalContext, name: str) -> None:
    if ctx.task == "multilabel":
        raise ValueError(
            f"{name} is defined for binary and multi-class labels; received "
            f"multilabel targets (multi-hot rows of {ctx.n_classes} labels). Use "
            "per-label metrics (auc, f1, precision, recall are macro averaged over "
            "labels) or binary_crossentropy instead.")
