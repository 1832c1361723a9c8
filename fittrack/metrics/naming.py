"""Direction rules read from a name, for metrics that do not declare one.

Keras metric and loss objects (``keras.metrics.LogCoshError``,
``keras.losses.Huber``), scikit-learn functions and keys in files without
metadata are named by convention: losses and errors are better lower,
accuracies and scores higher. These rules live here, once; the key grammar
(:mod:`fittrack.history.keys`) and the Keras adapter ask them.

Example:
    >>> [lower_is_better(n) for n in ("rmse", "LogCoshError", "val_mae", "auc", "f1")]
    [True, True, True, False, False]
    >>> [name_direction(n) for n in ("val_loss", "f1_score", "median_thing")]
    [False, True, None]
    >>> [name_direction(n) for n in ("brier_score", "jaccard_distance", "jaccard")]
    [False, False, True]
"""

from __future__ import annotations

import re

#: looked for in the name with case and separators removed (LogCoshError, logcosh)
LOWER_IS_BETTER_WORDS = ("loss", "error", "deviance", "hinge", "crossentropy",
                         "divergence", "poisson", "huber", "logcosh", "falsepositive",
                         "falsenegative", "cosineproximity", "distance", "brier")
#: whole words of the name: the usual short names of errors (a user's ``rmse``)
LOWER_IS_BETTER_TOKENS = frozenset({
    "mse", "mae", "mape", "msle", "rmse", "rmsle", "smape", "medae", "kld", "nll",
    "bce", "cce", "fpr", "fnr", "wer", "cer", "perplexity"})


#: looked for in the squashed name: scores, where more is better
GREATER_IS_BETTER_WORDS = ("accuracy", "auc", "score", "precision", "recall", "similarity",
                           "correlation", "jaccard", "kappa", "fbeta", "fmeasure",
                           "truepositive", "truenegative", "specificity", "sensitivity")
#: whole words of the name
GREATER_IS_BETTER_TOKENS = frozenset({
    "acc", "f1", "f2", "iou", "miou", "dice", "r2", "mcc", "ap", "map", "ndcg", "tpr", "tnr",
    "hit", "hits"})


def words(name: str) -> list[str]:
    """The lower-case alphanumeric words of a name."""
    return [w for w in re.split(r"[^a-z0-9]+", name.lower()) if w]


def lower_is_better(name: str) -> bool:
    """True for names of losses, errors and their usual short names."""
    parts = words(name)
    squashed = "".join(parts)
    return (any(word in squashed for word in LOWER_IS_BETTER_WORDS)
            or any(w in LOWER_IS_BETTER_TOKENS for w in parts))


def name_direction(name: str) -> bool | None:
    """The direction a name suggests: False for losses and errors, True for
    accuracies and scores, None when it says neither."""
    if lower_is_better(name):
        return False
    parts = words(name)
    squashed = "".join(parts)
    if any(w in squashed for w in GREATER_IS_BETTER_WORDS) or \
            any(w in GREATER_IS_BETTER_TOKENS for w in parts):
        return True
    return None
