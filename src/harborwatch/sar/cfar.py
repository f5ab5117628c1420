"""CFAR (constant false alarm rate) statistics over an intensity tile, O(1) per pixel.

Three nested square windows around every pixel, full widths in pixels: the *target* window
(its mean intensity is the test value), the *guard* window (excluded, so a ship does not raise
its own background) and the *background* window (the ring between guard and background gives
the clutter mean and standard deviation). Sums over the windows come from integral images of
intensity, its square and a validity count, so land, no-data and image edges simply drop out of
the background and the cost does not depend on the window sizes.

Outputs per pixel (float32): ``z`` = (target mean - background mean) / background std (the
two-parameter CFAR statistic), ``ratio`` = target mean / background mean (compared with a Gamma
quantile for the Gamma CFAR), and ``cv`` = background std / mean (clutter heterogeneity; high
over land and near quays). Pixels without enough valid background get 0.

The kernel is numba-compiled and parallel over rows; intensities are divided by the tile's
median first so that sums of squares stay well inside float64 precision.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange


@njit(cache=True, parallel=True)
def _integrals(x, valid):
    h, w = x.shape
    s = np.zeros((h + 1, w + 1))
    s2 = np.zeros((h + 1, w + 1))
    n = np.zeros((h + 1, w + 1))
    for r in prange(h):
        a = 0.0
        b = 0.0
        m = 0.0
        for c in range(w):
            if valid[r, c]:
                v = x[r, c]
                a += v
                b += v * v
                m += 1.0
            s[r + 1, c + 1] = a
            s2[r + 1, c + 1] = b
            n[r + 1, c + 1] = m
    for c in prange(1, w + 1):
        for r in range(2, h + 1):
            s[r, c] += s[r - 1, c]
            s2[r, c] += s2[r - 1, c]
            n[r, c] += n[r - 1, c]
    return s, s2, n


@njit(inline="always")
def _box(i, r0, r1, c0, c1):
    return i[r1, c1] - i[r0, c1] - i[r1, c0] + i[r0, c0]


@njit(cache=True, parallel=True)
def cfar_statistics(x, valid, half_target, half_guard, half_background, min_background):
    """``z``, ``ratio`` and ``cv`` (see the module docstring) for every pixel of ``x``.

    ``half_*``: half widths in pixels (a window is 2 * half + 1 wide); ``min_background``: the
    fewest valid background pixels a statistic may rest on."""
    h, w = x.shape
    s, s2, n = _integrals(x, valid)
    z = np.zeros((h, w), np.float32)
    ratio = np.zeros((h, w), np.float32)
    cv = np.zeros((h, w), np.float32)
    for r in prange(h):
        rb0 = max(r - half_background, 0)
        rb1 = min(r + half_background + 1, h)
        rg0 = max(r - half_guard, 0)
        rg1 = min(r + half_guard + 1, h)
        rt0 = max(r - half_target, 0)
        rt1 = min(r + half_target + 1, h)
        for c in range(w):
            if not valid[r, c]:
                continue
            cb0 = max(c - half_background, 0)
            cb1 = min(c + half_background + 1, w)
            cg0 = max(c - half_guard, 0)
            cg1 = min(c + half_guard + 1, w)
            nb = _box(n, rb0, rb1, cb0, cb1) - _box(n, rg0, rg1, cg0, cg1)
            if nb < min_background:
                continue
            sb = _box(s, rb0, rb1, cb0, cb1) - _box(s, rg0, rg1, cg0, cg1)
            s2b = _box(s2, rb0, rb1, cb0, cb1) - _box(s2, rg0, rg1, cg0, cg1)
            mu = sb / nb
            if mu <= 0.0:
                continue
            var = s2b / nb - mu * mu
            sd = np.sqrt(max(var, 1e-12 * mu * mu))
            ct0 = max(c - half_target, 0)
            ct1 = min(c + half_target + 1, w)
            nt = _box(n, rt0, rt1, ct0, ct1)
            t = _box(s, rt0, rt1, ct0, ct1) / nt
            z[r, c] = (t - mu) / sd
            ratio[r, c] = t / mu
            cv[r, c] = sd / mu
    return z, ratio, cv


def normalise(a: np.ndarray, valid: np.ndarray) -> tuple[np.ndarray, float]:
    """``a`` divided by the median of its valid positive pixels (estimated on every 4th row and
    column; any positive scale works, this one keeps sums of squares small) and that median."""
    v = a[::4, ::4][valid[::4, ::4]]
    v = v[v > 0]
    med = float(np.median(v)) if v.size else 1.0
    med = med if med > 0 else 1.0
    return (np.where(valid, a, 0.0) / med).astype(np.float64), med


def gamma_ratio_threshold(pfa: float, looks: float, target_pixels: int) -> float:
    """Ratio to the background mean above which a target window's mean is a detection at false
    alarm rate ``pfa``, for clutter whose intensity is Gamma with ``looks`` equivalent looks
    (the mean of ``target_pixels`` such pixels is Gamma with ``looks * target_pixels`` looks)."""
    from scipy.special import gammaincinv

    shape = looks * max(target_pixels, 1)
    return float(gammaincinv(shape, 1.0 - pfa) / shape)


__all__ = ["cfar_statistics", "gamma_ratio_threshold", "normalise"]
