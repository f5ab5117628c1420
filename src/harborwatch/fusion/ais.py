"""AIS at the acquisition time: each vessel's position at ``t`` and how far it may have moved."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from harborwatch.fusion.params import KN, Fusion

#: The positions fusion reads around a scene (ordered by mmsi, t).
WINDOW = pa.schema([
    pa.field("mmsi", pa.uint32()), pa.field("t", pa.int64()), pa.field("lat", pa.float64()),
    pa.field("lon", pa.float64()), pa.field("sog_kn", pa.float32()),
])


def window_bounds(t_ms: int, bbox: tuple[float, float, float, float], p: Fusion) -> dict[str, float]:
    """The time and space window of positions that can place a vessel in a scene of this time
    and footprint bounds (lon0, lat0, lon1, lat1): fixes within ``max_dt_s``, within the
    distance the fastest assumed vessel covers in that time."""
    lo0, la0, lo1, la1 = bbox
    margin = p.unknown_speed_kn * KN * p.max_dt_s / 111_000.0
    dlon = margin / max(np.cos(np.radians(la1)), 0.1)
    return {"t0": int(t_ms - p.max_dt_s * 1000), "t1": int(t_ms + p.max_dt_s * 1000),
            "lat0": float(la0 - margin), "lat1": float(la1 + margin),
            "lon0": float(lo0 - dlon), "lon1": float(lo1 + dlon)}


def ais_at(t: pa.Table, t_ms: int, p: Fusion) -> list[dict]:
    """Every vessel's AIS position at ``t_ms`` (see :mod:`harborwatch.fusion`) from the positions
    ``t`` near the scene (:data:`WINDOW`: mmsi, t in epoch ms, lat, lon, sog_kn; ordered by
    mmsi, t): interpolated between the fixes either side, else the nearest fix, with the
    distance a detection may lie from it."""
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


__all__ = ["WINDOW", "ais_at", "window_bounds"]
