"""Rail cars on the sidings of a rail-crossing site, counted from a radar (or bright optical)
image along the track polylines.

Freight cars are steel boxes: in a radar image they are bright returns on the dimmer ballast of
the track bed. The image is sampled along each track polyline at the pixel spacing (bilinear,
one sample every ``step_m``). A sample is *occupied* when it is at least ``threshold`` times the
track's background (the ``background_quantile`` of its samples: a yard is seldom full, and a
full track is then measured against the site's other tracks). Runs of occupied samples, closing
gaps shorter than ``max_gap_m`` (couplings, speckle), are trains; each counts
``round(run length / car_m)`` cars, at least one. The count is of cars standing on the sidings
at the acquisition time, which is what an analyst counts on an image.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from harborwatch.core.errors import DataError
from harborwatch.core.params import Params


@dataclass(frozen=True)
class RailCars(Params):
    """Attributes:
        car_m: length a car takes on the track (a 14 m freight car plus its coupling). 15 m.
        threshold: occupied = at least this times the background. 4.
        background_quantile: of the samples of a track (or of all tracks, if higher). 0.3.
        max_gap_m: gaps shorter than this inside a train are closed. 10 m.
        min_run_m: shorter bright runs are speckle, not cars. 8 m.
        step_m: sampling interval along the track; default the image's pixel size.
    """

    section = "railcars"

    car_m: float = 15.0
    threshold: float = 4.0
    background_quantile: float = 0.3
    max_gap_m: float = 10.0
    min_run_m: float = 8.0
    step_m: float | None = None

    def validate(self) -> None:
        self.positive("car_m", "threshold")
        self.non_negative("max_gap_m", "min_run_m")
        self.fraction("background_quantile")
        if self.step_m is not None:
            self.positive("step_m")


def _line_pixels(scene, line_lonlat: np.ndarray, step_m: float) -> tuple[np.ndarray, np.ndarray]:
    """(rows, cols) of points every ``step_m`` along a lon / lat polyline, in the scene's pixels."""
    from pyproj import Transformer

    g = scene.geotransform
    if g is None or scene.crs is None:
        raise DataError(f"{scene.name}: counting along tracks needs a scene with an affine georeference (GeoTIFF)")
    x, y = Transformer.from_crs("EPSG:4326", scene.crs, always_xy=True).transform(line_lonlat[:, 0],
                                                                                   line_lonlat[:, 1])
    xy = np.column_stack([x, y])
    seg = np.hypot(*np.diff(xy, axis=0).T)
    cum = np.concatenate([[0.0], np.cumsum(seg)])
    s = np.arange(0.0, cum[-1] + 1e-9, step_m)
    px = np.interp(s, cum, xy[:, 0])
    py = np.interp(s, cum, xy[:, 1])
    inv = np.linalg.inv(np.array([[g[1], g[2]], [g[4], g[5]]]))
    cols, rows = inv @ np.vstack([px - g[0], py - g[3]])
    return rows - 0.5, cols - 0.5  # pixel centres sit at +0.5


def _bilinear(a: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    r0 = np.clip(np.floor(rows).astype(int), 0, a.shape[0] - 2)
    c0 = np.clip(np.floor(cols).astype(int), 0, a.shape[1] - 2)
    fr, fc = np.clip(rows - r0, 0, 1), np.clip(cols - c0, 0, 1)
    return ((1 - fr) * (1 - fc) * a[r0, c0] + (1 - fr) * fc * a[r0, c0 + 1]
            + fr * (1 - fc) * a[r0 + 1, c0] + fr * fc * a[r0 + 1, c0 + 1])


def runs(occupied: np.ndarray, max_gap: int, min_run: int) -> list[tuple[int, int]]:
    """[start, end) of the runs of True, gaps of at most ``max_gap`` closed, shorter than ``min_run`` dropped."""
    idx = np.flatnonzero(occupied)
    if len(idx) == 0:
        return []
    breaks = np.flatnonzero(np.diff(idx) > max_gap + 1)
    starts = np.concatenate([[idx[0]], idx[breaks + 1]])
    ends = np.concatenate([idx[breaks], [idx[-1]]]) + 1
    return [(int(a), int(b)) for a, b in zip(starts, ends, strict=True) if b - a >= min_run]


def count_cars(scene, tracks: list[np.ndarray], p: RailCars | None = None) -> dict:
    """Cars on each track (a list of (n, 2) lon / lat polylines) of a georeferenced scene:
    ``{"cars": total, "tracks": [{"cars", "trains", "length_m"}...]}``."""
    p = p or RailCars()
    step = p.step_m or scene.pixel_m
    if not step:
        raise DataError(f"{scene.name}: the scene has no pixel size", hint="give step_m")
    a = scene.read(0, scene.shape[0], 0, scene.shape[1])
    samples = []
    for line in tracks:
        rows, cols = _line_pixels(scene, np.asarray(line, np.float64), step)
        inside = (rows >= 0) & (cols >= 0) & (rows <= a.shape[0] - 1) & (cols <= a.shape[1] - 1)
        samples.append(np.where(inside, _bilinear(a, rows, cols), np.nan))
    allv = np.concatenate([v[~np.isnan(v)] for v in samples]) if samples else np.zeros(0)
    site_bg = float(np.quantile(allv, p.background_quantile)) if len(allv) else 0.0
    out = []
    for v in samples:
        ok = v[~np.isnan(v)]
        bg = min(float(np.quantile(ok, p.background_quantile)), site_bg) if len(ok) else site_bg
        occ = np.nan_to_num(v, nan=0.0) >= p.threshold * bg
        trains = runs(occ, int(round(p.max_gap_m / step)), max(1, int(round(p.min_run_m / step))))
        cars = sum(max(1, round((b - a_) * step / p.car_m)) for a_, b in trains)
        out.append({"cars": int(cars), "trains": len(trains), "length_m": round(len(v) * step, 1)})
    return {"cars": int(sum(t["cars"] for t in out)), "tracks": out}


def read_tracks(path) -> list[np.ndarray]:
    """The sidings of a GeoJSON file: its LineStrings as (n, 2) lon / lat arrays."""
    import json
    from pathlib import Path

    feats = json.loads(Path(path).read_text())["features"]
    lines = [np.asarray(f["geometry"]["coordinates"], float) for f in feats
             if f.get("geometry") and f["geometry"]["type"] == "LineString"]
    if not lines:
        raise DataError(f"{path}: no LineString features (the sidings)")
    return lines


def count_row(scene, tracks: list[np.ndarray], site_id: str, source: str,
              p: RailCars | None = None) -> tuple[dict, dict]:
    """The count of a scene as a row of the counts layout (``time``, ``site_id``, ``rail_cars``,
    ``source``, ``note``: the scene), and :func:`count_cars`'s result."""
    c = count_cars(scene, tracks, p)
    return counts_row(scene, c["cars"], site_id, source), c


def counts_row(scene, cars: int, site_id: str, source: str) -> dict:
    """A scene's count as a row of the counts layout (``time``, ``site_id``, ``rail_cars``,
    ``source``, ``note``: the scene); a scene without an acquisition time cannot give one."""
    if scene.time is None:
        raise DataError(f"{scene.name}: the scene has no acquisition time", source=scene.source)
    return {"time": scene.time.isoformat(), "site_id": site_id, "rail_cars": cars, "source": source,
            "note": scene.name}


__all__ = ["RailCars", "count_cars", "count_row", "counts_row", "read_tracks", "runs"]
