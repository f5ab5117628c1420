"""Detections as GeoJSON (QGIS, browsers) and CSV (pandas)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pyarrow as pa

from harborwatch.core.errors import InputFileError

PROPERTIES = ("image", "detection_id", "bbox_px", "row", "col", "score", "length_m", "width_m", "length_px", "width_px",
              "orientation_deg", "area_px", "peak_z", "mean_z", "contrast_db", "background_cv", "time")


def _jsonable(v):
    """Times as ISO 8601 (Z); NaN as null, since JSON has no NaN."""
    if isinstance(v, float) and v != v:
        return None
    return v.isoformat().replace("+00:00", "Z") if hasattr(v, "isoformat") else v


def feature_collection(t: pa.Table, scenes: list[dict] | None = None) -> dict:
    """A GeoJSON FeatureCollection: Point geometry (lon, lat) when georeferenced, else null. The
    scenes (time, footprint, source; see ``Scene.info``) ride along as the foreign member
    ``harborwatch:scenes``, which GeoJSON readers ignore and ``harborwatch fuse`` needs."""
    feats = []
    for r in t.to_pylist():
        geom = None if r["lon"] is None else {"type": "Point", "coordinates": [round(r["lon"], 7), round(r["lat"], 7)]}
        props = {k: _jsonable(r[k]) for k in PROPERTIES}
        feats.append({"type": "Feature", "id": r["detection_id"], "geometry": geom, "properties": props})
    fc = {"type": "FeatureCollection", "features": feats}
    if scenes is not None:
        fc["harborwatch:scenes"] = scenes
    return fc


def write_detections(t: pa.Table, path: Path, scenes: list[dict] | None = None) -> Path:
    suffix = path.suffix.lower()
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix in (".geojson", ".json"):
        path.write_text(json.dumps(feature_collection(t, scenes)) + "\n")
    elif suffix == ".csv":
        with path.open("w", newline="") as f:
            w = csv.writer(f)
            cols = [*PROPERTIES, "lon", "lat"]
            w.writerow(cols)
            for r in t.to_pylist():
                w.writerow([" ".join(map(str, r[c])) if c == "bbox_px" else _jsonable(r[c]) for c in cols])
    elif suffix == ".parquet":
        import pyarrow.parquet as pq

        meta = dict(t.schema.metadata or {})
        if scenes is not None:
            meta[b"harborwatch:scenes"] = json.dumps(scenes).encode()
        pq.write_table(t.replace_schema_metadata(meta), path)
    else:
        raise InputFileError(f"{path}: write detections to .geojson, .csv or .parquet")
    return path


def read_detections(path: Path) -> tuple[pa.Table, list[dict]]:
    """Detections written by :func:`write_detections` (.parquet or .geojson) and their scenes."""
    from harborwatch.sar.detect import DETECTIONS

    if not path.is_file():
        raise InputFileError(f"{path}: no such file", hint="write it with `harborwatch detect --out`")
    if path.suffix.lower() == ".parquet":
        import pyarrow.parquet as pq

        t = pq.read_table(path)
        scenes = json.loads((t.schema.metadata or {}).get(b"harborwatch:scenes", b"[]"))
        return t.select(DETECTIONS.names).cast(DETECTIONS), scenes
    try:
        doc = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as e:
        raise InputFileError(f"{path}: cannot read detections ({e})") from e
    rows = []
    for f in doc.get("features", []):
        p = dict(f["properties"])
        g = f.get("geometry")
        p["lon"], p["lat"] = (g["coordinates"][0], g["coordinates"][1]) if g else (None, None)
        if p.get("time"):
            from datetime import datetime

            p["time"] = datetime.fromisoformat(p["time"].replace("Z", "+00:00"))
        rows.append({k: p.get(k) for k in DETECTIONS.names})
    return pa.Table.from_pylist(rows, schema=DETECTIONS), doc.get("harborwatch:scenes", [])


__all__ = ["feature_collection", "read_detections", "write_detections"]
