"""The O(1) CFAR statistics equal a direct computation over the windows."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from harborwatch.sar.cfar import cfar_statistics, gamma_ratio_threshold


def _direct(x, valid, r, c, ht, hg, hb):
    def box(h):
        r0, r1, c0, c1 = max(r - h, 0), min(r + h + 1, x.shape[0]), max(c - h, 0), min(c + h + 1, x.shape[1])
        m = np.zeros(x.shape, bool)
        m[r0:r1, c0:c1] = True
        return m & valid

    ring = box(hb) & ~box(hg)
    mu, sd = x[ring].mean(), x[ring].std()
    t = x[box(ht)].mean()
    return (t - mu) / sd, t / mu, sd / mu


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), r=st.integers(0, 39), c=st.integers(0, 49), hb=st.integers(4, 12))
def test_statistics_match_direct_computation(seed, r, c, hb):
    rng = np.random.default_rng(seed)
    x = rng.gamma(2.0, 1.0, (40, 50))
    valid = rng.random((40, 50)) > 0.1
    valid[r, c] = True
    z, ratio, cv = cfar_statistics(x, valid, 1, 3, hb, 5.0)
    dz, dr, dcv = _direct(x, valid, r, c, 1, 3, hb)
    assert np.isclose(z[r, c], dz, rtol=1e-4, atol=1e-4)
    assert np.isclose(ratio[r, c], dr, rtol=1e-4) and np.isclose(cv[r, c], dcv, rtol=1e-4)


def test_invalid_pixels_get_no_statistic_and_do_not_count():
    x = np.ones((30, 30))
    x[:, :10] = 1000.0  # "land", masked out
    valid = np.ones((30, 30), bool)
    valid[:, :10] = False
    z, ratio, _ = cfar_statistics(x, valid, 0, 2, 6, 5.0)
    assert (z[:, :10] == 0).all() and np.allclose(ratio[:, 12:], 1.0)


def test_gamma_threshold_falls_with_more_looks_and_pixels():
    a = gamma_ratio_threshold(1e-6, 1.0, 1)
    assert np.isclose(a, -np.log(1e-6), rtol=1e-6)  # exponential clutter: threshold = -ln(pfa)
    assert gamma_ratio_threshold(1e-6, 4.4, 1) < a and gamma_ratio_threshold(1e-6, 4.4, 9) < gamma_ratio_threshold(
        1e-6, 4.4, 1)
