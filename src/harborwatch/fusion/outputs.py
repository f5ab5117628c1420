"""Imagery's events: one ``dark_vessel`` event per dark detection and one ``new_structure``
event per structure found in a radar stack, content-hashed."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime

import numpy as np
import pyarrow as pa

from harborwatch.core.ids import canonical_json, content_id
from harborwatch.events.schema import events_from_rows
from harborwatch.fusion.params import Fusion

#: The scenes fused (one row per scene with a time and a footprint): which places radar saw when,
#: so that a site's empty scenes count too (the revisit model of radar-only presences).
SCENES = pa.schema([
    pa.field("scene_id", pa.string(), False, metadata={"doc": "the image name fusion uses"}),
    pa.field("time", pa.timestamp("ms", tz="UTC"), False),
    pa.field("footprint", pa.string(), False, metadata={"doc": "GeoJSON Polygon (lon, lat)"}),
    pa.field("source", pa.string()),
    pa.field("pixel_m", pa.float64()),
])


def scenes_table(scenes: list[dict]) -> pa.Table:
    """:data:`SCENES` rows of the scenes (as from ``Scene.info()``) that have a time and a footprint."""
    from datetime import datetime

    rows = [{"scene_id": s["image"], "time": datetime.fromisoformat(s["time"]),
             "footprint": canonical_json({"type": "Polygon", "coordinates": [s["footprint"]]}),
             "source": s.get("source"), "pixel_m": s.get("pixel_m")}
            for s in scenes if s.get("time") and s.get("footprint")]
    return pa.Table.from_pylist(rows, schema=SCENES)


def dark_events(fused: pa.Table, detections: pa.Table, scenes: list[dict], p: Fusion,
                chips: dict[str, str] | None = None, detector_params: dict | None = None) -> pa.Table:
    """``dark_vessel`` events (one per dark detection) for the store's events table; ``chips``:
    the PNG chip of each detection id that has one (:func:`~harborwatch.fusion.files.write_chips`)."""
    dets = {d["detection_id"]: d for d in detections.to_pylist()}
    src = {s["image"]: s.get("source") for s in scenes}
    chips = chips or {}
    params = canonical_json({"fusion": asdict(p), "detector": detector_params or {}})
    rows = []
    for r in fused.to_pylist():
        if r["class"] != "dark" or r["time"] is None or r["lat"] is None:
            continue
        d = dets[r["detection_id"]]
        chip = chips.get(r["detection_id"])
        attrs = {"scene": r["image"], "scene_source": src.get(r["image"]), "detection_id": r["detection_id"],
                 "bbox_px": d["bbox_px"], "score": d["score"], "length_m": d["length_m"], "width_m": d["width_m"],
                 "chip_png": str(chip) if chip else None}
        t_ms = int(r["time"].timestamp() * 1000)
        eid = content_id("dark_vessel", r["image"], r["detection_id"], params)
        rows.append({"event_id": eid, "type": "dark_vessel", "mmsi": 0, "mmsi_2": None, "start": t_ms, "end": t_ms,
                     "lat": r["lat"], "lon": r["lon"], "site_id": r["site_id"],
                     "confidence": 3 if d["score"] >= 0.9 else 2, "attributes": canonical_json(attrs),
                     "parameters": params, "evidence_count": 0, "evidence": []})
    return events_from_rows(rows)


def structure_events(found: dict, sites=None, max_site_m: float = 5_000.0) -> pa.Table:
    """``new_structure`` events (``mmsi`` 0) from the GeoJSON of :func:`~harborwatch.sar.structures.
    find_structures`: start and end at the first date seen, the centroid, the site within
    ``max_site_m`` (a :class:`SiteCatalogue`), the polygon, area and dates in the attributes."""
    import shapely

    params = canonical_json({"structures": found.get("properties", {}).get("parameters", {})})
    feats = found.get("features", [])
    geoms = [shapely.geometry.shape(f["geometry"]) for f in feats]
    lat = [g.centroid.y for g in geoms]
    lon = [g.centroid.x for g in geoms]
    site: list = [None] * len(feats)
    if sites is not None and feats:
        dist, idx = sites.index(max_query_m=max_site_m).nearest(np.array(lat), np.array(lon))
        ids = sites.ids()
        site = [ids[i] if i >= 0 and d <= max_site_m else None for i, d in zip(idx.tolist(), dist.tolist())]
    rows = []
    for f, g, la, lo, s in zip(feats, geoms, lat, lon, site):
        p = f.get("properties", {})
        t_ms = int(datetime.fromisoformat(p["first_seen"]).replace(tzinfo=UTC).timestamp() * 1000)
        attrs = {"area_m2": p.get("area_m2"), "first_seen": p["first_seen"], "last_before": p.get("last_before"),
                 "brightening_db": p.get("brightening_db"), "scenes": p.get("scenes"), "geometry_wkt": g.wkt}
        rows.append({"event_id": content_id("new_structure", g.wkt, p["first_seen"], params), "type": "new_structure",
                     "mmsi": 0, "mmsi_2": None, "start": t_ms, "end": t_ms, "lat": la, "lon": lo, "site_id": s,
                     "confidence": 3, "attributes": canonical_json(attrs), "parameters": params,
                     "evidence_count": 0, "evidence": []})
    return events_from_rows(rows)


__all__ = ["SCENES", "dark_events", "scenes_table", "structure_events"]
