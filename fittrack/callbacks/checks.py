"""Checks run in ``on_train_begin``, so bad data fails before the first batch.

For each dataset and output: the targets' shape must fit the output (same
shape, or integer labels for a multi-column output), integer labels must lie
in ``0..C-1`` (checked on every row), and every metric is run once on the
first batch's predictions (a dry run), so a metric that cannot handle the data
fails now with an error naming it, not at the end of epoch 10.

Example:
    >>> import numpy as np
    >>> check_target_shape(np.zeros(8), np.zeros((4, 3)), "validation_data", None)
    >>> check_target_shape(np.zeros((8, 2)), np.zeros((4, 3)), "validation_data", None)
    Traceback (most recent call last):
    ...
    ValueError: validation_data: targets of shape (8, 2) do not fit the model's output ...
"""

from __future__ import annotations

import warnings

import numpy as np

from fittrack.metrics.context import same_rank
from fittrack.metrics.task import check_sparse_labels, is_sparse


def check_target_shape(y: np.ndarray, y_pred: np.ndarray, role: str, output: str | None) -> None:
    """Raise a ValueError when targets cannot be compared with the output."""
    yt, yp = same_rank(np.asarray(y)[:1], np.asarray(y_pred)[:1])
    fits = yt.shape[1:] == yp.shape[1:] or (
        is_sparse(yt, yp) and yt.shape[1:] in (yp.shape[1:-1], yp.shape[1:-1] + (1,)))
    if fits:
        return
    where = f" {output!r}" if output else ""
    per_row = yp.shape[1:]
    expected = f"(n, {', '.join(map(str, per_row))})"
    if len(per_row) == 1 and per_row[0] > 1:
        expected += f" (one-hot or regression targets) or (n,) (integer classes 0..{per_row[0] - 1})"
    raise ValueError(
        f"{role}: targets of shape {np.shape(y)} do not fit the model's output{where} of "
        f"shape (batch, {', '.join(map(str, per_row))}): expected targets of shape {expected}. "
        "Check that y belongs to this model and output.")


def check_labels(y: np.ndarray, y_pred: np.ndarray, role: str, output: str | None) -> None:
    """Integer labels next to a multi-column output must be classes ``0..C-1``."""
    yt, yp = same_rank(np.asarray(y), np.asarray(y_pred)[:1])
    if yp.shape[-1] > 1 and is_sparse(yt, yp):
        try:
            check_sparse_labels(yt.reshape(-1), yp.shape[-1])
        except ValueError as err:
            where = f" (output {output!r})" if output else ""
            raise ValueError(f"{role}{where}: {err}") from None


def dry_run(plan, targets: list[np.ndarray], predictions, sample_weight, rows: int,
            role: str) -> dict[str, float]:
    """Run every metric once on the first ``rows`` rows; errors name the metric."""
    head = [(k, a[:rows]) for k, a in predictions]
    heads = [np.asarray(y)[:rows] for y in targets]
    w = None if sample_weight is None else sample_weight[:rows]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return plan.evaluate(heads, head, w, prefix="", where=f"{role} (first {rows} rows, "
                             "checked before training)", on_error="raise")
