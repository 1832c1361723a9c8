"""The registry: every built-in metric by name, with its aliases.

One dict maps each lower-case name (canonical or alias) to its
:class:`~fittrack.metrics.spec.MetricSpec`. Aliases cover Keras' short and long
names, Keras 2 names of the classic tutorials (``acc``, ``cosine``,
``cosine_proximity``) and scikit-learn's names.

Example:
    >>> from fittrack.metrics import available
    >>> "auc" in available() and "cosine_proximity" in available()
    True
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fittrack.metrics import accuracy as acc
from fittrack.metrics import classification as cls
from fittrack.metrics import losses, ranking
from fittrack.metrics import regression as reg
from fittrack.metrics.context import EvalContext
from fittrack.metrics.spec import InputKind, MetricSpec

#: canonical name -> spec
CANONICAL: dict[str, MetricSpec] = {}
#: every accepted lower-case name -> canonical name
NAMES: dict[str, str] = {}


def register(spec: MetricSpec, *aliases: str) -> MetricSpec:
    """Add a built-in metric under its name and aliases (lower case)."""
    for name in (spec.name, *aliases):
        key = name.lower()
        if key in NAMES:
            raise ValueError(f"metric name {name!r} is already registered")
        NAMES[key] = spec.name
    CANONICAL[spec.name] = spec
    return spec


def _add(name: str, fn: Callable[[EvalContext], Any], greater: bool, kind: InputKind,
         *aliases: str) -> None:
    doc = (fn.__doc__ or "").strip().splitlines()[0]
    register(MetricSpec(name, fn, greater, kind, doc), *aliases)


# accuracy (Keras semantics)
_add("accuracy", acc.accuracy, True, "labels", "acc")
_add("binary_accuracy", acc.binary_accuracy, True, "labels")
_add("subset_accuracy", acc.subset_accuracy, True, "labels", "exact_match")
_add("categorical_accuracy", acc.categorical_accuracy, True, "labels")
_add("sparse_categorical_accuracy", acc.sparse_categorical_accuracy, True, "labels")
_add("top_k_categorical_accuracy", acc.top_k_categorical_accuracy, True, "scores")
_add("sparse_top_k_categorical_accuracy", acc.sparse_top_k_categorical_accuracy,
     True, "scores")
# ranking (exact)
_add("auc", ranking.roc_auc, True, "scores", "roc_auc", "roc_auc_score")
_add("pr_auc", ranking.average_precision, True, "scores",
     "average_precision", "average_precision_score")
# label-based classification
_add("precision", cls.precision, True, "labels", "precision_score")
_add("recall", cls.recall, True, "labels", "recall_score")
_add("f1", cls.f1, True, "labels", "f1_score")
_add("mcc", cls.mcc, True, "labels", "matthews_corrcoef")
_add("balanced_accuracy", cls.balanced_accuracy, True, "labels", "balanced_accuracy_score")
_add("log_loss", cls.log_loss, False, "scores")
_add("true_positives", cls.true_positives, True, "labels", "tp")
_add("false_positives", cls.false_positives, False, "labels", "fp")
_add("true_negatives", cls.true_negatives, True, "labels", "tn")
_add("false_negatives", cls.false_negatives, False, "labels", "fn")
# regression
_add("mean_squared_error", reg.mean_squared_error, False, "values", "mse")
_add("mean_absolute_error", reg.mean_absolute_error, False, "values", "mae")
_add("mean_absolute_percentage_error", reg.mean_absolute_percentage_error, False,
     "values", "mape")
_add("mean_squared_logarithmic_error", reg.mean_squared_logarithmic_error, False,
     "values", "msle")
_add("rmse", reg.root_mean_squared_error, False, "values", "root_mean_squared_error")
_add("r2", reg.r2_score, True, "values", "r2_score")
_add("cosine_similarity", reg.cosine_similarity, True, "values")
_add("cosine_proximity", reg.cosine_proximity, False, "values", "cosine")
_add("log_cosh", reg.log_cosh, False, "values", "logcosh", "log_cosh_error")
_add("huber", reg.huber, False, "values", "huber_loss")
_add("poisson", reg.poisson, False, "values")
_add("kl_divergence", reg.kl_divergence, False, "values", "kld",
     "kullback_leibler_divergence")
# losses by name
_add("binary_crossentropy", losses.binary_crossentropy, False, "scores", "bce")
_add("categorical_crossentropy", losses.categorical_crossentropy, False, "scores")
_add("sparse_categorical_crossentropy", losses.sparse_categorical_crossentropy,
     False, "scores")
_add("hinge", losses.hinge, False, "values")
_add("squared_hinge", losses.squared_hinge, False, "values")
_add("categorical_hinge", losses.categorical_hinge, False, "values")


def lookup(name: str) -> MetricSpec | None:
    """The built-in spec for ``name`` (any case, any alias), or None."""
    canonical = NAMES.get(name.lower())
    return None if canonical is None else CANONICAL[canonical]


def available() -> list[str]:
    """Every name a built-in metric answers to, sorted.

    Names Keras knows beyond these (``binary_io_u``, ``f_beta_score``, the
    focal losses, ...) also resolve, through Keras' own implementation.
    """
    return sorted(NAMES)


def describe() -> dict[str, str]:
    """Canonical name -> one-line description, for listing."""
    return {name: spec.description for name, spec in sorted(CANONICAL.items())}


def is_builtin(spec: MetricSpec) -> bool:
    """Whether ``spec`` computes a registered metric (pure NumPy, safe on any thread),
    under any name or threshold."""
    return any(spec.compute is known.compute for known in CANONICAL.values())
