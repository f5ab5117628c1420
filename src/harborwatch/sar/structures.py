"""New structures in a stack of radar scenes: persistent brightening, dated, as polygons.

The test is the sequential omnibus test of Conradsen, Nielsen and Skriver (*Determining the
points of change in time series of polarimetric SAR data*, IEEE TGRS 54(5), 2016) for
single-polarisation intensities. With ``k`` co-registered scenes of ``L`` looks, pixel values
``X_1..X_k`` (Gamma distributed with means ``s_1..s_k`` under speckle) and ``S_j = X_1 + ... + X_j``,
the likelihood-ratio statistic for "``s_j`` equals the common mean of ``s_1..s_{j-1}``" is

    ln R_j = L (j ln j - (j-1) ln(j-1) + (j-1) ln S_{j-1} + ln X_j - j ln S_j)

and ``-2 rho_j ln R_j`` is asymptotically chi-square with 1 degree of freedom, with
``rho_j = 1 - (1 + 1 / (j (j-1))) / (6 L)``. Scanning ``j = 2..k`` the first ``j`` whose p-value
falls below ``alpha`` is the pixel's change time (Conradsen's procedure; the scan restarts there
to look for a further change).

A **new structure** is a pixel whose first change is a brightening (the mean after it at least
``min_ratio_db`` above the mean before) that persists (``min_persistence`` of the scenes after it
stay at least half that above the mean before) and does not change back (no later significant
change to darker), with at least ``min_before`` scenes before and ``min_after`` after. Such pixels are
grouped into 8-connected components of at least ``min_area_m2`` (pixels without data, 0, in any
scene are left out); each becomes a polygon with its
first-seen date (the median change time of its pixels: a scene's date, so the true date lies
between the scene before and that one), area and brightening. Scenes must share one grid
(``Scene.read`` in intensity); ``multilook`` averages blocks of pixels first (more looks,
coarser pixels).
"""

from __future__ import annotations

import warnings
from dataclasses import asdict, dataclass
from datetime import datetime

import numpy as np

from harborwatch.core.errors import DataError
from harborwatch.core.params import Params


@dataclass(frozen=True)
class Structures(Params):
    """Attributes:
        looks: equivalent number of looks of one scene (4.4: Sentinel-1 IW GRD high resolution).
        multilook: average blocks of this many pixels a side first (looks grow by its square). 2.
        alpha: significance of each test of the scan. 1e-4 (many pixels are tested).
        min_ratio_db: a new structure brightens by at least this much. 3 dB.
        min_before, min_after: scenes needed before and after the change. 2, 3.
        min_persistence: share of the scenes after the change that stay at least half the
            brightening (in dB) above the mean before. 0.8.
        min_area_m2: smaller components are dropped (half a hectare). 5,000 m2.
        normalize: divide each scene by its median first (display images whose grey scale was
            stretched scene by scene; calibrated scenes need not). False.
    """

    section = "structures"

    looks: float = 4.4
    multilook: int = 2
    alpha: float = 1e-4
    min_ratio_db: float = 3.0
    min_before: int = 2
    min_after: int = 3
    min_persistence: float = 0.8
    min_area_m2: float = 5_000.0
    normalize: bool = False

    def validate(self) -> None:
        self.positive("looks", "min_ratio_db")
        self.at_least("multilook", 1)
        self.fraction("alpha")
        self.at_least("min_before", 1)
        self.at_least("min_after", 1)
        self.non_negative("min_area_m2")
        if not 0 <= self.min_persistence <= 1:
            self._fail("min_persistence", "between 0 and 1")


def multilook(a: np.ndarray, m: int) -> np.ndarray:
    """Mean of ``m`` x ``m`` blocks over the last two axes (edges that do not fill a block dropped)."""
    if m == 1:
        return a
    r, c = a.shape[-2] // m * m, a.shape[-1] // m * m
    b = a[..., :r, :c]
    return b.reshape(*b.shape[:-2], r // m, m, c // m, m).mean(axis=(-3, -1))


def sequential_p(x: np.ndarray, looks: float) -> np.ndarray:
    """P-values of the tests R_j, j = 2..k, for a stack ``x`` (k, ...): shape (k - 1, ...)."""
    from scipy.stats import chi2

    x = np.maximum(np.asarray(x, np.float64), 1e-30)
    s = np.cumsum(x, axis=0)
    k = x.shape[0]
    j = np.arange(2, k + 1, dtype=np.float64).reshape(-1, *([1] * (x.ndim - 1)))
    jm = j - 1
    ln_r = looks * (j * np.log(j) - jm * np.log(jm) + jm * np.log(s[:-1]) + np.log(x[1:]) - j * np.log(s[1:]))
    rho = 1 - (1 + 1 / (j * jm)) / (6 * looks)
    stat = np.maximum(-2 * rho * ln_r, 0.0)
    return chi2.sf(stat, 1)


def first_changes(x: np.ndarray, looks: float, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """Per pixel of the stack ``x`` (k, rows, cols): the index of the first changed scene (-1:
    none) and of the next change after it (-1: none), by the restarted sequential scan."""
    k = x.shape[0]
    p = sequential_p(x, looks)
    hit = p < alpha
    first = np.where(hit.any(axis=0), hit.argmax(axis=0) + 1, -1)
    second = np.full(first.shape, -1)
    for j0 in np.unique(first[first > 0]):
        sel = first == j0
        if k - j0 < 2:
            continue
        p2 = sequential_p(x[j0:, sel], looks)
        h2 = p2 < alpha
        second[sel] = np.where(h2.any(axis=0), j0 + h2.argmax(axis=0) + 1, -1)
    return first, second


def new_structure_pixels(x: np.ndarray, p: Structures) -> tuple[np.ndarray, np.ndarray]:
    """Pixels of new structures (bool, rows x cols) and their change index (-1 elsewhere)."""
    k = x.shape[0]
    first, second = first_changes(x, p.looks * p.multilook ** 2, p.alpha)
    idx = np.arange(k).reshape(-1, 1, 1)
    j = first[None, :, :]
    before = np.where(idx < j, x, np.nan)
    after = np.where((idx >= j) & ((second[None] < 0) | (idx < second[None])), x, np.nan)
    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # pixels without a change: empty means
        ratio_db = 10 * np.log10(np.nanmean(after, axis=0) / np.nanmean(before, axis=0))
        # how many scenes after the change stay at least half the brightening above the mean before
        pre = np.nanmean(before, axis=0)
        above = np.where(idx >= j, x >= pre * 10 ** (p.min_ratio_db / 20), np.nan)
        persist = np.nansum(above, axis=0) / np.maximum(k - first, 1)
    ok = ((first >= p.min_before) & (k - first >= p.min_after) & (ratio_db >= p.min_ratio_db)
          & (persist >= p.min_persistence) & ((second < 0) | _stays_bright(x, first, second)))
    return ok, np.where(ok, first, -1)


def _stays_bright(x: np.ndarray, first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """A later change that brightens further keeps the structure; one back down does not."""
    k = x.shape[0]
    idx = np.arange(k).reshape(-1, 1, 1)
    mid = np.where((idx >= first[None]) & (idx < second[None]), x, np.nan)
    late = np.where(idx >= second[None], x, np.nan)
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmean(late, axis=0) >= np.nanmean(mid, axis=0)


def stack(scenes: list) -> tuple[np.ndarray, list[datetime]]:
    """The intensities of co-registered scenes (sorted by time) as one array (k, rows, cols)."""
    if len(scenes) < 3:
        raise DataError(f"a stack needs at least 3 scenes, got {len(scenes)}")
    scenes = sorted(scenes, key=lambda s: (s.time is None, s.time))
    if any(s.time is None for s in scenes):
        raise DataError(f"{next(s.name for s in scenes if s.time is None)}: the scene has no acquisition time",
                        hint="name scenes with their date (e.g. S1A_..._20230510T...) or tag TIFFTAG_DATETIME")
    shape = scenes[0].shape
    for s in scenes[1:]:
        if s.shape != shape:
            raise DataError(f"{s.name}: {s.shape[0]} x {s.shape[1]} pixels, but {scenes[0].name} has "
                            f"{shape[0]} x {shape[1]}: the scenes of a stack must share one grid")
    return np.stack([s.read(0, shape[0], 0, shape[1]) for s in scenes]), [s.time for s in scenes]


def find_structures(scenes: list, p: Structures | None = None) -> dict:
    """New structures in a stack of co-registered scenes, as a GeoJSON FeatureCollection
    (lon / lat polygons when the scenes are georeferenced, else pixel coordinates) with
    ``first_seen`` (date), ``last_before`` (the scene before it), ``area_m2``, ``pixels``,
    ``brightening_db`` and the number of scenes."""
    p = p or Structures()
    x, times = stack(scenes)
    # a pixel without data (0: outside a scene's swath) in any scene cannot be tested
    valid = multilook(np.asarray((x > 0).all(axis=0), np.float32), p.multilook) == 1.0
    if p.normalize:
        x = x / np.maximum(np.median(x.reshape(len(x), -1), axis=1), 1e-30)[:, None, None]
    x = multilook(x, p.multilook)
    ok, change = new_structure_pixels(x, p)
    ok &= valid
    ref = sorted(scenes, key=lambda s: s.time)[0]

    def props(rr: np.ndarray, cc: np.ndarray, j: int) -> dict:
        before, after = x[:j, rr, cc].mean(), x[j:, rr, cc].mean()
        return {"brightening_db": round(float(10 * np.log10(after / before)), 2)}

    return features(ok, change, times, ref, p.multilook, p.min_area_m2, props,
                    {"method": "sequential omnibus test (Conradsen et al. 2016), persistent brightening",
                     "parameters": asdict(p)})


def features(ok: np.ndarray, change: np.ndarray, times: list[datetime], ref, m: int, min_area_m2: float,
             props, properties: dict) -> dict:
    """The GeoJSON FeatureCollection of the 8-connected components of ``ok`` (on the grid of
    ``m`` x ``m`` blocks of ``ref``'s pixels) of at least ``min_area_m2``: each with its first-seen
    date (the median of ``change``, an index into ``times``), area, pixel count and what
    ``props(rows, cols, index)`` adds; ``properties`` (method, parameters) and the span go to the
    collection."""
    from scipy import ndimage

    px_m = (ref.pixel_m or 0.0) * m
    labels, n = ndimage.label(ok, structure=np.ones((3, 3)))
    feats: list[dict] = []
    for k in range(1, n + 1):
        rr, cc = np.nonzero(labels == k)
        area = len(rr) * px_m ** 2 if px_m else None
        if area is not None and area < min_area_m2:
            continue
        j = int(np.median(change[rr, cc]))
        feats.append({"type": "Feature", "geometry": _polygon(rr, cc, ref, m),
                      "properties": {"id": f"structure-{len(feats) + 1}", "first_seen": times[j].date().isoformat(),
                                     "last_before": times[j - 1].date().isoformat(),
                                     "area_m2": None if area is None else round(area, 1), "pixels": int(len(rr)),
                                     **props(rr, cc, j), "scenes": len(times)}})
    return {"type": "FeatureCollection", "features": feats,
            "properties": {**properties, "first_scene": times[0].isoformat(), "last_scene": times[-1].isoformat()}}


def _polygon(rr: np.ndarray, cc: np.ndarray, ref, m: int) -> dict:
    """The outline of pixels (rows, cols on the multilooked grid) in lon / lat (or pixels)."""
    import shapely
    from shapely.geometry import box, mapping

    shape = shapely.union_all([box(c * m, r * m, (c + 1) * m, (r + 1) * m) for r, c in zip(rr, cc, strict=True)])
    shape = shapely.simplify(shape, 0.0)
    if not ref.georeferenced:
        return mapping(shape)

    def to_lonlat(coords: np.ndarray) -> np.ndarray:
        lon, lat = ref.lonlat(coords[:, 1], coords[:, 0])
        return np.column_stack([np.round(lon, 7), np.round(lat, 7)])

    return mapping(shapely.transform(shape, to_lonlat))


__all__ = ["Structures", "features", "find_structures", "first_changes", "multilook", "new_structure_pixels",
           "sequential_p", "stack"]
