"""Rail cars on the sidings of a rail-crossing site, counted from a high-resolution optical image
(RGB or more bands, about 0.3-1 m) along the track polylines.

In an optical image a freight car is not simply bright: a black tank car is darker than the
ballast, a white reefer brighter, a brown box car about as bright but of another colour. What
marks a car is that the track bed's colour is gone. The counter samples every band along each
track (bilinear, one sample every ``step_m``) and finds the *ballast colour* as the mode of all
the tracks' samples together: the densest cell of a colour histogram (cells ``cell_dn`` wide),
refined to the median of its samples, with a robust spread per band (1.4826 x MAD). A yard is seldom
more than half full, and cars come in many colours, so the bare bed is the most common colour.
A sample is *occupied* when its colour lies more than ``threshold`` spreads from the ballast's
(the norm over the bands).

**Shadows.** Cars are about 4 m tall; at a low sun their shadows fall across the next siding,
darkening its bed much as a black car would. With the sun's azimuth and elevation (product
metadata: the GeoTIFF tags ``SUN_AZIMUTH`` / ``SUN_ELEVATION`` in degrees, or given) the counter
knows which tracks lie in the shadow of which, and how far the shadows reach: a sample on a
track that a car on a track toward the sun can shade (its shadow, ``car_height_m /
tan(elevation)`` long, reaches within a sample spacing of this track's centre line, and the
neighbour is occupied at the same place along the tracks, shifted by the shadow's along-track
component) counts as occupied only if its colour is not a darkened ballast colour (each band
``shadow_low``-``shadow_high`` times the ballast's, in the same proportions within ``threshold``
spreads). Tracks are judged in order from the sun's side, so only cars cast shadows. Without
sun angles no sample is taken for a shadow.

Runs of occupied samples are trains, as in the radar counter (:mod:`harborwatch.sar.railcars`):
gaps up to ``max_gap_m`` (couplings) closed, runs shorter than ``min_run_m`` dropped, each run
``round(length / car_m)`` cars, at least one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from harborwatch.core.errors import DataError
from harborwatch.core.params import Params
from harborwatch.sar.optical import OpticalImage, open_optical
from harborwatch.sar.railcars import _bilinear, _line_pixels, counts_row, runs
from harborwatch.sar.scene import Scene


@dataclass(frozen=True)
class OpticalRailCars(Params):
    """Attributes:
        car_m: length a car takes on the track (a 14 m car and its coupling). 15 m.
        threshold: occupied = colour more than this many robust spreads from the ballast's. 6.
        cell_dn: width of the colour histogram's cells (image units) for the ballast's mode. 16.
        max_gap_m: gaps shorter than this inside a train are closed (couplings). 3 m.
        min_run_m: shorter runs are noise, not cars. 6 m.
        step_m: sampling interval along the track; default the image's pixel size.
        car_height_m, car_width_m: of a car, for the reach of its shadow. 4.2 m, 3 m.
        shadow_low, shadow_high: a shadow darkens each band to this share of the ballast's. 0.2, 0.8.
        sun_azimuth_deg, sun_elevation_deg: the sun's position (default: the image's tags).
    """

    section = "railcars_optical"

    car_m: float = 15.0
    threshold: float = 6.0
    cell_dn: float = 16.0
    max_gap_m: float = 3.0
    min_run_m: float = 6.0
    step_m: float | None = None
    car_height_m: float = 4.2
    car_width_m: float = 3.0
    shadow_low: float = 0.2
    shadow_high: float = 0.8
    sun_azimuth_deg: float | None = None
    sun_elevation_deg: float | None = None

    def validate(self) -> None:
        self.positive("car_m", "threshold", "cell_dn", "car_height_m", "car_width_m")
        self.non_negative("max_gap_m", "min_run_m")
        self.fraction("shadow_low", "shadow_high")
        self.at_least("shadow_high", self.shadow_low, "at least shadow_low")
        if self.step_m is not None:
            self.positive("step_m")
        if self.sun_elevation_deg is not None and not 0 < self.sun_elevation_deg <= 90:
            self._fail("sun_elevation_deg", "in (0, 90]")


def optical_count_row(path: Path | str, tracks: list[np.ndarray], site_id: str, source: str,
                      p: OpticalRailCars | None = None) -> tuple[dict, dict]:
    """The count of an optical image as a row of the counts layout (as
    :func:`harborwatch.sar.railcars.count_row`), and :func:`count_cars_optical`'s result."""
    img = open_optical(path)
    c = count_cars_optical(img, tracks, p)
    return counts_row(img.scene, c["cars"], site_id, source), c


def ballast_colour(samples: np.ndarray, cell: float) -> tuple[np.ndarray, np.ndarray]:
    """(colour, spread) per band of the most common colour of ``samples`` (n, bands): the median
    of the samples of the densest histogram cell and its neighbours, and their 1.4826 x MAD."""
    ok = samples[np.isfinite(samples).all(axis=1)]
    if len(ok) == 0:
        raise DataError("no image samples on the tracks (do the tracks lie inside the image?)")
    cells = np.floor(ok / cell).astype(np.int64)
    keys, counts = np.unique(cells, axis=0, return_counts=True)
    best = keys[int(np.argmax(counts))]
    near = (np.abs(cells - best) <= 1).all(axis=1)
    colour = np.median(ok[near], axis=0)
    spread = 1.4826 * np.median(np.abs(ok[near] - colour), axis=0)
    return colour, np.maximum(spread, 1.0)


def _sun(img: OpticalImage, p: OpticalRailCars) -> tuple[float | None, float | None]:
    az = p.sun_azimuth_deg if p.sun_azimuth_deg is not None else img.sun_azimuth_deg
    el = p.sun_elevation_deg if p.sun_elevation_deg is not None else img.sun_elevation_deg
    return az, el


def _shading(frames: np.ndarray, az: float | None, el: float | None, p: OpticalRailCars,
             step: float) -> list[tuple[int, float]]:
    """For each track, (the nearest track whose cars' shadows reach within a sample spacing of its
    centre line: a sample there mixes in the shadow's pixels, the shift in metres along the tracks
    from a car to its shadow there), or (-1, 0) when none does. ``frames``: each track's (mid x,
    mid y, unit along x, unit along y) in projected metres."""
    out = [(-1, 0.0)] * len(frames)
    if az is None or el is None:
        return out
    length = p.car_height_m / math.tan(math.radians(el))
    # the shadow points away from the sun (azimuth clockwise from north; x east, y north)
    sx, sy = -math.sin(math.radians(az)) * length, -math.cos(math.radians(az)) * length
    for i, (xi, yi, ux, uy) in enumerate(frames):
        s_across, s_along = -uy * sx + ux * sy, ux * sx + uy * sy
        best: tuple[int, float] | None = None
        for j, (xj, yj, _, _) in enumerate(frames):
            across = -uy * (xj - xi) + ux * (yj - yi)  # track j, seen from track i
            toward = across != 0 and np.sign(s_across) == -np.sign(across)
            if j == i or not toward or abs(s_across) + p.car_width_m / 2 + step < abs(across):
                continue
            if best is None or abs(across) < abs(best[1]):
                best = (j, across)
        if best is not None:
            out[i] = (best[0], s_along * min(1.0, abs(best[1]) / max(abs(s_across), 1e-9)))
    return out


def count_cars_optical(img: OpticalImage, tracks: list[np.ndarray], p: OpticalRailCars | None = None) -> dict:
    """Cars on each track (a list of (n, 2) lon / lat polylines) of a georeferenced optical image:
    ``{"cars": total, "tracks": [{"cars", "trains", "length_m", "shaded_m"}...], "ballast": [...]}``."""
    p = p or OpticalRailCars()
    scene = img.scene
    step = p.step_m or scene.pixel_m
    if not step:
        raise DataError(f"{scene.name}: the image has no pixel size", hint="give step_m")
    samples, geo = [], []
    for line in tracks:
        rows, cols = _line_pixels(scene, np.asarray(line, np.float64), step)
        inside = (rows >= 0) & (cols >= 0) & (rows <= scene.shape[0] - 1) & (cols <= scene.shape[1] - 1)
        v = np.stack([_bilinear(b, rows, cols) for b in img.bands], axis=1)
        samples.append(np.where(inside[:, None], v, np.nan))
        geo.append(_track_frame(scene, rows, cols))
    colour, spread = ballast_colour(np.concatenate(samples), p.cell_dn)
    away = [np.linalg.norm((v - colour) / spread, axis=1) > p.threshold for v in samples]
    az, el = _sun(img, p)
    shading = _shading(np.array([g[:4] for g in geo]), az, el, p, step)
    occ: dict[int, np.ndarray] = {}
    shaded: dict[int, np.ndarray] = {}
    for _ in range(len(samples)):  # a track after the track that shades it (shadows do not cast shadows)
        for k, v in enumerate(samples):
            j, along = shading[k]
            if k in occ or (j >= 0 and j not in occ):
                continue
            occ[k], shaded[k] = _occupied(v, away[k], occ.get(j), along + geo[j][4] - geo[k][4] if j >= 0 else 0.0,
                                          step, colour, spread, p)
    for k, v in enumerate(samples):  # tracks shading each other in a ring (sidings far from parallel): no rule
        if k not in occ:
            occ[k], shaded[k] = _occupied(v, away[k], None, 0.0, step, colour, spread, p)
    out = []
    for k, v in enumerate(samples):
        trains = runs(occ[k], int(round(p.max_gap_m / step)), max(1, int(round(p.min_run_m / step))))
        cars = sum(max(1, round((b - a) * step / p.car_m)) for a, b in trains)
        out.append({"cars": int(cars), "trains": len(trains), "length_m": round(len(v) * step, 1),
                    "shaded_m": round(float(shaded[k].sum()) * step, 1)})
    return {"cars": int(sum(t["cars"] for t in out)), "tracks": out,
            "ballast": [round(float(c), 1) for c in colour], "sun": [az, el]}


def _occupied(v: np.ndarray, away: np.ndarray, shader: np.ndarray | None, shift_m: float, step: float,
              colour: np.ndarray, spread: np.ndarray, p: OpticalRailCars) -> tuple[np.ndarray, np.ndarray]:
    """(occupied, shaded) samples of a track: away from the ballast's colour, unless a car on the
    shading track (``shader``: its occupied samples, ``shift_m`` from this track's first sample to
    the shade of that track's first) shades the sample and its colour is darkened ballast."""
    occ = np.nan_to_num(away).astype(bool)
    shaded = np.zeros(len(v), bool)
    if shader is not None:
        src = np.arange(len(v)) - int(round(shift_m / step))
        valid = (src >= 0) & (src < len(shader))
        shaded[valid] = shader[src[valid]]
        occ &= ~(shaded & _darkened_ballast(v, colour, spread, p))
    return occ, shaded


def _track_frame(scene: Scene, rows: np.ndarray, cols: np.ndarray) -> tuple[float, ...]:
    """(mid x, mid y, unit along x, unit along y, along position of the first sample) of a track in
    the image's projected metres (x east, y north)."""
    g = scene.geotransform
    assert g is not None  # _line_pixels has checked
    x = g[0] + (cols + 0.5) * g[1] + (rows + 0.5) * g[2]
    y = g[3] + (cols + 0.5) * g[4] + (rows + 0.5) * g[5]
    d = np.array([x[-1] - x[0], y[-1] - y[0]])
    u = d / max(float(np.hypot(*d)), 1e-9)
    mid = len(x) // 2
    return (float(x[mid]), float(y[mid]), float(u[0]), float(u[1]), float(u[0] * x[0] + u[1] * y[0]))


def _darkened_ballast(v: np.ndarray, colour: np.ndarray, spread: np.ndarray, p: OpticalRailCars) -> np.ndarray:
    """Samples whose colour is the ballast's darkened by one factor in [shadow_low, shadow_high]."""
    ratio = (v @ colour) / float(colour @ colour)
    with np.errstate(invalid="ignore"):
        f = np.clip(ratio, p.shadow_low, p.shadow_high)[:, None]
        resid = np.linalg.norm((v - f * colour) / (f * spread), axis=1)
        return (ratio >= p.shadow_low) & (ratio <= p.shadow_high) & (resid <= p.threshold)


__all__ = ["OpticalRailCars", "ballast_colour", "count_cars_optical", "optical_count_row"]
