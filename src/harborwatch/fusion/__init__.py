"""Fusion of radar detections with AIS: which vessels a satellite saw were not on AIS ("dark").

For each scene (time ``t``, footprint from ``Scene.info``), every vessel with an AIS position
within ``max_dt_s`` of ``t`` near the footprint gets a position at ``t``: linear interpolation
between the fixes either side, else the nearest fix. The distance a detection may lie from it
grows with the time to the nearest fix: ``base_distance_m + speed * |dt|`` (the vessel's last
reported speed, at least ``min_speed_kn``, or ``unknown_speed_kn`` when none). When both
lengths are known (AIS static dimensions and the detection's minimum-area rectangle), they must
agree within ``length_tolerance`` (relative). Detections and vessels are then paired one-to-one
by the Hungarian algorithm (``scipy.optimize.linear_sum_assignment``) on distance / allowed
distance.

Classes: ``matched``; ``dark`` (seen, not on AIS); ``ais_only`` (on AIS, not seen), with the
reason: ``outside_swath`` (its position at ``t`` lies outside the footprint), ``on_land_mask``
(inside, but on the detector's land mask, where it could not be seen) or ``missed``.

Dark detections become ``dark_vessel`` events (``mmsi`` 0: no AIS identity; the scene, pixel
box, score, length and a PNG chip of the detection in the attributes; content-hash ids).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from harborwatch.core.ids import canonical_json, content_id
from harborwatch.events.schema import events_from_rows
from harborwatch.geo.distance import haversine_m_array

KN = 1852.0 / 3600.0

#: One row per detection or AIS vessel of a scene.
FUSED = pa.schema([
    pa.field("image", pa.string(), False),
    pa.field("time", pa.timestamp("ms", tz="UTC")),
    pa.field("class", pa.string(), False),  # matched | dark | ais_only
    pa.field("reason", pa.string()),  # ais_only: outside_swath | on_land_mask | missed
    pa.field("detection_id", pa.string()),
    pa.field("mmsi", pa.uint32()),
    pa.field("lat", pa.float64()),
    pa.field("lon", pa.float64()),
    pa.field("distance_m", pa.float64()),  # matched: detection to AIS position at t
    pa.field("allowed_m", pa.float64()),
    pa.field("ais_dt_s", pa.float64()),  # time from t to the nearest AIS fix
    pa.field("length_sar_m", pa.float64()),
    pa.field("length_ais_m", pa.float64()),
    pa.field("score", pa.float64()),
    pa.field("site_id", pa.string()),
])


@dataclass(frozen=True)
class Fusion:
    """Matching parameters (distances in metres, speeds in knots, times in seconds)."""

    base_distance_m: float = 500.0
    min_speed_kn: float = 2.0
    unknown_speed_kn: float = 20.0
    max_dt_s: float = 3 * 3600.0
    length_tolerance: float = 0.5


def _ais_at(store, t_ms: int, bbox: tuple[float, float, float, float], p: Fusion) -> list[dict]:
    """Every vessel's AIS position at ``t_ms`` (see the module docstring), near ``bbox``."""
    lo0, la0, lo1, la1 = bbox
    margin = p.unknown_speed_kn * KN * p.max_dt_s / 111_000.0
    t = store.sql(
        "SELECT mmsi, epoch_ms(timestamp) AS t, lat, lon, sog_kn FROM positions "
        "WHERE timestamp BETWEEN make_timestamptz(?::BIGINT * 1000) AND make_timestamptz(?::BIGINT * 1000) "
        "AND lat BETWEEN ? AND ? AND lon BETWEEN ? AND ? AND lat IS NOT NULL ORDER BY mmsi, t",
        [int(t_ms - p.max_dt_s * 1000), int(t_ms + p.max_dt_s * 1000), float(la0 - margin), float(la1 + margin),
         float(lo0 - margin / max(np.cos(np.radians(la1)), 0.1)),
         float(lo1 + margin / max(np.cos(np.radians(la1)), 0.1))])
    if t.num_rows == 0:
        return []
    m = t["mmsi"].to_numpy()
    ts = t["t"].to_numpy().astype(np.int64)
    lat = t["lat"].to_numpy()
    lon = t["lon"].to_numpy()
    sog = t["sog_kn"].to_numpy(zero_copy_only=False).astype(float)
    out = []
    bounds = np.flatnonzero(np.diff(m)) + 1
    for a, b in zip(np.r_[0, bounds], np.r_[bounds, len(m)], strict=True):
        k = int(np.searchsorted(ts[a:b], t_ms)) + a
        before, after = k - 1, k
        if before >= a and after < b:
            w = (t_ms - ts[before]) / max(ts[after] - ts[before], 1)
            la, lo = lat[before] + w * (lat[after] - lat[before]), lon[before] + w * (lon[after] - lon[before])
            dt = min(t_ms - ts[before], ts[after] - t_ms) / 1000.0
            s = np.nanmax([sog[before], sog[after]]) if not np.all(np.isnan([sog[before], sog[after]])) else np.nan
        else:
            j = before if before >= a else after
            la, lo, dt, s = lat[j], lon[j], abs(t_ms - ts[j]) / 1000.0, sog[j]
        speed = p.unknown_speed_kn if np.isnan(s) else max(float(s), p.min_speed_kn)
        out.append({"mmsi": int(m[a]), "lat": float(la), "lon": float(lo), "dt_s": float(dt),
                    "allowed_m": p.base_distance_m + speed * KN * dt})
    return out


def _lengths(store, mmsis: list[int]) -> dict[int, float]:
    if not mmsis:
        return {}
    rows = store.sql("SELECT mmsi, max(length_m) AS length_m FROM identity WHERE mmsi IN ("
                     + ", ".join("?" for _ in mmsis) + ") GROUP BY mmsi", mmsis).to_pylist()
    return {r["mmsi"]: r["length_m"] for r in rows if r["length_m"]}


def _site_ids(index, rows: list[dict]) -> list[str | None]:
    """The site each row lies in (distance 0 to the site: inside its radius or polygon), or None."""
    if index is None or not rows:
        return [None] * len(rows)
    lat = np.array([np.nan if r.get("lat") is None else r["lat"] for r in rows], np.float64)
    lon = np.array([np.nan if r.get("lon") is None else r["lon"] for r in rows], np.float64)
    d, k = index.nearest(np.nan_to_num(lat), np.nan_to_num(lon))
    return [index.site_ids[j] if dd == 0 and not np.isnan(la) else None for dd, j, la in zip(d, k, lat, strict=True)]


def _costs(dets: list[dict], inside: list[dict], lengths: dict[int, float], p: Fusion):
    """Distances (m) between every detection and AIS position, and the assignment cost: distance /
    allowed distance where the pair is possible (close enough, lengths agreeing), else 1e9."""
    def col(rows, key):
        return np.array([np.nan if r.get(key) is None else r[key] for r in rows], np.float64)

    dlat, dlon, dlen = col(dets, "lat"), col(dets, "lon"), col(dets, "length_m")
    alat, alon, allowed = col(inside, "lat"), col(inside, "lon"), col(inside, "allowed_m")
    alen = np.array([lengths.get(a["mmsi"]) or np.nan for a in inside], np.float64)
    dist = haversine_m_array(dlat[:, None], dlon[:, None], alat[None, :], alon[None, :])
    with np.errstate(invalid="ignore"):
        disagree = np.abs(dlen[:, None] - alen[None, :]) / np.fmax(dlen[:, None], alen[None, :]) > p.length_tolerance
        ok = (dist <= allowed[None, :]) & ~disagree
    cost = np.where(ok, dist / allowed[None, :], 1e9)
    return dist, cost


def fuse_scene(store, scene: dict, dets: list[dict], p: Fusion = Fusion(), site_index=None,
               water=None) -> list[dict]:
    """Fused rows (:data:`FUSED`) of one scene; ``site_index``: a :class:`SiteIndex` naming the
    site of each row."""
    import shapely
    from scipy.optimize import linear_sum_assignment

    from harborwatch.geo.landmask import is_land

    if not scene.get("footprint") or not scene.get("time"):
        return [{"image": scene["image"], "time": None, "class": "dark", "reason": "no_time_or_footprint",
                 "detection_id": d["detection_id"], "mmsi": None, "lat": d["lat"], "lon": d["lon"],
                 "score": d["score"], "length_sar_m": d["length_m"]} for d in dets]
    when = datetime.fromisoformat(scene["time"])
    t_ms = int(when.timestamp() * 1000)
    foot = shapely.Polygon(scene["footprint"])
    ais = _ais_at(store, t_ms, foot.bounds, p)
    lengths = _lengths(store, [a["mmsi"] for a in ais])
    in_swath = shapely.contains_xy(foot, [a["lon"] for a in ais], [a["lat"] for a in ais]) if ais else []
    inside = [a for a, ok in zip(ais, in_swath, strict=True) if ok]
    outside = [a for a, ok in zip(ais, in_swath, strict=True) if not ok]
    rows: list[dict] = []
    matched_d, matched_a = set(), set()
    if dets and inside:
        dist, cost = _costs(dets, inside, lengths, p)
        ri, ci = linear_sum_assignment(cost)
        for i, j in zip(ri, ci, strict=True):
            if cost[i, j] < 1e9:
                matched_d.add(i)
                matched_a.add(j)
                d, a = dets[i], inside[j]
                rows.append({"class": "matched", "detection_id": d["detection_id"], "mmsi": a["mmsi"],
                             "lat": d["lat"], "lon": d["lon"], "distance_m": round(float(dist[i, j]), 1),
                             "allowed_m": round(a["allowed_m"], 1), "ais_dt_s": a["dt_s"],
                             "length_sar_m": d["length_m"], "length_ais_m": lengths.get(a["mmsi"]),
                             "score": d["score"]})
    for i, d in enumerate(dets):
        if i not in matched_d:
            rows.append({"class": "dark", "detection_id": d["detection_id"], "lat": d["lat"], "lon": d["lon"],
                         "length_sar_m": d["length_m"], "score": d["score"]})
    land_pts: Any = (is_land(np.array([a["lat"] for a in inside]), np.array([a["lon"] for a in inside]))
                     if inside else [])
    for j, a in enumerate(inside):
        if j in matched_a:
            continue
        on_land = bool(land_pts[j]) and not (water is not None and shapely.contains_xy(water, a["lon"], a["lat"]))
        rows.append({"class": "ais_only", "reason": "on_land_mask" if on_land else "missed", "mmsi": a["mmsi"],
                     "lat": a["lat"], "lon": a["lon"], "ais_dt_s": a["dt_s"], "allowed_m": round(a["allowed_m"], 1),
                     "length_ais_m": lengths.get(a["mmsi"])})
    for a in outside:
        rows.append({"class": "ais_only", "reason": "outside_swath", "mmsi": a["mmsi"], "lat": a["lat"],
                     "lon": a["lon"], "ais_dt_s": a["dt_s"], "length_ais_m": lengths.get(a["mmsi"])})
    for r, site in zip(rows, _site_ids(site_index, rows), strict=True):
        r.update(image=scene["image"], time=when, site_id=site)
    return rows


def fuse(store, detections: pa.Table, scenes: list[dict], p: Fusion = Fusion(), sites=None, water=None,
         progress=None) -> pa.Table:
    """Fused rows of every scene (see the module docstring)."""
    by_image: dict[str, list[dict]] = {}
    for d in detections.to_pylist():
        by_image.setdefault(d["image"], []).append(d)
    index = sites.index(max_query_m=1.0) if sites is not None else None
    rows = []
    for k, sc in enumerate(scenes):
        rows += fuse_scene(store, sc, by_image.get(sc["image"], []), p, index, water)
        if progress:
            progress(k + 1, len(scenes))
    known = {s["image"] for s in scenes}
    for img, ds in by_image.items():  # detections of scenes with no scene record: dark, and say why
        if img not in known:
            rows += fuse_scene(store, {"image": img}, ds, p, index, water)
    return pa.Table.from_pylist([{k: r.get(k) for k in FUSED.names} for r in rows], schema=FUSED)


def counts(fused: pa.Table) -> list[dict]:
    """Per scene and site: seen (detections), on AIS (vessels in the swath), matched, dark."""
    out: dict[tuple, dict] = {}
    for r in fused.to_pylist():
        if r["class"] == "ais_only" and r["reason"] == "outside_swath":
            continue
        key = (r["image"], r["site_id"])
        c = out.setdefault(key, {"image": r["image"], "time": r["time"], "site_id": r["site_id"], "seen": 0,
                                 "on_ais": 0, "matched": 0, "dark": 0, "ais_only": 0})
        c["seen"] += r["class"] in ("matched", "dark")
        c["on_ais"] += r["class"] in ("matched", "ais_only")
        c["matched"] += r["class"] == "matched"
        c["dark"] += r["class"] == "dark"
        c["ais_only"] += r["class"] == "ais_only"
    return sorted(out.values(), key=lambda c: (str(c["time"]), c["image"], str(c["site_id"])))


def _open_scene(source: str):
    """The scene at ``source``, or None when it cannot be opened (moved, deleted)."""
    from harborwatch.core.errors import HarborwatchError
    from harborwatch.sar.scene import open_scene

    try:
        return open_scene(source)
    except (HarborwatchError, OSError):
        return None


def write_chip(sc, bbox_px: list[int], out: Path, size: int = 64) -> Path:
    """A PNG of the detection's neighbourhood in scene ``sc`` (``size`` px square, log-scaled)."""
    from PIL import Image

    cr, cc = (bbox_px[1] + bbox_px[3]) // 2, (bbox_px[0] + bbox_px[2]) // 2
    a = sc.read(cr - size // 2, cr + size // 2, cc - size // 2, cc + size // 2)
    v = np.log10(np.maximum(np.nan_to_num(a), 1e-12))
    lo, hi = np.percentile(v, [30, 99.9]) if v.size else (0, 1)  # dark sea, bright ships
    img = np.clip((v - lo) / max(hi - lo, 1e-9) * 255, 0, 255).astype(np.uint8)
    out.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(img).save(out)
    return out


def dark_events(fused: pa.Table, detections: pa.Table, scenes: list[dict], p: Fusion, chips_dir: Path | None = None,
                detector_params: dict | None = None) -> pa.Table:
    """``dark_vessel`` events (one per dark detection) for the store's events table."""
    dets = {d["detection_id"]: d for d in detections.to_pylist()}
    src = {s["image"]: s.get("source") for s in scenes}
    opened: dict = {}
    params = canonical_json({"fusion": asdict(p), "detector": detector_params or {}})
    rows = []
    for r in fused.to_pylist():
        if r["class"] != "dark" or r["time"] is None or r["lat"] is None:
            continue
        d = dets[r["detection_id"]]
        chip = None
        if chips_dir is not None and src.get(r["image"]):
            if r["image"] not in opened:  # each scene opened once, however many chips it gives
                opened[r["image"]] = _open_scene(str(src[r["image"]]))
            if opened[r["image"]] is not None:
                chip = write_chip(opened[r["image"]], d["bbox_px"], chips_dir / f"{r['detection_id']}.png")
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


__all__ = ["FUSED", "Fusion", "counts", "dark_events", "fuse", "fuse_scene", "write_chip"]
