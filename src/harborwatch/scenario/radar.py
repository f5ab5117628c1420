"""Sentinel-1-like radar scenes of the scenario's overpasses (SIMULATED).

For every overpass of the ``rason`` footprint, a scene of ``size_km`` x ``size_km`` around Rajin
is rendered on a UTM 52N grid of ``pixel_m`` (default 24 km at 20 m: 1,200 x 1,200 px, about
the pixel of an IW GRD medium-resolution product) and written as a uint16 amplitude GeoTIFF,
like a GRD measurement (DN = sqrt(sigma0) * 10,000):

* sea: sigma0 0.01-0.03 (-20 to -15 dB, one value per scene, as wind changes), Gamma speckle
  with 4.4 looks (the ENL of IW GRD-H);
* land (the packaged 1 km land mask, which the detector also uses): sigma0 about 0.1 with a
  log-normal texture on a 100 m scale and bright point scatterers (buildings, cranes), the same
  in every scene (only speckle, the sea state and the ships change from pass to pass);
* harbour water: the port sites' basins (``harbour_water.geojson``, discs of 60 % of the site
  radius) are water even where the 1 km mask says land, because ships moor there (drawn with
  the detector's own polygon rasteriser, ``sar.masks.polygon_pixels``);
* ships: every vessel of the overpass truth inside the scene, a rectangle of its length and
  beam along its heading (4 x 4 sub-pixel coverage), sigma0 growing with length
  (0.15 + 0.35 * length / 100 m), with speckle. Ships at quays are drawn like the others;
* new structures (``truth_facilities.geojson``): bright (sigma0 about 0.6) from the day they appear.

Ground truth per scene: ``truth_scene_vessels.parquet`` (the overpass truth inside each scene,
with pixel row / col and ``ais_on``). Rendering is deterministic (a seed per scene id).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

RENDER_VERSION = 4
RAJIN = (42.233333, 130.3)


def _grid(size_km: float, pixel_m: float):
    from pyproj import Transformer

    fwd = Transformer.from_crs("EPSG:4326", "EPSG:32652", always_xy=True)
    cx, cy = fwd.transform(RAJIN[1], RAJIN[0])
    half = size_km * 500.0
    n = int(round(size_km * 1000 / pixel_m))
    return (cx - half, pixel_m, 0.0, cy + half, 0.0, -pixel_m), n


def harbour_water(sites) -> dict:
    """GeoJSON of the port basins (discs of 60 % of each port site's radius)."""
    from shapely import affinity
    from shapely.geometry import Point, mapping

    feats = []
    for s in sites.table.to_pylist():
        if s["kind"] not in ("port", "terminal"):
            continue
        r_deg = 0.6 * s["radius_m"] / 111_320.0
        # a disc in metres is an ellipse in degrees, wider in longitude
        disc = affinity.scale(Point(s["lon"], s["lat"]).buffer(r_deg, 32), 1 / np.cos(np.radians(s["lat"])), 1)
        feats.append({"type": "Feature", "properties": {"site_id": s["site_id"], "simulated": True},
                      "geometry": mapping(disc)})
    return {"type": "FeatureCollection", "features": feats}


def _ship_cover(n: tuple[float, float], rows: np.ndarray, cols: np.ndarray, length_px: float, beam_px: float,
                heading: float) -> np.ndarray:
    """Fraction of each pixel of a local window covered by the ship (4 x 4 sub-samples)."""
    t = np.radians(heading)
    sub = (np.arange(4) + 0.5) / 4
    cover = np.zeros((len(rows), len(cols)))
    for dr in sub:
        for dc in sub:
            y = rows[:, None] + dr
            x = cols[None, :] + dc
            along = (x - n[1]) * np.sin(t) - (y - n[0]) * np.cos(t)
            across = (x - n[1]) * np.cos(t) + (y - n[0]) * np.sin(t)
            cover += (np.abs(along) <= length_px / 2) & (np.abs(across) <= max(beam_px, 0.5) / 2)
    return cover / 16.0


def _write_scene(path: Path, sigma0: np.ndarray, gt: tuple, overpass: dict) -> None:
    """A uint16 amplitude GeoTIFF on UTM 52N, like a GRD measurement (DN = sqrt(sigma0) * 10,000),
    tagged with the overpass time and scene id."""
    import rasterio
    from rasterio.transform import Affine

    dn = np.clip(np.sqrt(sigma0) * 10_000.0, 1, 65_535).astype(np.uint16)
    with rasterio.open(path, "w", driver="GTiff", width=dn.shape[1], height=dn.shape[0], count=1, dtype="uint16",
                       crs="EPSG:32652", transform=Affine.from_gdal(*gt), compress="deflate") as ds:
        ds.write(dn, 1)
        ds.update_tags(TIFFTAG_DATETIME=overpass["time"].strftime("%Y:%m:%d %H:%M:%S"), SIMULATED="true",
                       scene_id=overpass["scene_id"])


def _structures(scenario_dir: Path, grid, n: int) -> list[tuple]:
    """(appearance time, pixels) of the scenario's new structures (``truth_facilities.geojson``):
    from that day on the scenes draw them bright (sigma0 about 0.6, concrete and steel: about 8 dB
    above the land around)."""
    from datetime import UTC, datetime

    from shapely.geometry import shape

    from harborwatch.sar.masks import polygon_pixels

    path = scenario_dir / "truth_facilities.geojson"
    if not path.exists():
        return []
    out = []
    for f in json.loads(path.read_text())["features"]:
        t = datetime.fromisoformat(f["properties"]["appears"]).replace(tzinfo=UTC)
        out.append((t, polygon_pixels(grid, shape(f["geometry"]), (0, n, 0, n))))
    return out


def render(scenario_dir: Path, out_dir: Path | None = None, size_km: float = 24.0, pixel_m: float = 20.0,
           progress=None) -> dict[str, Path]:
    """Render the scenes (skipped when ``out_dir`` already holds this version's); returns the paths
    of ``scenes`` (a folder of GeoTIFFs), ``truth_scene_vessels`` and ``harbour_water``."""
    import shapely
    from pyproj import Transformer
    from shapely.geometry import shape

    from harborwatch.geo.landmask import is_land
    from harborwatch.sar.masks import polygon_pixels
    from harborwatch.sar.scene import from_array
    from harborwatch.scenario.config import scenario_sites

    out_dir = out_dir or scenario_dir / "sar"
    manifest = out_dir / "manifest.json"
    params = {"version": RENDER_VERSION, "size_km": size_km, "pixel_m": pixel_m}
    result = {"scenes": out_dir / "scenes", "truth_scene_vessels": out_dir / "truth_scene_vessels.parquet",
              "harbour_water": out_dir / "harbour_water.geojson"}
    if manifest.exists() and json.loads(manifest.read_text()) == params:
        return result
    (out_dir / "scenes").mkdir(parents=True, exist_ok=True)
    water = harbour_water(scenario_sites())
    result["harbour_water"].write_text(json.dumps(water) + "\n")
    basins = shapely.union_all([shape(f["geometry"]) for f in water["features"]])
    overpasses = pq.read_table(scenario_dir / "truth_overpasses.parquet").to_pylist()
    seen = pq.read_table(scenario_dir / "truth_overpass_vessels.parquet").to_pylist()
    gt, n = _grid(size_km, pixel_m)
    inv = Transformer.from_crs("EPSG:32652", "EPSG:4326", always_xy=True)
    fwd = Transformer.from_crs("EPSG:4326", "EPSG:32652", always_xy=True)
    # land on the detector's mask, sampled at pixel centres, minus the harbour basins
    cc, rr = np.meshgrid(np.arange(n) + 0.5, np.arange(n) + 0.5)
    lon, lat = inv.transform(gt[0] + cc * gt[1], gt[3] + rr * gt[5])
    grid = from_array(np.zeros((1, 1), np.float32), geotransform=gt, crs="EPSG:32652")
    land = is_land(lat.ravel(), lon.ravel()).reshape(n, n) & ~polygon_pixels(grid, basins, (0, n, 0, n))
    scenes = [o for o in overpasses if o["footprint"] == "rason"]
    structures = _structures(scenario_dir, grid, n)
    # the land does not change from one pass to the next: its texture and bright scatterers are
    # drawn once (speckle, sea state and ships change with every scene)
    still = np.random.default_rng(0)
    texture = np.exp(still.normal(0, 0.5, (n // 5 + 1, n // 5 + 1)))
    texture = np.repeat(np.repeat(texture, 5, 0), 5, 1)[:n, :n]
    points = land & (still.random((n, n)) < 0.01)
    truth = []
    for k, o in enumerate(scenes):
        seed = int(hashlib.sha256(o["scene_id"].encode()).hexdigest()[:8], 16)
        rng = np.random.default_rng(seed)
        sea = rng.uniform(0.01, 0.03)
        mean = np.where(land, 0.1 * texture, sea)
        mean = np.where(points, mean * 30.0, mean)
        for appears, inside in structures:
            if o["time"] >= appears:
                mean = np.where(inside, 0.6 * texture, mean)
        for v in (x for x in seen if x["scene_id"] == o["scene_id"]):
            x, y = fwd.transform(v["lon"], v["lat"])
            col, row = (x - gt[0]) / gt[1], (y - gt[3]) / gt[5]
            if not (0 <= row < n and 0 <= col < n):
                continue
            truth.append({**v, "row": float(row), "col": float(col), "pixel_m": pixel_m, "simulated": True})
            half = int(v["length_m"] / pixel_m) + 2
            r0, r1 = max(int(row) - half, 0), min(int(row) + half + 1, n)
            c0, c1 = max(int(col) - half, 0), min(int(col) + half + 1, n)
            cov = _ship_cover((row, col), np.arange(r0, r1, dtype=float), np.arange(c0, c1, dtype=float),
                              v["length_m"] / pixel_m, v["beam_m"] / pixel_m, v["heading_deg"])
            ship = 0.15 + 0.35 * v["length_m"] / 100.0
            mean[r0:r1, c0:c1] = mean[r0:r1, c0:c1] * (1 - cov) + ship * cov
        _write_scene(out_dir / "scenes" / f"{o['scene_id']}.tif", mean * rng.gamma(4.4, 1 / 4.4, (n, n)), gt,
                     o)
        if progress:
            progress(k + 1, len(scenes))
    pq.write_table(pa.Table.from_pylist(truth), result["truth_scene_vessels"])
    manifest.write_text(json.dumps(params) + "\n")
    return result





#: The simulated rail yard at the Tumangang - Khasan crossing: sidings (metres east, north of the
#: site's point) and their length.
YARD_TRACKS_M = 4
YARD_SPACING_M = 8.0
YARD_LENGTH_M = 1_200.0


def rail_yard(scenario_dir: Path, out_dir: Path | None = None, size_m: float = 2_000.0, pixel_m: float = 5.0,
              progress=None) -> dict[str, Path]:
    """Render a high-resolution radar chip (``size_m`` square at ``pixel_m``, SIMULATED) of the
    Tumangang - Khasan rail yard for every overpass of the ``rason`` footprint: four parallel
    sidings of 1.2 km, and on them the day's rail cars (``truth_rail.parquet``) standing in trains
    of 8-25 (14 m steel cars, sigma0 about 1.5, on a track bed of 0.06 and land of 0.1; Gamma speckle
    of 4.4 looks). Writes ``scenes/`` (GeoTIFFs), ``rail_tracks.geojson`` (the sidings) and
    ``truth_yard.parquet`` (cars standing per scene); skipped when already rendered."""
    out_dir = out_dir or scenario_dir / "rail_yard"
    manifest = out_dir / "manifest.json"
    params = {"version": RENDER_VERSION, "size_m": size_m, "pixel_m": pixel_m, "tracks": YARD_TRACKS_M}
    result = {"scenes": out_dir / "scenes", "tracks": out_dir / "rail_tracks.geojson",
              "truth": out_dir / "truth_yard.parquet"}
    if manifest.exists() and json.loads(manifest.read_text()) == params:
        return result
    (out_dir / "scenes").mkdir(parents=True, exist_ok=True)
    site, (cx, cy), ys, x0, x1 = yard_layout(result["tracks"])
    n = int(round(size_m / pixel_m))
    gt = (cx - size_m / 2, pixel_m, 0.0, cy + size_m / 2, 0.0, -pixel_m)
    daily = {r["date"]: r["rail_cars"] for r in pq.read_table(scenario_dir / "truth_rail.parquet").to_pylist()}
    scenes = [o for o in pq.read_table(scenario_dir / "truth_overpasses.parquet").to_pylist()
              if o["footprint"] == "rason"]
    rr, cc = np.meshgrid(np.arange(n) + 0.5, np.arange(n) + 0.5, indexing="ij")
    px, py = gt[0] + cc * pixel_m, gt[3] - rr * pixel_m
    still = np.random.default_rng(1)
    land = 0.1 * np.exp(still.normal(0, 0.3, (n, n)))
    bed = np.zeros((n, n), bool)
    for y in ys:
        bed |= (np.abs(py - y) <= 1.5) & (px >= x0) & (px <= x1)
    truth = []
    for k, o in enumerate(scenes):
        rng = np.random.default_rng(int(hashlib.sha256(f"yard|{o['scene_id']}".encode()).hexdigest()[:8], 16))
        cars = min(daily.get(o["time"].date().isoformat(), 0), int(YARD_TRACKS_M * YARD_LENGTH_M // 30))
        mean = np.where(bed, 0.06, land)
        standing = _place_trains(rng, cars, ys, x0, x1)
        for y, xa, xb in standing:
            mean = np.where((np.abs(py - y) <= 1.5) & (px >= xa) & (px <= xb), 1.5, mean)
        _write_scene(out_dir / "scenes" / f"{o['scene_id']}-yard.tif", mean * rng.gamma(4.4, 1 / 4.4, (n, n)), gt,
                     o)
        truth.append({"scene_id": o["scene_id"], "time": o["time"], "date": o["time"].date().isoformat(),
                      "site_id": site["site_id"], "cars": len(standing), "simulated": True})
        if progress:
            progress(k + 1, len(scenes))
    pq.write_table(pa.Table.from_pylist(truth), result["truth"])
    manifest.write_text(json.dumps(params) + "\n")
    return result


def yard_layout(tracks_path: Path) -> tuple[dict, tuple[float, float], np.ndarray, float, float]:
    """The simulated yard at the Tumangang - Khasan site: (the site, its point in UTM 52N metres,
    the sidings' northings, their west and east ends); writes the sidings as GeoJSON LineStrings
    (lon / lat) to ``tracks_path``."""
    from pyproj import Transformer

    from harborwatch.scenario.config import scenario_sites

    site = next(s for s in scenario_sites().table.to_pylist() if s["site_id"] == "kp-ru-tumangang-khasan")
    fwd = Transformer.from_crs("EPSG:4326", "EPSG:32652", always_xy=True)
    inv = Transformer.from_crs("EPSG:32652", "EPSG:4326", always_xy=True)
    cx, cy = fwd.transform(site["lon"], site["lat"])
    ys = cy + (np.arange(YARD_TRACKS_M) - (YARD_TRACKS_M - 1) / 2) * YARD_SPACING_M
    x0, x1 = cx - YARD_LENGTH_M / 2, cx + YARD_LENGTH_M / 2
    lines = [[list(inv.transform(x, y)) for x in (x0, x1)] for y in ys]
    tracks_path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"site_id": site["site_id"], "track": k, "simulated": True},
         "geometry": {"type": "LineString", "coordinates": line}} for k, line in enumerate(lines)]}) + "\n")
    return site, (cx, cy), ys, x0, x1


def _place_trains(rng: np.random.Generator, cars: int, ys: np.ndarray, x0: float, x1: float) -> list[tuple]:
    """(track y, x from, x to) of each standing car: trains of 8-25 cars, 15 m a car (14 m and a
    coupling), at least 40 m apart, filling the sidings from a random offset."""
    out: list[tuple] = []
    track, x = 0, x0 + float(rng.uniform(0, 60))
    left = cars
    while left > 0 and track < len(ys):
        k = min(left, int(rng.integers(8, 26)))
        if x + k * 15.0 > x1:
            track, x = track + 1, x0 + float(rng.uniform(0, 60))
            continue
        out += [(ys[track], x + i * 15.0, x + i * 15.0 + 14.0) for i in range(k)]
        left -= k
        x += k * 15.0 + float(rng.uniform(40, 120))
    return out


__all__ = ["RENDER_VERSION", "harbour_water", "rail_yard", "render", "yard_layout"]
