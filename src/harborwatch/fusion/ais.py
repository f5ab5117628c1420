"""AIS at the acquisition time: each vessel's position at ``t`` and how far it may have moved."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from harborwatch.fusion.params import KN, Fusion
from harborwatch.tracks.algorithms import Segment
from harborwatch.tracks.kernels import segment_track

#: The track segmentation's time-step floor and number of hulls followed at once.
_SEGMENT = Segment()

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


def _at(ts: np.ndarray, lat: np.ndarray, lon: np.ndarray, sog: np.ndarray, t_ms: int, p: Fusion) -> dict:
    """One hull's position at ``t_ms`` from its fixes (sorted by time): interpolated between the
    fixes either side, else the nearest fix, with the distance a detection may lie from it."""
    k = int(np.searchsorted(ts, t_ms))
    before, after = k - 1, k
    if before >= 0 and after < len(ts):
        w = (t_ms - ts[before]) / max(ts[after] - ts[before], 1)
        la, lo = lat[before] + w * (lat[after] - lat[before]), lon[before] + w * (lon[after] - lon[before])
        dt = min(t_ms - ts[before], ts[after] - t_ms) / 1000.0
        s = np.nanmax([sog[before], sog[after]]) if not np.all(np.isnan([sog[before], sog[after]])) else np.nan
    else:
        j = before if before >= 0 else after
        la, lo, dt, s = lat[j], lon[j], abs(t_ms - ts[j]) / 1000.0, sog[j]
    speed = p.unknown_speed_kn if np.isnan(s) else max(float(s), p.min_speed_kn)
    return {"lat": float(la), "lon": float(lo), "dt_s": float(dt), "allowed_m": p.base_distance_m + speed * KN * dt}


def hulls(ts: np.ndarray, lat: np.ndarray, lon: np.ndarray, p: Fusion) -> list[np.ndarray]:
    """One MMSI's fixes (sorted by time) split into hulls: physically consistent chains (the track
    segmentation's rule, :func:`~harborwatch.tracks.kernels.segment_track`, at ``max_hull_kn``).
    Two hulls broadcasting one MMSI (a shared or spoofed identity) are two chains, and each has
    its own position at the scene time; interpolating between them would put a vessel in open
    water between the two. Chains of at most ``max_spike_fixes`` fixes are position spikes and are
    left out, unless there is no longer chain."""
    window_ms = int(2 * p.max_dt_s * 1000)  # the whole window around the scene: no chain ends by a gap
    seg = segment_track(ts, lat, lon, np.ones(len(ts), np.bool_), window_ms, p.max_hull_kn, _SEGMENT.min_dt_s,
                        _SEGMENT.max_open)
    chains = [np.flatnonzero(seg == s) for s in np.unique(seg[seg >= 0])]
    real = [c for c in chains if len(c) > p.max_spike_fixes]
    return real or [max(chains, key=len)]


def ais_at(t: pa.Table, t_ms: int, p: Fusion) -> list[dict]:
    """Every vessel's AIS position at ``t_ms`` (see :mod:`harborwatch.fusion`) from the positions
    ``t`` near the scene (:data:`WINDOW`: mmsi, t in epoch ms, lat, lon, sog_kn; ordered by
    mmsi, t): per hull broadcasting the MMSI (:func:`hulls`; nearly always one), interpolated
    between the fixes either side, else the nearest fix, with the distance a detection may lie
    from it."""
    if t.num_rows == 0:
        return []
    m = t["mmsi"].to_numpy()
    ts = t["t"].to_numpy().astype(np.int64)
    lat = t["lat"].to_numpy(zero_copy_only=False).astype(np.float64)
    lon = t["lon"].to_numpy(zero_copy_only=False).astype(np.float64)
    sog = t["sog_kn"].to_numpy(zero_copy_only=False).astype(float)
    out = []
    bounds = np.flatnonzero(np.diff(m)) + 1
    for a, b in zip(np.r_[0, bounds], np.r_[bounds, len(m)], strict=True):
        for c in hulls(ts[a:b], lat[a:b], lon[a:b], p):
            i = c + a
            out.append({"mmsi": int(m[a])} | _at(ts[i], lat[i], lon[i], sog[i], t_ms, p))
    return out


__all__ = ["WINDOW", "ais_at", "hulls", "window_bounds"]
