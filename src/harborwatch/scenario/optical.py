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


#: RGB of the scene around a new structure: fields (bare, and green in summer), concrete, water.
FIELD_BARE = (128.0, 112.0, 88.0)
FIELD_GREEN = (78.0, 118.0, 62.0)
CONCRETE = (186.0, 184.0, 178.0)
WATER = (34.0, 52.0, 70.0)
HEAP = (52.0, 48.0, 46.0)  # a coal heap


def _facility_scene(rng: np.random.Generator, grid: tuple[np.ndarray, np.ndarray], still: dict,
                    built: list[np.ndarray], heaps: list[np.ndarray], summer: bool) -> np.ndarray:
    """(3, n, n) float of one image: fixed land cover, the seasons' fields, the structures built
    by then (``built`` masks), the heaps standing (``heaps``), one light and haze per band, and
    sometimes a cloud with its shadow; ``grid``: the pixels' rows and columns."""
    img = np.where(still["water"][None], np.array(WATER)[:, None, None],
                   np.array(FIELD_BARE)[:, None, None] * still["tone"][None])
    img = np.where(still["fields"][None] & summer, np.array(FIELD_GREEN)[:, None, None] * still["tone"][None], img)
    img = np.where(still["paved"][None], np.array(CONCRETE)[:, None, None] * 0.8, img)
    for m in built:
        img = np.where(m[None], np.array(CONCRETE)[:, None, None] * still["tone"][None], img)
    for m in heaps:
        img = np.where(m[None], np.array(HEAP)[:, None, None], img)
    img = img * rng.uniform(0.85, 1.15, 3)[:, None, None] + rng.uniform(0, 15) + rng.normal(0, 3.0, img.shape)
    if rng.random() < 0.3:  # a cumulus and its shadow
        rr, cc = grid
        r0, c0, rad = rng.uniform(0, len(rr)), rng.uniform(0, len(rr)), rng.uniform(8, 40)
        cloud = (rr - r0) ** 2 + (cc - c0) ** 2 < rad ** 2
        shadow = (rr - r0 - rad * 0.8) ** 2 + (cc - c0 + rad * 0.5) ** 2 < rad ** 2
        img = np.where(shadow[None] & ~cloud[None], img * 0.55, img)
        img = np.where(cloud[None], 235.0 + rng.normal(0, 4, img.shape), img)
    return img


def facilities_optical(scenario_dir: Path, out_dir: Path | None = None, pixel_m: float = 10.0, size_m: float = 3_000.0,
                       every_days: int = 5, clear_share: float = 0.5, progress=None) -> dict[str, Path]:
    """Render Sentinel-2-like optical images (``pixel_m``; SIMULATED) around each new structure of
    the scenario (``truth_facilities.geojson``): a ``size_m`` square centred on it, every
    ``every_days`` at 10:30 local solar time with half lost to cloud and some of the rest
    carrying a cloud; fields that green in summer, a coal heap that stands for a few weeks, light and
    haze per image; the structure in concrete from the day it appears. Writes
    ``<facility>/`` folders of RGB GeoTIFFs; skipped when already rendered."""
    import rasterio
    import shapely
    from pyproj import Transformer
    from rasterio.transform import Affine
    from shapely.geometry import shape

    out_dir = out_dir or scenario_dir / "facilities_optical"
    manifest = out_dir / "manifest.json"
    params = {"version": OPTICAL_VERSION, "pixel_m": pixel_m, "size_m": size_m, "every_days": every_days,
              "clear_share": clear_share}
    truth = json.loads((scenario_dir / "truth_facilities.geojson").read_text())["features"]
    result = {f["properties"]["id"]: out_dir / f["properties"]["id"] for f in truth}
    if manifest.exists() and json.loads(manifest.read_text()) == params:
        return result
    fwd = Transformer.from_crs("EPSG:4326", "EPSG:32652", always_xy=True)
    rail = pq.read_table(scenario_dir / "truth_rail.parquet")["date"].to_pylist()
    t0 = datetime.fromisoformat(min(rail)).replace(tzinfo=UTC)
    t1 = datetime.fromisoformat(max(rail)).replace(tzinfo=UTC) + timedelta(days=1)
    n = int(round(size_m / pixel_m))
    for f in truth:
        fid = f["properties"]["id"]
        poly = shapely.transform(shape(f["geometry"]), lambda c: np.column_stack(fwd.transform(c[:, 0], c[:, 1])))
        cx, cy = poly.centroid.x, poly.centroid.y
        gt = (cx - size_m / 2, pixel_m, 0.0, cy + size_m / 2, 0.0, -pixel_m)
        rr, cc = np.mgrid[0:n, 0:n]
        px, py = gt[0] + (cc + 0.5) * pixel_m, gt[3] - (rr + 0.5) * pixel_m
        seed = int(hashlib.sha256(f"facility|{scenario_dir.name}|{fid}".encode()).hexdigest()[:8], 16)
        rng = np.random.default_rng(seed)
        still = _land_cover(rng, n, px, py, poly)
        site = shapely.contains_xy(poly, px, py)
        heaps = _heap_plan(rng, (rr, cc), t0, t1, site)
        appears = datetime.fromisoformat(f["properties"]["appears"]).replace(tzinfo=UTC)
        folder = out_dir / fid
        folder.mkdir(parents=True, exist_ok=True)
        times = _acquisitions(t0, t1, shape(f["geometry"]).centroid.x, every_days, clear_share, rng)
        for k, t in enumerate(times):
            standing = [m for m, a, b in heaps if a <= t < b]
            img = _facility_scene(rng, (rr, cc), still, [site] if t >= appears else [], standing, 4 <= t.month <= 9)
            with rasterio.open(folder / f"SIM-S2-{t:%Y%m%dT%H%M%S}-{fid}.tif", "w", driver="GTiff", width=n, height=n,
                               count=3, dtype="uint8", crs="EPSG:32652", transform=Affine.from_gdal(*gt),
                               compress="deflate", photometric="RGB") as ds:
                ds.write(np.clip(np.round(img), 1, 255).astype(np.uint8))
                ds.update_tags(TIFFTAG_DATETIME=t.strftime("%Y:%m:%d %H:%M:%S"), SIMULATED="true")
            if progress:
                progress(k + 1, len(times))
    manifest.write_text(json.dumps(params) + "\n")
    return result


def _land_cover(rng: np.random.Generator, n: int, px: np.ndarray, py: np.ndarray, poly) -> dict:
    """Fixed land cover around a structure: water east of the quay line (200 m east of the
    structure), fields in blocks of 150-400 m (a third of them green in summer), a paved strip."""
    tone = np.exp(rng.normal(0, 0.08, (n, n)))
    water = px > poly.bounds[2] + 200.0
    fields = np.zeros((n, n), bool)
    for _ in range(12):
        x0, y0 = rng.uniform(px.min(), px.max()), rng.uniform(py.min(), py.max())
        w, h = rng.uniform(150, 400, 2)
        fields |= (px >= x0) & (px < x0 + w) & (py >= y0) & (py < y0 + h)
    paved = (np.abs(py - (poly.bounds[1] - 60.0)) < 15.0) & ~water
    import shapely

    inside = shapely.contains_xy(poly.buffer(30.0), px, py)
    return {"tone": tone, "water": water, "fields": fields & ~water & ~inside, "paved": paved & ~inside}


def _heap_plan(rng: np.random.Generator, grid: tuple[np.ndarray, np.ndarray], t0: datetime, t1: datetime,
               site: np.ndarray) -> list[tuple]:
    """(mask, from, to) of coal heaps that stand for 15-40 days somewhere near the structure."""
    out = []
    rr, cc = grid
    rows, cols = np.nonzero(site)
    r0, c0 = (int(rows.mean()), int(cols.mean())) if len(rows) else (len(rr) // 2, len(rr) // 2)
    span = max((t1 - t0).days, 1)
    for _ in range(2):
        a = t0 + timedelta(days=float(rng.uniform(0.05 * span, 0.8 * span)))  # any scenario length
        dr, dc = rng.integers(-60, 60, 2)
        mask = (np.abs(rr - (r0 + dr)) < 6) & (np.abs(cc - (c0 + dc)) < 9) & ~site
        out.append((mask, a, a + timedelta(days=float(rng.uniform(15, 40)))))
    return out


__all__ = ["OPTICAL_VERSION", "facilities_optical", "rail_yard_optical"]
