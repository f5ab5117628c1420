"""Tiny hand-built tracks for the event rules."""

from __future__ import annotations

import itertools

import numpy as np
import pyarrow as pa

from harborwatch.core.schema import POSITIONS, STATIC
from harborwatch.events.engine import detect
from harborwatch.events.params import EventsConfig
from harborwatch.events.request import Request
from harborwatch.sites.catalogue import SCHEMA, SiteCatalogue

T0 = 1_690_329_600_000  # 2023-07-26T00:00:00Z
M_PER_DEG = 6_371_008.8 * np.pi / 180.0
_hash = itertools.count(1)


def north_m(metres: float) -> float:
    """Degrees of latitude for a distance in metres."""
    return metres / M_PER_DEG


def fixes(mmsi: int, rows: list[tuple[float, float, float, float | None]], receiver: str = "terrestrial") -> pa.Table:
    """Positions from (minutes after T0, lat, lon, sog knots) tuples."""
    n = len(rows)
    cols = {f.name: pa.nulls(n, f.type) for f in POSITIONS}
    cols["mmsi"] = pa.array([mmsi] * n, pa.uint32())
    cols["timestamp"] = pa.array([T0 + int(r[0] * 60_000) for r in rows], pa.timestamp("ms", tz="UTC"))
    cols["lat"] = pa.array([r[1] for r in rows], pa.float64())
    cols["lon"] = pa.array([r[2] for r in rows], pa.float64())
    cols["sog_kn"] = pa.array([r[3] for r in rows], pa.float32())
    cols["receiver"] = pa.array([receiver] * n, pa.string())
    cols["source_file"] = pa.array(["hand-built"] * n, pa.string())
    cols["source_ref"] = pa.array(range(1, n + 1), pa.int64())
    cols["record_hash"] = pa.array([next(_hash) for _ in range(n)], pa.uint64())
    return pa.table(cols, schema=POSITIONS)


def statics(mmsi: int, rows: list[dict]) -> pa.Table:
    """Static reports from dicts with ``minute`` and any STATIC column."""
    n = len(rows)
    cols = {f.name: pa.nulls(n, f.type) for f in STATIC}
    data = {f.name: [r.get(f.name) for r in rows] for f in STATIC}
    for k in data:
        if any(v is not None for v in data[k]):
            cols[k] = pa.array(data[k], STATIC.field(k).type)
    cols["mmsi"] = pa.array([mmsi] * n, pa.uint32())
    cols["timestamp"] = pa.array([T0 + int(r["minute"] * 60_000) for r in rows], pa.timestamp("ms", tz="UTC"))
    cols["source_file"] = pa.array(["hand-built"] * n, pa.string())
    cols["source_ref"] = pa.array(range(1, n + 1), pa.int64())
    cols["record_hash"] = pa.array([next(_hash) for _ in range(n)], pa.uint64())
    return pa.table(cols, schema=STATIC)


def port(lat: float = 0.0, lon: float = 10.0, radius_m: float = 0.0, site_id: str = "p1",
         kind: str = "port") -> SiteCatalogue:
    return SiteCatalogue(pa.table({"site_id": [site_id], "name": ["Test port"], "kind": [kind], "lat": [lat],
                                   "lon": [lon], "radius_m": [radius_m], "geometry": [None], "country": ["XX"],
                                   "unlocode": [None], "source": ["hand-made test site"]}, schema=SCHEMA))


def events(positions: list[pa.Table], static: list[pa.Table] | None = None, sites: SiteCatalogue | None = None,
           cfg: EventsConfig | None = None, types: tuple[str, ...] | None = None) -> list[dict]:
    pos = pa.concat_tables(positions) if positions else POSITIONS.empty_table()
    st = pa.concat_tables(static) if static else None
    req = Request(cfg or EventsConfig(), sites or port(), *( (types,) if types else ()))
    return detect(pos, st, req, workers=1).to_pylist()


def of_type(evs: list[dict], t: str) -> list[dict]:
    return [e for e in evs if e["type"] == t]
