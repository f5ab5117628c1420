"""Vessel counts per scene and zone, and their weekly series (ISO weeks, Monday, UTC).

A scene's count in a zone is the number of detections whose centroid lies in the zone's
polygon. Over a series of scenes of one place, detections that recur at the same spot in a
large share of the scenes are fixed structures (:func:`fixed_structures`) and are left out.
A week's value is the mean over the scenes acquired that week (scenes differ in number per
week, so sums would mostly count revisits), with the number of scenes beside it.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from harborwatch.core.weeks import week_of


def scene_counts(detections: pa.Table, scenes: list[dict], zones: dict) -> list[dict]:
    """One row per scene: image, time and the count in each zone (``zones``: name -> shapely
    geometry in lon / lat), plus ``total``."""
    import shapely

    lon = detections["lon"].to_numpy(zero_copy_only=False).astype(float)
    lat = detections["lat"].to_numpy(zero_copy_only=False).astype(float)
    img = np.asarray(detections["image"].to_pylist(), dtype=object)
    inside = {z: shapely.contains_xy(g, lon, lat) if len(lon) else np.zeros(0, bool) for z, g in zones.items()}
    out = []
    for s in scenes:
        mine = img == s["image"]
        row = {"image": s["image"], "time": s["time"], "total": int(mine.sum())}
        for z in zones:
            row[z] = int((inside[z] & mine).sum())
        out.append(row)
    return sorted(out, key=lambda r: (r["time"] or "", r["image"]))


def fixed_structures(detections: pa.Table, cell_m: float = 40.0, min_fraction: float = 0.4) -> np.ndarray:
    """True for detections at places where something is detected in at least ``min_fraction``
    of the scenes (cranes, lights, breakwater corners: fixed structures, not ships). Places are
    ``cell_m`` cells; a detection counts the scenes with a detection in its cell or the 8 around."""
    n = detections.num_rows
    if n == 0:
        return np.zeros(0, bool)
    lat = detections["lat"].to_numpy(zero_copy_only=False).astype(float)
    lon = detections["lon"].to_numpy(zero_copy_only=False).astype(float)
    img = detections["image"].to_pylist()
    n_scenes = len(set(img))
    ok = ~np.isnan(lat)
    lat0 = float(np.nanmean(lat)) if ok.any() else 0.0
    cy = np.floor(np.nan_to_num(lat) * 111_195.0 / cell_m).astype(np.int64)
    cx = np.floor(np.nan_to_num(lon) * 111_195.0 * np.cos(np.radians(lat0)) / cell_m).astype(np.int64)
    cells: dict[tuple[int, int], set] = {}
    for i in np.flatnonzero(ok):
        cells.setdefault((cy[i], cx[i]), set()).add(img[i])
    out = np.zeros(n, bool)
    for i in np.flatnonzero(ok):
        seen: set = set()
        for dy in (-1, 0, 1):
            for dx in (-1, 0, 1):
                seen |= cells.get((cy[i] + dy, cx[i] + dx), set())
        out[i] = len(seen) >= min_fraction * n_scenes
    return out


def weekly(rows: list[dict], columns: list[str]) -> list[dict]:
    """Weekly means of ``columns`` over the per-scene ``rows`` (which need ``time``)."""
    by: dict[str, list[dict]] = {}
    for r in rows:
        if r.get("time"):
            by.setdefault(week_of(r["time"]), []).append(r)
    return [{"week": w, "scenes": len(rs), **{c: round(float(np.mean([r[c] for r in rs])), 3) for c in columns}}
            for w, rs in sorted(by.items())]


__all__ = ["fixed_structures", "scene_counts", "weekly"]
