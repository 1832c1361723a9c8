"""The arg-max of rows (accuracy, F1, precision, recall, confusion) against NumPy's."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score

from fittrack.metrics import evaluate, resolve_metrics
from fittrack.metrics.chunks import SMALL
from fittrack.metrics.curve_points import curves_for
from fittrack.metrics.task import MANY_ROWS, NARROW, argmax_rows

SPECIAL = np.array([0.0, -0.0, 1.0, 1.0, -1.0, np.inf, -np.inf, np.nan, 0.5])


def _rows(kind: str, n: int, c: int, rng: np.random.Generator) -> np.ndarray:
    if kind == "probabilities":
        return rng.dirichlet(np.ones(c), n).astype(np.float32)
    if kind == "ties":           # few distinct values: most rows hold tied maxima
        return rng.integers(0, 3, (n, c)).astype(np.float32) / 2
    if kind == "special":        # NaN, infinities, signed zeros
        return rng.choice(SPECIAL, (n, c))
    if kind == "float16":
        return rng.normal(size=(n, c)).astype(np.float16)
    return rng.integers(-2, 3, (n, c))       # integers


@pytest.mark.parametrize("kind", ["probabilities", "ties", "special", "float16", "integers"])
@pytest.mark.parametrize("c", [2, 3, 10, NARROW, NARROW + 1, 40])
def test_the_arg_max_is_numpys_first_maximum_or_first_nan(kind, c):
    rng = np.random.default_rng(c)
    for rows in (_rows(kind, MANY_ROWS, c, rng), _rows(kind, MANY_ROWS, c, rng)[:, ::-1],
                 _rows(kind, 500, c, rng), np.empty((0, c))):
        got = argmax_rows(rows)
        assert got.dtype.kind in "iu" and got.shape == (len(rows),)
        np.testing.assert_array_equal(got.astype(np.int64), np.argmax(rows, axis=1))


def test_large_inputs_are_taken_by_chunks_with_nan_rows_in_any_chunk():
    rng = np.random.default_rng(0)
    rows = rng.dirichlet(np.ones(10), 3 * SMALL).astype(np.float32)
    rows[rng.integers(0, len(rows), 50)] = np.nan                        # whole rows
    rows[rng.integers(0, len(rows), 50), rng.integers(0, 10, 50)] = np.nan  # one cell
    rows[::7, 3] = rows[::7, 8] = 2.0                                    # ties of the maximum
    np.testing.assert_array_equal(argmax_rows(rows).astype(np.int64), np.argmax(rows, axis=1))


def test_accuracy_f1_and_the_confusion_matrix_on_tied_and_saturated_rows_equal_sklearn():
    rng = np.random.default_rng(1)
    y = rng.integers(0, 5, MANY_ROWS)
    p = np.round(rng.dirichlet(np.ones(5), MANY_ROWS), 1).astype(np.float32)   # many ties
    p[:100] = 0.0                                                          # all tied: class 0
    p[100:200, 4] = 1.0                                                    # saturated
    predicted = np.argmax(p, axis=1)
    assert not np.array_equal(predicted, 4 - np.argmax(p[:, ::-1], axis=1))  # ties matter
    values = evaluate(resolve_metrics(["accuracy", "f1"]), y, p)
    assert values["accuracy"] == pytest.approx(accuracy_score(y, predicted), abs=1e-12)
    assert values["f1"] == pytest.approx(f1_score(y, predicted, average="macro"), abs=1e-12)
    matrix = curves_for(y, p, kinds=["confusion"])["confusion"]["matrix"]
    np.testing.assert_array_equal(matrix, confusion_matrix(y, predicted))
