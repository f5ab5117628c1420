"""The catalogue of watched sites and a fast nearest-site lookup for the kernels.

A catalogue is an Arrow table, one row per site:

=========== ==================================================================
site_id     string, unique (e.g. ``kp-rajin``)
name        string
kind        port | anchorage | berth | terminal | rail_crossing | road_crossing | sts_area
lat, lon    float64 degrees WGS 84 (EPSG:4326): the point, or the polygon's centroid
radius_m    float64 metres: the site is the disc of this radius around the point
            (0 for a polygon site, whose area is the polygon itself)
geometry    binary WKB polygon or multipolygon, null for point sites
country     ISO 3166 alpha-2
unlocode    UN/LOCODE, e.g. ``KP RJN`` (nullable)
source      where the coordinates come from (public source, table and record)
=========== ==================================================================

Files: GeoJSON (a FeatureCollection of Point or Polygon features whose properties carry the
columns above) or GeoParquet (WKB ``geometry`` column), both openable in QGIS.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from numba import njit

from harborwatch.core.errors import DataError, InputFileError
from harborwatch.geo.distance import EARTH_RADIUS_M, haversine_cos_m, lat_cos, lat_cos_array

KINDS = ("port", "anchorage", "berth", "terminal", "rail_crossing", "road_crossing", "sts_area")
#: Kinds where a vessel calls: port visits are found at these, and encounters and loitering
#: are only counted away from them.
PORT_KINDS = ("port", "anchorage", "berth", "terminal")

SCHEMA = pa.schema([
    pa.field("site_id", pa.string(), nullable=False),
    pa.field("name", pa.string()),
    pa.field("kind", pa.string(), nullable=False),
    pa.field("lat", pa.float64(), nullable=False),
    pa.field("lon", pa.float64(), nullable=False),
    pa.field("radius_m", pa.float64(), nullable=False),
    pa.field("geometry", pa.binary()),
    pa.field("country", pa.string()),
    pa.field("unlocode", pa.string()),
    pa.field("source", pa.string()),
])


def _shapely():
    import shapely

    return shapely


class SiteCatalogue:
    """An immutable table of sites (columns in the module docstring)."""

    __slots__ = ("_memo", "_t")

    def __init__(self, table: pa.Table, origin: str = "<table>") -> None:
        table = table.select([f.name for f in SCHEMA if f.name in table.column_names])
        for f in SCHEMA:
            if f.name not in table.column_names:
                if not f.nullable and f.name != "radius_m":
                    raise DataError(f"site catalogue lacks column {f.name!r}", source=origin, field=f.name)
                table = table.append_column(f.name, pa.nulls(table.num_rows, f.type) if f.name != "radius_m"
                                            else pa.array(np.zeros(table.num_rows)))
        table = table.select(SCHEMA.names).cast(SCHEMA)
        ids = table["site_id"].to_pylist()
        if len(set(ids)) != len(ids):
            from collections import Counter

            dup = sorted(i for i, k in Counter(ids).items() if k > 1)[0]
            raise DataError(f"site_id {dup!r} appears twice", source=origin, field="site_id")
        for i, k in enumerate(table["kind"].to_pylist()):
            if k not in KINDS:
                raise DataError(f"site {ids[i]!r} has kind {k!r}; expected one of {', '.join(KINDS)}",
                                source=origin, field="kind")
        self._t = table.sort_by("site_id")
        self._memo: dict[tuple, Any] = {}  # derived catalogues and indexes (the table never changes)

    # -- io ------------------------------------------------------------------------------------
    @classmethod
    def default(cls) -> SiteCatalogue:
        """The shipped catalogue: Rason (Rajin, Sonbong), Chongjin, the Russian Far East ports,
        and the Tumangang - Khasan rail crossing. Each row's ``source`` says where it comes from."""
        ref = resources.files("harborwatch.sites") / "data" / "rason.geojson"
        return cls.from_geojson_text(ref.read_text(encoding="utf-8"), "harborwatch:sites/data/rason.geojson")

    @classmethod
    def read(cls, path: str | Path) -> SiteCatalogue:
        p = Path(path)
        if not p.exists():
            raise InputFileError(f"{p}: no such site catalogue")
        if p.suffix.lower() in (".parquet", ".geoparquet"):
            return cls._from_geoparquet(pq.read_table(p), str(p))
        if p.suffix.lower() in (".geojson", ".json"):
            return cls.from_geojson_text(p.read_text(encoding="utf-8"), str(p))
        raise DataError(f"{p}: site catalogues are .geojson or .parquet files", source=str(p))

    @classmethod
    def _from_geoparquet(cls, t: pa.Table, origin: str) -> SiteCatalogue:
        if "geometry" not in t.column_names:
            return cls(t, origin)
        shapely = _shapely()
        lat: list[float] = []
        lon: list[float] = []
        geom: list[Any] = []
        for n, g in enumerate(t["geometry"].to_pylist(), 1):
            if g is None:
                raise DataError(f"row {n} has no geometry", source=origin, ref=n, field="geometry")
            shp = shapely.from_wkb(g)
            if shp.geom_type == "Point":
                lat.append(shp.y)
                lon.append(shp.x)
                geom.append(None)
            else:
                c = shp.centroid
                lat.append(c.y)
                lon.append(c.x)
                geom.append(g)
        t = t.drop_columns([c for c in ("lat", "lon", "geometry") if c in t.column_names])
        t = t.append_column("lat", pa.array(lat, pa.float64())).append_column("lon", pa.array(lon, pa.float64()))
        return cls(t.append_column("geometry", pa.array(geom, pa.binary())), origin)

    @classmethod
    def from_geojson_text(cls, text: str, origin: str) -> SiteCatalogue:
        shapely = _shapely()
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as e:
            raise DataError(f"not JSON ({e.msg} at line {e.lineno})", source=origin, ref=e.lineno) from e
        rows: dict[str, list] = {f.name: [] for f in SCHEMA}
        for n, feat in enumerate(doc.get("features", []), 1):
            props = dict(feat.get("properties") or {})
            geom = feat.get("geometry")
            if not geom:
                raise DataError(f"feature {n} has no geometry", source=origin, ref=n, field="geometry")
            g = shapely.geometry.shape(geom)
            if g.geom_type == "Point":
                rows["lat"].append(g.y)
                rows["lon"].append(g.x)
                rows["geometry"].append(None)
                rows["radius_m"].append(float(props.get("radius_m") or 0.0))
            elif g.geom_type in ("Polygon", "MultiPolygon"):
                c = g.centroid
                rows["lat"].append(c.y)
                rows["lon"].append(c.x)
                rows["geometry"].append(shapely.to_wkb(g))
                rows["radius_m"].append(0.0)
            else:
                raise DataError(f"feature {n} is a {g.geom_type}; sites are points or polygons",
                                source=origin, ref=n, field="geometry")
            props.setdefault("site_id", feat.get("id"))
            if not props.get("site_id"):
                raise DataError(f"feature {n} has no site_id", source=origin, ref=n, field="site_id")
            props.setdefault("kind", "port")
            for k in ("site_id", "name", "kind", "country", "unlocode", "source"):
                rows[k].append(props.get(k))
        return cls(pa.table(rows, schema=SCHEMA), origin)

    def write(self, path: str | Path) -> Path:
        """Write GeoJSON (``.geojson``/``.json``) or GeoParquet (``.parquet``)."""
        p = Path(path)
        p.parent.mkdir(parents=True, exist_ok=True)
        if p.suffix.lower() in (".parquet", ".geoparquet"):
            shapely = _shapely()
            geoms = [shapely.from_wkb(g) if g else shapely.Point(lon, lat)
                     for g, lat, lon in zip(self._t["geometry"].to_pylist(), self._t["lat"].to_pylist(),
                                            self._t["lon"].to_pylist(), strict=True)]
            t = self._t.set_column(self._t.column_names.index("geometry"), "geometry",
                                   pa.array([shapely.to_wkb(g) for g in geoms], pa.binary()))
            types = sorted({g.geom_type for g in geoms})
            meta = {"version": "1.1.0", "primary_column": "geometry",
                    "columns": {"geometry": {"encoding": "WKB", "geometry_types": types, "crs": None}}}
            t = t.replace_schema_metadata({b"geo": json.dumps(meta).encode()})
            pq.write_table(t, p)
            return p
        p.write_text(json.dumps(self.to_geojson(), indent=1), encoding="utf-8")
        return p

    def to_geojson(self) -> dict:
        shapely = _shapely()
        feats = []
        for r in self._t.to_pylist():
            if r["geometry"]:
                geom = json.loads(shapely.to_geojson(shapely.from_wkb(r["geometry"])))
            else:
                geom = {"type": "Point", "coordinates": [r["lon"], r["lat"]]}
            props = {k: v for k, v in r.items() if k not in ("geometry", "lat", "lon")}
            feats.append({"type": "Feature", "id": r["site_id"], "geometry": geom, "properties": props})
        return {"type": "FeatureCollection", "features": feats}

    # -- access --------------------------------------------------------------------------------
    @property
    def table(self) -> pa.Table:
        return self._t

    def __len__(self) -> int:
        return self._t.num_rows

    def __repr__(self) -> str:
        return f"SiteCatalogue({len(self)} sites)"

    def ids(self) -> list[str]:
        return self._t["site_id"].to_pylist()

    def filter_kinds(self, kinds: tuple[str, ...]) -> SiteCatalogue:
        import pyarrow.compute as pc

        key = ("kinds", tuple(kinds))
        if key not in self._memo:
            self._memo[key] = SiteCatalogue(self._t.filter(pc.is_in(self._t["kind"], pa.array(list(kinds)))))
        return self._memo[key]

    def index(self, max_query_m: float = 12_000.0, cell_deg: float = 0.25) -> SiteIndex:
        """The lookup arrays for :func:`nearest_site` (built once per catalogue and arguments)."""
        key = ("index", float(max_query_m), float(cell_deg))
        if key not in self._memo:
            self._memo[key] = SiteIndex.build(self, max_query_m, cell_deg)
        return self._memo[key]


# -- the lookup used inside kernels --------------------------------------------------------------

@dataclass(frozen=True)
class SiteIndex:
    """Arrays for :func:`nearest_site`: every site, plus a grid of ``cell_deg`` cells each listing
    the sites within ``max_query_m`` of it. Distances beyond ``max_query_m`` come back as inf.
    Picklable (plain NumPy), so it travels to worker processes and Spark executors."""

    lat: np.ndarray
    lon: np.ndarray
    lat_cos: np.ndarray  # cos of each site's latitude (see geo.distance.lat_cos)
    radius_m: np.ndarray
    ring_offsets: np.ndarray  # per site: start in ring_index (polygon rings), len n+1
    ring_index: np.ndarray  # ring starts into vertices, len n_rings+1 (per site slice [ro[i], ro[i+1]])
    vx: np.ndarray  # vertex lon
    vy: np.ndarray  # vertex lat
    cell_keys: np.ndarray  # sorted int64 keys
    cell_start: np.ndarray
    cell_sites: np.ndarray
    cell_deg: float
    max_query_m: float
    site_ids: tuple[str, ...]

    @classmethod
    def build(cls, cat: SiteCatalogue, max_query_m: float, cell_deg: float) -> SiteIndex:
        t = cat.table
        n = t.num_rows
        lat = np.asarray(t["lat"].to_numpy(zero_copy_only=False), np.float64)
        lon = np.asarray(t["lon"].to_numpy(zero_copy_only=False), np.float64)
        rad = np.asarray(t["radius_m"].to_numpy(zero_copy_only=False), np.float64)
        ring_offsets = [0]
        ring_index = [0]
        vx: list[float] = []
        vy: list[float] = []
        bbox = np.zeros((n, 4))
        geoms = t["geometry"].to_pylist()
        for i in range(n):
            if geoms[i]:
                shapely = _shapely()
                g = shapely.from_wkb(geoms[i])
                polys = list(g.geoms) if g.geom_type == "MultiPolygon" else [g]
                for poly in polys:
                    for ring in [poly.exterior, *poly.interiors]:
                        xy = np.asarray(ring.coords)
                        vx.extend(xy[:, 0])
                        vy.extend(xy[:, 1])
                        ring_index.append(len(vx))
                minx, miny, maxx, maxy = g.bounds
                bbox[i] = (miny, minx, maxy, maxx)
            else:
                d = rad[i] / (EARTH_RADIUS_M * math.pi / 180.0)
                dl = d / max(math.cos(math.radians(lat[i])), 0.01)
                bbox[i] = (lat[i] - d, lon[i] - dl, lat[i] + d, lon[i] + dl)
            ring_offsets.append(len(ring_index) - 1)
        # grid: each site listed in every cell its bbox, grown by max_query_m, touches
        cells: dict[int, list[int]] = {}
        ncol = int(round(360.0 / cell_deg))
        for i in range(n):
            miny, minx, maxy, maxx = bbox[i]
            d = max_query_m / (EARTH_RADIUS_M * math.pi / 180.0)
            miny, maxy = max(miny - d, -90.0), min(maxy + d, 90.0)
            coslat = max(math.cos(math.radians(max(abs(miny), abs(maxy)))), 0.01)
            minx, maxx = minx - d / coslat, maxx + d / coslat
            r0, r1 = int(math.floor((miny + 90) / cell_deg)), int(math.floor((maxy + 90) / cell_deg))
            c0, c1 = int(math.floor((minx + 180) / cell_deg)), int(math.floor((maxx + 180) / cell_deg))
            if c1 - c0 + 1 >= ncol:
                c0, c1 = 0, ncol - 1
            for r in range(r0, r1 + 1):
                for c in range(c0, c1 + 1):
                    cells.setdefault(r * ncol + (c % ncol), []).append(i)
        keys = np.array(sorted(cells), np.int64)
        start = np.zeros(len(keys) + 1, np.int64)
        members: list[int] = []
        for k, key in enumerate(keys):
            members.extend(sorted(set(cells[int(key)])))
            start[k + 1] = len(members)
        return cls(lat, lon, lat_cos_array(lat), rad, np.array(ring_offsets, np.int64), np.array(ring_index, np.int64),
                   np.array(vx, np.float64), np.array(vy, np.float64), keys, start,
                   np.array(members, np.int64), float(cell_deg), float(max_query_m), tuple(cat.ids()))

    def nearest(self, lat: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(distance in metres, site row) of the nearest site for every point; inf / -1 beyond range."""
        return nearest_site_batch(np.ascontiguousarray(lat, np.float64), np.ascontiguousarray(lon, np.float64),
                                  *self.arrays())

    def arrays(self) -> tuple:
        return (self.lat, self.lon, self.lat_cos, self.radius_m, self.ring_offsets, self.ring_index, self.vx, self.vy,
                self.cell_keys, self.cell_start, self.cell_sites, self.cell_deg)


@njit(cache=True, nogil=True)
def _polygon_distance_m(lat, lon, r0, r1, ring_index, vx, vy):
    """Distance in metres from a point to a polygon site (0 inside), in a local tangent plane."""
    inside = False
    best = 1e300
    kx = math.cos(math.radians(lat)) * EARTH_RADIUS_M * math.pi / 180.0
    ky = EARTH_RADIUS_M * math.pi / 180.0
    for r in range(r0, r1):
        a, b = ring_index[r], ring_index[r + 1]
        for i in range(a, b - 1):
            x1 = vx[i] - lon
            x2 = vx[i + 1] - lon
            if x1 > 180.0:
                x1 -= 360.0
            elif x1 < -180.0:
                x1 += 360.0
            if x2 > 180.0:
                x2 -= 360.0
            elif x2 < -180.0:
                x2 += 360.0
            y1 = vy[i] - lat
            y2 = vy[i + 1] - lat
            if (y1 > 0.0) != (y2 > 0.0):
                xc = x1 + (0.0 - y1) * (x2 - x1) / (y2 - y1)
                if xc > 0.0:
                    inside = not inside
            px1, py1, px2, py2 = x1 * kx, y1 * ky, x2 * kx, y2 * ky
            dx, dy = px2 - px1, py2 - py1
            ll = dx * dx + dy * dy
            f = 0.0 if ll == 0.0 else -(px1 * dx + py1 * dy) / ll
            if f < 0.0:
                f = 0.0
            elif f > 1.0:
                f = 1.0
            qx, qy = px1 + f * dx, py1 + f * dy
            d = math.sqrt(qx * qx + qy * qy)
            best = min(best, d)
    return 0.0 if inside else best


@njit(cache=True, nogil=True)
def _cell_key(lat, lon, cell_deg):
    """Key of the grid cell of a point (row-major over ``cell_deg`` cells; columns wrap)."""
    ncol = int(round(360.0 / cell_deg))
    r = int(math.floor((lat + 90.0) / cell_deg))
    c = int(math.floor((lon + 180.0) / cell_deg)) % ncol
    return r * ncol + c


@njit(cache=True, nogil=True)
def _nearest_in_cell(lat, lon, k, slat, slon, scos, srad, ring_offsets, ring_index, vx, vy, cell_start, cell_sites):
    """(distance_m, site row) of the nearest of the sites listed for cell row ``k``."""
    best = math.inf
    best_i = -1
    m_per_deg = EARTH_RADIUS_M * math.pi / 180.0
    cos_p = lat_cos(lat)
    for m in range(cell_start[k], cell_start[k + 1]):
        i = cell_sites[m]
        if ring_offsets[i + 1] > ring_offsets[i]:
            d = _polygon_distance_m(lat, lon, ring_offsets[i], ring_offsets[i + 1], ring_index, vx, vy)
        else:
            # the distance along the meridian is a lower bound: skip sites that cannot be nearer
            # (1 mm of slack for rounding, so the result is the one without the shortcut)
            if abs(lat - slat[i]) * m_per_deg - srad[i] - 1e-3 >= best:
                continue
            d = haversine_cos_m(lat, lon, cos_p, slat[i], slon[i], scos[i]) - srad[i]
            d = max(d, 0.0)
        if d < best:
            best = d
            best_i = i
    return best, best_i


@njit(cache=True, nogil=True)
def nearest_site(lat, lon, slat, slon, scos, srad, ring_offsets, ring_index, vx, vy, cell_keys, cell_start,
                 cell_sites, cell_deg):
    """(distance_m, site row) of the nearest site to one point; (inf, -1) if none within the index range."""
    if math.isnan(lat) or math.isnan(lon):
        return math.inf, -1
    key = _cell_key(lat, lon, cell_deg)
    k = np.searchsorted(cell_keys, key)
    if k >= cell_keys.shape[0] or cell_keys[k] != key:
        return math.inf, -1
    return _nearest_in_cell(lat, lon, k, slat, slon, scos, srad, ring_offsets, ring_index, vx, vy, cell_start,
                            cell_sites)


@njit(cache=True, nogil=True)
def nearest_site_batch(lat, lon, slat, slon, scos, srad, ring_offsets, ring_index, vx, vy, cell_keys, cell_start,
                       cell_sites, cell_deg):
    """:func:`nearest_site` for every point; consecutive points in one cell (a track) share the
    cell's look-up."""
    n = lat.shape[0]
    dist = np.empty(n, np.float64)
    idx = np.empty(n, np.int64)
    last_key = -1
    k = -1  # row of last_key in cell_keys, -1 when absent
    for i in range(n):
        if math.isnan(lat[i]) or math.isnan(lon[i]):
            dist[i] = math.inf
            idx[i] = -1
            continue
        key = _cell_key(lat[i], lon[i], cell_deg)
        if key != last_key:
            last_key = key
            k = np.searchsorted(cell_keys, key)
            if k >= cell_keys.shape[0] or cell_keys[k] != key:
                k = -1
        if k < 0:
            dist[i] = math.inf
            idx[i] = -1
            continue
        dist[i], idx[i] = _nearest_in_cell(lat[i], lon[i], k, slat, slon, scos, srad, ring_offsets, ring_index, vx, vy,
                                           cell_start, cell_sites)
    return dist, idx
