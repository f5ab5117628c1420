"""One-to-one assignment of radar detections to AIS vessels, per scene, on Arrow tables."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import numpy as np
import pyarrow as pa

from harborwatch.fusion.ais import WINDOW, ais_at
from harborwatch.fusion.params import FUSED, Fusion
from harborwatch.geo.distance import haversine_m_array
from harborwatch.geo.landmask import is_land


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


def fuse_scene(scene: dict, dets: list[dict], positions: pa.Table, lengths: dict[int, float],
               p: Fusion | None = None, site_index=None, water=None) -> list[dict]:
    """Fused rows (:data:`FUSED`) of one scene from its detections, the AIS positions around it
    (:data:`~harborwatch.fusion.ais.WINDOW`) and vessel lengths; ``site_index``: a
    :class:`SiteIndex` naming the site of each row; ``water``: shapely geometry the land mask
    wrongly calls land."""
    p = p or Fusion()
    import shapely
    from scipy.optimize import linear_sum_assignment

    if not scene.get("footprint") or not scene.get("time"):
        return [{"image": scene["image"], "time": None, "class": "dark", "reason": "no_time_or_footprint",
                 "detection_id": d["detection_id"], "mmsi": None, "lat": d["lat"], "lon": d["lon"],
                 "score": d["score"], "length_sar_m": d["length_m"]} for d in dets]
    when = datetime.fromisoformat(scene["time"])
    t_ms = int(when.timestamp() * 1000)
    foot = shapely.Polygon(scene["footprint"])
    ais = ais_at(positions, t_ms, p)
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


def fuse_tables(detections: pa.Table, scenes: list[dict], positions: dict[str, pa.Table], lengths: pa.Table,
                p: Fusion | None = None, sites=None, water=None, progress=None) -> pa.Table:
    """Fused rows of every scene (:data:`FUSED`), from tables: the detections, each scene's AIS
    positions (``positions[image]``, :data:`~harborwatch.fusion.ais.WINDOW`) and vessel lengths
    (mmsi, length_m). Detections of scenes with no scene record are dark, and say why."""
    p = p or Fusion()
    by_image: dict[str, list[dict]] = {}
    for d in detections.to_pylist():
        by_image.setdefault(d["image"], []).append(d)
    index = sites.index(max_query_m=1.0) if sites is not None else None
    lens = {r["mmsi"]: r["length_m"] for r in lengths.to_pylist() if r["length_m"]}
    rows = []
    for k, sc in enumerate(scenes):
        rows += fuse_scene(sc, by_image.get(sc["image"], []), positions.get(sc["image"], WINDOW.empty_table()),
                           lens, p, index, water)
        if progress:
            progress(k + 1, len(scenes))
    known = {s["image"] for s in scenes}
    for img, ds in by_image.items():
        if img not in known:
            rows += fuse_scene({"image": img}, ds, WINDOW.empty_table(), lens, p, index, water)
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


__all__ = ["counts", "fuse_scene", "fuse_tables"]
