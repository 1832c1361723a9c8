"""The unmasked timesteps of a sequence output, against NumPy's boolean indexing."""

import numpy as np
import pytest

from fittrack.metrics.rows import unmasked_rows


def _sequences(seed: int, n: int = 37, steps: int = 11, classes: int = 5):
    rng = np.random.default_rng(seed)
    lengths = rng.integers(0, steps + 1, n)
    mask = np.arange(steps) < lengths[:, None]
    mask[rng.random((n, steps)) < 0.1] ^= True            # holes, not only padded tails
    y = rng.integers(0, classes, (n, steps))
    p = rng.random((n, steps, classes)).astype(np.float32)
    return rng, mask, y, p


@pytest.mark.parametrize("seed", range(4))
def test_masked_rows_are_boolean_indexing(seed):
    _, mask, y, p = _sequences(seed)
    yt, yp, w = unmasked_rows(y, p, None, mask)
    assert w is None
    np.testing.assert_array_equal(yt, y[mask])
    np.testing.assert_array_equal(yp, p[mask])
    assert yp.dtype == p.dtype and yt.dtype == y.dtype
    # one-hot (n, T, C) and (n, T, 1) targets, a non-contiguous output
    onehot = np.eye(p.shape[-1])[y]
    strided = np.asfortranarray(p)
    yt, yp, _ = unmasked_rows(onehot, strided, None, mask)
    np.testing.assert_array_equal(yt, onehot[mask])
    np.testing.assert_array_equal(yp, p[mask])
    yt, _, _ = unmasked_rows(y[..., None], p, None, mask)
    np.testing.assert_array_equal(yt, y[..., None][mask])


@pytest.mark.parametrize("seed", range(3))
def test_weights_per_sample_and_per_timestep(seed):
    rng, mask, y, p = _sequences(seed)
    per_sample = rng.random(len(y))
    _, yp, w = unmasked_rows(y, p, per_sample, mask)
    np.testing.assert_array_equal(w, np.broadcast_to(per_sample[:, None], mask.shape)[mask])
    np.testing.assert_array_equal(yp, p[mask])
    per_step = rng.random(mask.shape) * (rng.random(mask.shape) < 0.7)   # zero weights too
    keep = mask & (per_step != 0)
    yt, yp, w = unmasked_rows(y, p, per_step, mask)
    np.testing.assert_array_equal(w, per_step[keep])
    np.testing.assert_array_equal(yp, p[keep])
    np.testing.assert_array_equal(yt, y[keep])
    # per-timestep weights and no mask: the zero weights alone are left out
    yt, yp, w = unmasked_rows(y, p, per_step, None)
    np.testing.assert_array_equal(yp, p[per_step != 0])
    np.testing.assert_array_equal(w, per_step[per_step != 0])


def test_no_mask_and_one_weight_per_sample_is_unchanged():
    _, _, y, p = _sequences(0)
    w = np.ones(len(y))
    yt, yp, ww = unmasked_rows(y, p, w, None)
    assert yt is y and yp is p and ww is w


def test_shapes_that_do_not_match_are_refused():
    _, mask, y, p = _sequences(1)
    with pytest.raises(ValueError, match="leading axes"):
        unmasked_rows(y, p[:, :-1], None, mask)
    with pytest.raises(ValueError, match="targets of shape"):
        unmasked_rows(y[:, :-1], p, None, mask)
    with pytest.raises(ValueError, match="sample_weight of shape"):
        unmasked_rows(y, p, np.ones((len(y), 3)), mask)
