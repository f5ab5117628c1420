"""Fusion at the edge: reading the store around each scene, and writing detection chips (PNG)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import numpy as np
import pyarrow as pa

from harborwatch.fusion.ais import WINDOW, window_bounds
from harborwatch.fusion.assign import fuse_tables
from harborwatch.fusion.params import Fusion


def positions_near(store, scene: dict, p: Fusion) -> pa.Table:
    """The store's positions that can place a vessel in the scene (:data:`WINDOW`)."""
    import shapely

    if not scene.get("footprint") or not scene.get("time"):
        return WINDOW.empty_table()
    t_ms = int(datetime.fromisoformat(scene["time"]).timestamp() * 1000)
    w = window_bounds(t_ms, shapely.Polygon(scene["footprint"]).bounds, p)
    t = store.sql(
        "SELECT mmsi, epoch_ms(timestamp) AS t, lat, lon, sog_kn FROM positions "
        "WHERE timestamp BETWEEN make_timestamptz(?::BIGINT * 1000) AND make_timestamptz(?::BIGINT * 1000) "
        "AND lat BETWEEN ? AND ? AND lon BETWEEN ? AND ? AND lat IS NOT NULL ORDER BY mmsi, t",
        [w["t0"], w["t1"], w["lat0"], w["lat1"], w["lon0"], w["lon1"]])
    return t.cast(WINDOW)


def vessel_lengths(store, mmsis: list[int]) -> pa.Table:
    """(mmsi, length_m): each vessel's largest reported length in the store's identity view."""
    if not mmsis:
        return pa.table({"mmsi": pa.array([], pa.uint32()), "length_m": pa.array([], pa.float64())})
    return store.sql("SELECT mmsi, max(length_m) AS length_m FROM identity WHERE mmsi IN ("
                     + ", ".join("?" for _ in mmsis) + ") GROUP BY mmsi", mmsis)


def fuse(store, detections: pa.Table, scenes: list[dict], p: Fusion | None = None, sites=None, water=None,
         progress=None) -> pa.Table:
    """Fused rows of every scene (see :mod:`harborwatch.fusion`), reading AIS from ``store``."""
    p = p or Fusion()
    positions = {sc["image"]: positions_near(store, sc, p) for sc in scenes}
    mmsis = sorted({int(m) for t in positions.values() for m in t["mmsi"].to_pylist()})
    return fuse_tables(detections, scenes, positions, vessel_lengths(store, mmsis), p, sites, water, progress)


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


def write_chips(fused: pa.Table, detections: pa.Table, scenes: list[dict], chips_dir: Path) -> dict[str, str]:
    """A PNG chip (:func:`write_chip`) of every dark detection whose scene can be opened:
    {detection id: path}."""
    dets = {d["detection_id"]: d for d in detections.to_pylist()}
    src = {s["image"]: s.get("source") for s in scenes}
    opened: dict = {}
    out: dict[str, str] = {}
    for r in fused.to_pylist():
        if r["class"] != "dark" or r["time"] is None or r["lat"] is None or not src.get(r["image"]):
            continue
        if r["image"] not in opened:  # each scene opened once, however many chips it gives
            opened[r["image"]] = _open_scene(str(src[r["image"]]))
        if opened[r["image"]] is not None:
            path = write_chip(opened[r["image"]], dets[r["detection_id"]]["bbox_px"],
                              chips_dir / f"{r['detection_id']}.png")
            out[r["detection_id"]] = str(path)
    return out


__all__ = ["fuse", "positions_near", "vessel_lengths", "write_chip", "write_chips"]
