"""Derive sites from data: anchorages where many vessels stop, and ports from the World Port Index.

:func:`anchorages` follows Global Fishing Watch's published anchorage method in spirit: a
grid cell (about ``cell_m`` on a side) is an anchorage when at least ``min_vessels``
distinct vessels were *stopped* in it; adjacent anchorage cells merge into one site. GFW
uses S2 cells of about 0.5 km and 20 vessels over years of global AIS; with a few days of
data lower ``min_vessels``.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa

from harborwatch.core.errors import DataError, InputFileError
from harborwatch.geo.distance import EARTH_RADIUS_M, haversine_m
from harborwatch.sites.catalogue import SCHEMA, SiteCatalogue
from harborwatch.store.store import Store

_M_PER_DEG = EARTH_RADIUS_M * math.pi / 180.0


@dataclass(frozen=True)
class Anchorages:
    """Parameters of :func:`anchorages`.

    Attributes:
        cell_m: grid cell size, metres (north-south; east-west cells cover the same
            longitude span at every latitude, so they narrow towards the poles). 500 m.
        max_speed_knots: a fix is *stopped* below this speed over ground, or when its
            navigational status is 1 (at anchor) or 5 (moored). 0.5 kn.
        min_vessels: distinct stopped vessels a cell needs. 20 (GFW's value); use 2-5 for
            a few days of regional data.
        radius_pad_m: added to a cluster's extent to give the site radius. 250 m.
    """

    cell_m: float = 500.0
    max_speed_knots: float = 0.5
    min_vessels: int = 20
    radius_pad_m: float = 250.0


def anchorages(store: Store, params: Anchorages | None = None, ports: SiteCatalogue | None = None) -> SiteCatalogue:
    """Anchorage sites from the store's positions; named after the nearest port in ``ports``."""
    p = params or Anchorages()
    deg = p.cell_m / _M_PER_DEG
    cells = store.sql(
        f"""
        SELECT CAST(floor((lat + 90) / {deg!r}) AS BIGINT) AS r,
               CAST(floor((lon + 180) / {deg!r}) AS BIGINT) AS c,
               count(DISTINCT mmsi) AS vessels, count(*) AS fixes, avg(lat) AS lat, avg(lon) AS lon
        FROM positions
        WHERE lat IS NOT NULL AND lon IS NOT NULL
          AND (sog_kn < {float(p.max_speed_knots)!r} OR nav_status IN (1, 5))
        GROUP BY 1, 2 HAVING count(DISTINCT mmsi) >= {int(p.min_vessels)}
        ORDER BY 1, 2
        """
    ).to_pylist()
    if not cells:
        return SiteCatalogue(SCHEMA.empty_table(), "anchorages")
    ncol = int(math.floor(360.0 / deg)) + 1
    index = {(x["r"], x["c"]): i for i, x in enumerate(cells)}
    parent = list(range(len(cells)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for (r, c), i in index.items():
        for dr in (-1, 0, 1):
            for dc in (-1, 0, 1):
                j = index.get((r + dr, (c + dc) % ncol))
                if j is not None:
                    a, b = find(i), find(j)
                    if a != b:
                        parent[max(a, b)] = min(a, b)
    clusters: dict[int, list[int]] = {}
    for i in range(len(cells)):
        clusters.setdefault(find(i), []).append(i)
    pidx = ports.index(max_query_m=50_000.0) if ports is not None and len(ports) else None
    rows: dict[str, list] = {f.name: [] for f in SCHEMA}
    for members in clusters.values():
        w = np.array([cells[i]["fixes"] for i in members], np.float64)
        la = np.array([cells[i]["lat"] for i in members])
        lo = np.array([cells[i]["lon"] for i in members])
        clat = float(np.average(la, weights=w))
        clon = float(math.degrees(math.atan2(np.average(np.sin(np.radians(lo)), weights=w),
                                             np.average(np.cos(np.radians(lo)), weights=w))))
        radius = max(haversine_m(clat, clon, float(a), float(b)) for a, b in zip(la, lo, strict=True)) + p.radius_pad_m
        first = cells[min(members)]
        sid = f"anch-{first['r']}-{first['c']}"
        vessels = max(cells[i]["vessels"] for i in members)
        name = f"anchorage {clat:.3f} {clon:.3f}"
        country = None
        if pidx is not None and ports is not None:
            d, k = pidx.nearest(np.array([clat]), np.array([clon]))
            if k[0] >= 0:
                port = ports.table.slice(int(k[0]), 1).to_pylist()[0]
                name = f"{port['name']} anchorage ({d[0] / 1000:.1f} km from the port point)"
                country = port["country"]
        rows["site_id"].append(sid)
        rows["name"].append(name)
        rows["kind"].append("anchorage")
        rows["lat"].append(round(clat, 6))
        rows["lon"].append(round(clon, 6))
        rows["radius_m"].append(round(radius, 1))
        rows["geometry"].append(None)
        rows["country"].append(country)
        rows["unlocode"].append(None)
        rows["source"].append(
            f"derived from AIS in store {store.path}: {len(members)} cell(s) of {p.cell_m:g} m where >= "
            f"{p.min_vessels} vessels stopped (< {p.max_speed_knots:g} kn or at anchor/moored); "
            f"busiest cell {vessels} vessels")
    return SiteCatalogue(pa.table(rows, schema=SCHEMA), "anchorages")


#: World Port Index country names that differ from the ITU names in the MID table.
_WPI_COUNTRIES = {
    "russia": "RU", "turkey": "TR", "vietnam": "VN", "south korea": "KR", "north korea": "KP", "antarctica": "AQ",
    "burma": "MM", "u.s. virgin islands": "VI", "the bahamas": "BS", "brunei": "BN", "curacao": "CW",
    "saint helena, ascension, and tristan da cunha": "SH", "congo (brazzaville)": "CG", "congo (kinshasa)": "CD",
    "federated states of micronesia": "FM", "caribbean netherlands": "BQ", "guernsey": "GG", "svalbard": "SJ",
    "south georgia and south sandwich islands": "GS", "western sahara": "EH", "sint maarten": "SX",
    "isle of man": "IM", "jersey": "JE", "the gambia": "GM", "macau": "MO", "falkland islands (islas malvinas)": "FK",
    "norfolk island": "NF", "saint vincent and the grenadines (windward islands)": "VC", "guam": "GU",
    "british indian ocean territory": "IO", "midway islands": "UM", "johnson atoll": "UM", "wake island": "UM",
}


def read_wpi(path: str | Path, radius_m: float = 2000.0) -> SiteCatalogue:
    """Ports of the NGA World Port Index (Pub. 150 CSV) as point sites of ``radius_m``."""
    p = Path(path)
    if not p.exists():
        raise InputFileError(f"{p}: no such file")
    from harborwatch.core.identifiers import mid_table

    iso = {country.lower(): iso2 for iso2, country in mid_table().values()}
    iso.update(_WPI_COUNTRIES)
    rows: dict[str, list] = {f.name: [] for f in SCHEMA}
    with p.open(encoding="utf-8-sig", newline="") as f:
        reader = csv.DictReader(f)
        need = {"World Port Index Number", "Main Port Name", "Latitude", "Longitude"}
        if not need <= set(reader.fieldnames or []):
            raise DataError(f"not a World Port Index CSV (needs columns {', '.join(sorted(need))})", source=str(p))
        seen: set[str] = set()
        for line, r in enumerate(reader, 2):
            try:
                lat, lon = float(r["Latitude"]), float(r["Longitude"])
                num = int(float(r["World Port Index Number"]))
            except ValueError as e:
                raise DataError(f"line {line}: bad number ({e})", source=str(p), ref=line) from e
            sid = f"wpi-{num}"
            if sid in seen:  # the index repeats a few numbers
                sid = f"{sid}-{line}"
            seen.add(sid)
            rows["site_id"].append(sid)
            rows["name"].append(r["Main Port Name"].strip())
            rows["kind"].append("port")
            rows["lat"].append(lat)
            rows["lon"].append(lon)
            rows["radius_m"].append(float(radius_m))
            rows["geometry"].append(None)
            rows["country"].append(iso.get((r.get("Country Code") or "").strip().lower()))
            loc = (r.get("UN/LOCODE") or "").strip()
            rows["unlocode"].append(loc or None)
            rows["source"].append(f"NGA World Port Index Pub. 150, WPI No. {num} ({p.name} line {line})")
    return SiteCatalogue(pa.table(rows, schema=SCHEMA), str(p))
