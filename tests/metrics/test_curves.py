"""The two ways of summing ranking curves agree with each other and with scikit-learn."""

import numpy as np
import pytest
from sklearn.metrics import average_precision_score, roc_auc_score

from fittrack.metrics.curves import ranking_sums, sortable_bits


@pytest.mark.parametrize("decimals", [1, 2, 6])
def test_packed_path_equals_curve_path_and_sklearn_with_many_ties(decimals):
    rng = np.random.default_rng(decimals)
    n, c = 3000, 7
    scores = np.round(rng.random((n, c)), decimals).astype(np.float32).astype(np.float64)
    labels = rng.integers(0, c, n)
    positive = labels[:, None] == np.arange(c)
    packed = ranking_sums(scores, positive, None)               # float32-exact, unweighted
    curves = ranking_sums(scores, positive, np.ones(n))         # per-class weighted curves
    for field in ("n_pos", "n_neg", "area", "ap_sum"):
        np.testing.assert_allclose(getattr(packed, field), getattr(curves, field), rtol=1e-12)
    for k in range(c):
        auc = packed.area[k] / (packed.n_pos[k] * packed.n_neg[k])
        assert auc == pytest.approx(roc_auc_score(positive[:, k], scores[:, k]), abs=1e-12)
        ap = packed.ap_sum[k] / packed.n_pos[k]
        assert ap == pytest.approx(average_precision_score(positive[:, k], scores[:, k]), abs=1e-12)


def test_negative_scores_take_the_packed_path_too():
    rng = np.random.default_rng(0)
    scores = np.round(rng.normal(size=(500, 1)), 1).astype(np.float32).astype(np.float64)
    positive = rng.integers(0, 2, (500, 1)).astype(bool)
    s = ranking_sums(scores, positive, None)
    assert s.area[0] / (s.n_pos[0] * s.n_neg[0]) == pytest.approx(
        roc_auc_score(positive[:, 0], scores[:, 0]), abs=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16])
def test_sortable_bits_sort_like_the_scores_and_refuse_nan(dtype):
    values = np.array([0.5, -2.0, 0.0, -0.0, 3.0, -np.inf, np.inf, 1e-4, -1e-4, 0.25])
    scores = values.astype(np.float32).astype(dtype)      # exact in float32
    bits = sortable_bits(scores)
    assert bits is not None
    ranked = np.sort(bits)
    np.testing.assert_array_equal(np.sort(scores)[np.searchsorted(ranked, bits)], scores)
    assert bits[2] == bits[3]                       # -0.0 ranks with +0.0
    assert sortable_bits(scores[[0, 2, 3, 4, 9]]).dtype == np.uint32   # no negative score
    for at in (0, 5, 9):                            # a NaN anywhere (of either sign)
        with_nan = scores.copy()
        with_nan[at] = np.nan if at != 5 else -np.nan
        assert sortable_bits(with_nan) is None
    assert sortable_bits(np.array([0.1, 0.2])) is None          # not exact in float32
    assert len(sortable_bits(np.array([], dtype))) == 0


def test_sums_of_the_curves_are_adopted_only_where_their_areas_are_exact():
    """The curves' areas are float sums of integers: exact below 2**52 pairs, so larger
    sets (about 1.3e8 balanced rows) keep the AUC's own exact sort."""
    from fittrack.metrics.context import EvalContext
    from fittrack.metrics.curves import RankingSums
    from fittrack.metrics.ranking import EXACT_PAIRS, adopt_class_sums, roc_auc

    y, p = np.array([0, 1, 1, 0]), np.array([0.2, 0.9, 0.4, 0.6], np.float32)
    for n_pos, adopted in ((2.0**26 - 1, True), (2.0**26, False)):
        ctx = EvalContext(y, p)
        fake = RankingSums(np.array([n_pos]), np.array([2.0**26]), np.array([1.0]),
                           np.array([1.0]))
        assert (fake.n_pos * fake.n_neg < EXACT_PAIRS)[0] == adopted
        adopt_class_sums(ctx, fake)
        expected = 1.0 / (n_pos * 2.0**26) if adopted else roc_auc_score(y, p)
        assert roc_auc(ctx) == expected
