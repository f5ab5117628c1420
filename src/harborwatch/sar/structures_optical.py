"""New structures in a stack of optical images (RGB or more bands): places whose colour changed
once and stayed changed, dated, as polygons.

Radar finds new structures as persistent brightening (:mod:`harborwatch.sar.structures`). In an
optical image a new quay, warehouse roof or paved yard may be brighter or darker than what was
there, so the test is of a step in colour either way:

1. **Scenes on one scale.** Each band of each image is divided by its median over the image
   (sun, haze and the processing's stretch differ from date to date), after ``multilook`` x
   ``multilook`` block averaging.
2. **Clouds and their shadows** are single-date spikes: a value that jumps away from both the
   image before and the image after it (which agree) by more than ``outlier`` robust spreads of
   the pixel's image-to-image steps is dropped, in every band, as are pixels without data (0 or
   NaN in every band). A lasting change is one step, not a spike, and stays.
3. **One step per pixel.** For every split ``j`` (``min_before`` images before, ``min_after``
   after) the statistic is ``T2 = sum over bands of (mean after - mean before)^2 / (var before /
   n before + var after / n after)``, from running sums over time; the split with the largest
   ``T2`` is the pixel's change. ``T2`` is compared with the chi-square distribution with as many
   degrees of freedom as bands (``alpha``; many pixels are tested, so it is small).
4. **A structure, not a season**: the change is at least ``min_change`` (the largest relative
   change of a band's mean), and it persists: at least ``min_persistence`` of the images after the
   split are closer to the mean after than to the mean before, and as many before it are closer
   to the mean before; and neither side holds a second significant step of that size (a field
   that greens in spring and browns in autumn, a heap that came and went). So a structure built
   on a field whose seasons show before it is not found: the price of not reporting every field.

Pixels that pass are grouped into 8-connected components of at least ``min_area_m2``, each a
polygon with its first-seen date (the median split of its pixels: the image of that date is the
first to show it), area and change, as the radar method writes them.
"""

from __future__ import annotations

import warnings
from dataclasses import asdict, dataclass
from datetime import datetime

import numpy as np

from harborwatch.core.errors import DataError
from harborwatch.core.params import Params
from harborwatch.sar.structures import features, multilook


@dataclass(frozen=True)
class OpticalStructures(Params):
    """Attributes:
        multilook: average blocks of this many pixels a side first. 2.
        alpha: significance of a pixel's step (chi-square, one degree of freedom per band). 1e-4.
        min_change: least relative change of a band's mean (0.25: a quarter). 0.25.
        min_before, min_after: images needed before and after the change. 3, 3.
        min_persistence: share of the images on each side closer to their own side's mean. 0.8.
        outlier: single-date spikes of this many robust spreads of a pixel's image-to-image
            steps are dropped (clouds, their shadows). 4.
        min_area_m2: smaller components are dropped (half a hectare). 5,000 m2.
    """

    section = "structures_optical"

    multilook: int = 2
    alpha: float = 1e-4
    min_change: float = 0.25
    min_before: int = 3
    min_after: int = 3
    min_persistence: float = 0.8
    outlier: float = 4.0
    min_area_m2: float = 5_000.0

    def validate(self) -> None:
        self.at_least("multilook", 1)
        self.fraction("alpha")
        self.positive("min_change", "outlier")
        self.at_least("min_before", 2)
        self.at_least("min_after", 2)
        self.non_negative("min_area_m2")
        if not 0 <= self.min_persistence <= 1:
            self._fail("min_persistence", "between 0 and 1")


def optical_stack(images: list) -> tuple[np.ndarray, list[datetime]]:
    """(images, bands, rows, cols) float32 of co-registered optical images sorted by time (``images``:
    :class:`~harborwatch.sar.optical.OpticalImage`), with 0 as no data turned into NaN."""
    if len(images) < 3:
        raise DataError(f"a stack needs at least 3 images, got {len(images)}")
    images = sorted(images, key=lambda i: (i.scene.time is None, i.scene.time))
    missing = [i.scene.name for i in images if i.scene.time is None]
    if missing:
        raise DataError(f"{missing[0]}: the image has no acquisition time",
                        hint="name images with their date (e.g. S2A_MSIL2A_20230510T...) or tag TIFFTAG_DATETIME")
    shape = images[0].bands.shape
    for i in images[1:]:
        if i.bands.shape != shape:
            raise DataError(f"{i.scene.name}: {i.bands.shape} (bands, rows, cols), but {images[0].scene.name} has "
                            f"{shape}: the images of a stack must share one grid and one set of bands")
    x = np.stack([i.bands for i in images]).astype(np.float32)
    nodata = ~np.isfinite(x).all(axis=1) | (np.nan_to_num(x) == 0).all(axis=1)
    x[np.repeat(nodata[:, None], x.shape[1], axis=1)] = np.nan
    return x, [i.scene.time for i in images]


def _scaled(x: np.ndarray, m: int) -> np.ndarray:
    """Each image's bands over their medians, block-averaged (NaN where a block lacks data)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        med = np.nanmedian(x.reshape(x.shape[0], x.shape[1], -1), axis=2)
    x = x / np.where(med > 0, med, np.nan)[:, :, None, None]
    return multilook(x, m)  # a block with a NaN is NaN: it is dropped like a cloud


def _masked(x: np.ndarray, outlier: float) -> np.ndarray:
    """``x`` (k, b, r, c) without single-date spikes (clouds, their shadows): a value that differs
    from the images before and after it in the same direction by more than ``outlier`` robust
    spreads of the pixel's steps from image to image (1.4826 x their median absolute value),
    while those two agree with each other, is set to NaN in every band. A lasting change is one
    step, not a spike, so it stays; the first and last images are judged against the two next
    to them."""
    k = x.shape[0]
    if k < 3:
        return x
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        spread = np.maximum(1.4826 * np.nanmedian(np.abs(np.diff(x, axis=0)), axis=0), 1e-3)
    lim = outlier * spread
    spike = np.zeros((k, *x.shape[2:]), bool)
    for i in range(k):
        a, b = (i - 1, i + 1) if 0 < i < k - 1 else ((1, 2) if i == 0 else (k - 3, k - 2))
        d1, d2 = x[i] - x[a], x[i] - x[b]
        with np.errstate(invalid="ignore"):
            one = (np.sign(d1) == np.sign(d2)) & (np.minimum(np.abs(d1), np.abs(d2)) > lim) & (
                np.abs(x[a] - x[b]) < lim)
        spike[i] = one.any(axis=0)
    return np.where(spike[:, None], np.nan, x)


def step(x: np.ndarray, p: OpticalStructures) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per pixel of a scaled, masked stack (k, b, r, c): the best split index (the first image
    after the step), its T2 and the largest relative change of a band's mean at it."""
    k = x.shape[0]
    ok = np.isfinite(x[:, 0])  # (k, r, c): an image counts for a pixel when all bands have data
    v = np.where(ok[:, None], x, 0.0).astype(np.float64)
    n = np.cumsum(ok, axis=0)  # images up to and including each index
    s = np.cumsum(v, axis=0)
    ss = np.cumsum(v * v, axis=0)
    best = np.zeros(x.shape[2:]) - 1.0
    split = np.full(x.shape[2:], -1)
    change = np.zeros(x.shape[2:])
    for j in range(1, k):
        nb, na = n[j - 1], n[-1] - n[j - 1]
        enough = (nb >= p.min_before) & (na >= p.min_after)
        if not enough.any():
            continue
        with np.errstate(invalid="ignore", divide="ignore"):
            mb, ma = s[j - 1] / nb[None], (s[-1] - s[j - 1]) / na[None]  # (bands, rows, cols)
            vb = (ss[j - 1] - nb[None] * mb ** 2) / np.maximum(nb - 1, 1)[None]
            va = (ss[-1] - ss[j - 1] - na[None] * ma ** 2) / np.maximum(na - 1, 1)[None]
            se = np.maximum(vb, 1e-6) / nb[None] + np.maximum(va, 1e-6) / na[None]
            t2 = np.where(enough, ((ma - mb) ** 2 / se).sum(axis=0), -1.0)
            rel = np.nanmax(np.abs(ma - mb) / np.maximum(np.abs(mb), 1e-6), axis=0)
        better = t2 > best
        best = np.where(better, t2, best)
        split = np.where(better, j, split)
        change = np.where(better, rel, change)
    return split, best, change


def _persistent(x: np.ndarray, split: np.ndarray) -> np.ndarray:
    """Per pixel: the smaller of the shares of images before and after the split that are closer to
    their own side's mean (over the bands) than to the other's."""
    k = x.shape[0]
    idx = np.arange(k).reshape(-1, 1, 1)
    after = idx >= split[None]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        mb = np.nanmean(np.where(~after[:, None], x, np.nan), axis=0)
        ma = np.nanmean(np.where(after[:, None], x, np.nan), axis=0)
        closer_a = np.nansum((x - ma) ** 2, axis=1) < np.nansum((x - mb) ** 2, axis=1)
    ok = np.isfinite(x[:, 0])
    share_a = (closer_a & after & ok).sum(axis=0) / np.maximum((after & ok).sum(axis=0), 1)
    share_b = (~closer_a & ~after & ok).sum(axis=0) / np.maximum((~after & ok).sum(axis=0), 1)
    return np.minimum(share_a, share_b)


def _another_step(x: np.ndarray, split: np.ndarray, candidates: np.ndarray, limit: float,
                  p: OpticalStructures) -> np.ndarray:
    """Candidates with a second significant step before or after their split: a field that greens
    in spring and browns in autumn, a heap that came and went before the change. A new structure
    stands on ground that did not change before it and does not change after it."""
    out = np.zeros(split.shape, bool)
    for j in np.unique(split[candidates]):
        rr, cc = np.nonzero(candidates & (split == j))
        for seg in (x[:j, :, rr, cc], x[j:, :, rr, cc]):
            if len(seg) < p.min_before + p.min_after:
                continue
            _, t2, change = step(seg[:, :, :, None], p)
            out[rr, cc] |= (t2[:, 0] >= limit) & (change[:, 0] >= p.min_change)
    return out


def find_structures_optical(images: list, p: OpticalStructures | None = None) -> dict:
    """New structures in a stack of co-registered optical images, as a GeoJSON FeatureCollection
    (as :func:`harborwatch.sar.structures.find_structures`, with ``change`` in place of
    ``brightening_db``: the largest relative change of a band's mean)."""
    from scipy.stats import chi2

    p = p or OpticalStructures()
    x, times = optical_stack(images)
    x = _masked(_scaled(x, p.multilook), p.outlier)
    split, t2, change = step(x, p)
    limit = chi2.isf(p.alpha, x.shape[1])
    found = ((split > 0) & (t2 >= limit) & (change >= p.min_change)
             & (_persistent(x, np.maximum(split, 0)) >= p.min_persistence))
    found &= ~_another_step(x, split, found, limit, p)
    ref = sorted(images, key=lambda i: i.scene.time)[0].scene

    def props(rr: np.ndarray, cc: np.ndarray, j: int) -> dict:
        return {"change": round(float(np.median(change[rr, cc])), 3)}

    return features(found, np.where(found, split, -1), times, ref, p.multilook, p.min_area_m2, props,
                    {"method": "largest step in colour per pixel (two-sample T2 over time), persistent",
                     "parameters": asdict(p)})


__all__ = ["OpticalStructures", "find_structures_optical", "optical_stack", "step"]
