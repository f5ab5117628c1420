"""SIMULATED high-resolution optical images of the Tumangang - Khasan rail yard.

Analysts counted rail carriages at the crossing on commercial optical images (about 0.5 m). The
scenario renders such images from its truth: the same four sidings as the radar yard chips
(:func:`harborwatch.scenario.radar.rail_yard`), the day's cars (``truth_rail.parquet``) standing
in trains, in the colours freight cars come in (brown box cars, black tank cars, rust gondolas,
blue and green containers on flats, white reefers, grey hoppers), on grey ballast between olive
ground, with the shadows the cars cast. The images are taken at 10:30 local solar time (a
sun-synchronous orbit) every five days, and half of them are lost to cloud; the sun's position
comes from ``astral`` and is written to the GeoTIFF's tags as a product's metadata carries it.

Colours and sizes are plausible assumptions, not measurements: 14 m by 3 m cars, 4.2 m tall,
standing 1 m apart; ballast bed 3.2 m wide; pixel noise of a few digital numbers.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from harborwatch.scenario.radar import YARD_LENGTH_M, YARD_TRACKS_M, _place_trains, yard_layout

OPTICAL_VERSION = 1
CAR_HEIGHT_M = 4.2
#: RGB of the ground, the ballast and the cars (box, tank, gondola, blue and green container, reefer, hopper).
GROUND = (112.0, 104.0, 82.0)
BALLAST = (126.0, 122.0, 116.0)
PALETTE = ((104, 60, 44), (40, 40, 44), (120, 74, 50), (46, 76, 132), (56, 96, 64), (212, 212, 206), (158, 156, 150))
SHADOW = 0.42  # share of the light left in a shadow (diffuse sky light)


def _sun(lat: float, lon: float, t: datetime) -> tuple[float, float]:
    from astral import Observer
    from astral.sun import azimuth, elevation

    o = Observer(latitude=lat, longitude=lon)
    return float(azimuth(o, t)), float(elevation(o, t))


def _acquisitions(t0: datetime, t1: datetime, lon: float, every_days: int, clear_share: float,
                  rng: np.random.Generator) -> list[datetime]:
    """Cloud-free acquisition times: 10:30 local solar time every ``every_days`` days."""
    first = datetime(t0.year, t0.month, t0.day, tzinfo=UTC) + timedelta(seconds=round((10.5 - lon / 15.0) * 3600))
    out = []
    t = first
    while t < t1:
        if rng.random() < clear_share:
            out.append(t)
        t += timedelta(days=every_days)
    return out


def _shadow_mask(px: np.ndarray, py: np.ndarray, rect: tuple[float, float, float, float], s: tuple[float, float]):
    """Pixels the box ``rect`` (x0, x1, y0, y1) shades when its shadow is the vector ``s``: points
    p with p - t s in the box for some t in [0, 1]."""
    lo, hi = np.zeros_like(px), np.ones_like(px)
    for p, a, b, d in ((px, rect[0], rect[1], s[0]), (py, rect[2], rect[3], s[1])):
        if abs(d) < 1e-9:
            inside = (p >= a) & (p <= b)
            lo, hi = np.where(inside, lo, 1.0), np.where(inside, hi, 0.0)
        else:
            ta, tb = (p - b) / d, (p - a) / d
            lo, hi = np.maximum(lo, np.minimum(ta, tb)), np.minimum(hi, np.maximum(ta, tb))
    return lo <= hi


def _render(rng: np.random.Generator, px: np.ndarray, py: np.ndarray, ys: np.ndarray, x0: float, x1: float,
            cars: list[tuple], sun: tuple[float, float], still: np.ndarray) -> np.ndarray:
    """(3, rows, cols) uint8 of one image."""
    img = np.empty((3, *px.shape))
    bed = np.zeros(px.shape, bool)
    for y in ys:
        bed |= (np.abs(py - y) <= 1.6) & (px >= x0 - 30) & (px <= x1 + 30)
    for b in range(3):
        img[b] = np.where(bed, BALLAST[b], GROUND[b] * still) + rng.normal(0, 6.0, px.shape)
    length = CAR_HEIGHT_M / np.tan(np.radians(sun[1]))
    s = (-np.sin(np.radians(sun[0])) * length, -np.cos(np.radians(sun[0])) * length)
    pixel = abs(px[0, 1] - px[0, 0])
    for y, xa, xb in cars:
        c0 = max(int((min(xa, xa + s[0]) - px[0, 0]) / pixel) - 2, 0)
        c1 = int((max(xb, xb + s[0]) - px[0, 0]) / pixel) + 3
        win = (slice(None), slice(c0, c1))
        shade = _shadow_mask(px[win], py[win], (xa, xb, y - 1.5, y + 1.5), s)
        img[(slice(None), *win)] *= np.where(shade, SHADOW, 1.0)
    colours = np.array(PALETTE, float)[rng.integers(0, len(PALETTE), len(cars))] if cars else np.zeros((0, 3))
    for (y, xa, xb), c in zip(cars, colours, strict=True):
        c0, c1 = int((xa - px[0, 0]) / pixel), int((xb - px[0, 0]) / pixel) + 2
        win = (slice(None), slice(max(c0, 0), c1))
        m = (np.abs(py[win] - y) <= 1.5) & (px[win] >= xa) & (px[win] <= xb)
        roof = 0.92 + 0.16 * (1 - np.abs(py[win] - y) / 1.5)  # lit along the ridge
        for b in range(3):
            img[b][win] = np.where(m, c[b] * roof + rng.normal(0, 5.0, m.shape), img[b][win])
    return np.clip(np.round(img), 0, 255).astype(np.uint8)


def rail_yard_optical(scenario_dir: Path, out_dir: Path | None = None, pixel_m: float = 0.5, every_days: int = 5,
                      clear_share: float = 0.5, progress=None) -> dict[str, Path]:
    """Render the cloud-free optical images of the yard (``pixel_m``; SIMULATED). Writes
    ``scenes/`` (RGB GeoTIFFs on UTM 52N, tagged with time and sun), ``rail_tracks.geojson`` (the
    same sidings as the radar yard chips) and ``truth_yard_optical.parquet`` (cars standing in
    each image); skipped when already rendered."""
    import rasterio
    from rasterio.transform import Affine

    out_dir = out_dir or scenario_dir / "rail_yard_optical"
    manifest = out_dir / "manifest.json"
    params = {"version": OPTICAL_VERSION, "pixel_m": pixel_m, "every_days": every_days, "clear_share": clear_share}
    result = {"scenes": out_dir / "scenes", "tracks": out_dir / "rail_tracks.geojson",
              "truth": out_dir / "truth_yard_optical.parquet"}
    if manifest.exists() and json.loads(manifest.read_text()) == params:
        return result
    (out_dir / "scenes").mkdir(parents=True, exist_ok=True)
    site, _, ys, x0, x1 = yard_layout(result["tracks"])
    width_m, height_m = YARD_LENGTH_M + 80.0, float(ys[-1] - ys[0]) + 48.0
    gt = (x0 - 40.0, pixel_m, 0.0, float(ys[-1]) + 24.0, 0.0, -pixel_m)
    rows, cols = int(round(height_m / pixel_m)), int(round(width_m / pixel_m))
    rr, cc = np.meshgrid(np.arange(rows) + 0.5, np.arange(cols) + 0.5, indexing="ij")
    px, py = gt[0] + cc * pixel_m, gt[3] - rr * pixel_m
    still = np.exp(np.random.default_rng(2).normal(0, 0.05, (rows, cols)))
    rail = pq.read_table(scenario_dir / "truth_rail.parquet").to_pylist()
    daily = {r["date"]: r["rail_cars"] for r in rail}
    days = sorted(daily)
    t0 = datetime.fromisoformat(days[0]).replace(tzinfo=UTC)
    t1 = datetime.fromisoformat(days[-1]).replace(tzinfo=UTC) + timedelta(days=1)
    seed = int(hashlib.sha256(f"optical|{scenario_dir.name}".encode()).hexdigest()[:8], 16)
    times = _acquisitions(t0, t1, site["lon"], every_days, clear_share, np.random.default_rng(seed))
    truth = []
    for k, t in enumerate(times):
        name = f"SIM-OPT-{t:%Y%m%dT%H%M%S}-yard"
        rng = np.random.default_rng(int(hashlib.sha256(f"optical|{name}".encode()).hexdigest()[:8], 16))
        cars = _place_trains(rng, min(daily.get(t.date().isoformat(), 0), int(YARD_TRACKS_M * YARD_LENGTH_M // 30)),
                             ys, x0, x1)
        sun = _sun(site["lat"], site["lon"], t)
        img = _render(rng, px, py, ys, x0, x1, cars, sun, still)
        with rasterio.open(out_dir / "scenes" / f"{name}.tif", "w", driver="GTiff", width=cols, height=rows, count=3,
                           dtype="uint8", crs="EPSG:32652", transform=Affine.from_gdal(*gt), compress="deflate",
                           photometric="RGB") as ds:
            ds.write(img)
            ds.update_tags(TIFFTAG_DATETIME=t.strftime("%Y:%m:%d %H:%M:%S"), SIMULATED="true", scene_id=name,
                           SUN_AZIMUTH=f"{sun[0]:.2f}", SUN_ELEVATION=f"{sun[1]:.2f}")
        truth.append({"scene_id": name, "time": t, "date": t.date().isoformat(), "site_id": site["site_id"],
                      "cars": len(cars), "sun_elevation_deg": round(sun[1], 2), "simulated": True})
        if progress:
            progress(k + 1, len(times))
    pq.write_table(pa.Table.from_pylist(truth), result["truth"])
    manifest.write_text(json.dumps(params) + "\n")
    return result


__all__ = ["OPTICAL_VERSION", "rail_yard_optical"]
