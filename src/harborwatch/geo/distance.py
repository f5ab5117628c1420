"""Spherical geometry on WGS 84 coordinates in degrees, as numba functions.

Distances are great-circle distances on a sphere of radius :data:`EARTH_RADIUS_M`
(the IUGG mean radius), in metres; the error against the ellipsoid is below 0.5 %,
far below AIS position noise at the distances the event rules use (hundreds of metres
to kilometres). Every function works across the antimeridian.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

EARTH_RADIUS_M = 6_371_008.8
KNOT_M_S = 1852.0 / 3600.0  # one knot in metres per second


@njit(cache=True, inline="always")
def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres between two points given in degrees."""
    return haversine_cos_m(lat1, lon1, lat_cos(lat1), lat2, lon2, lat_cos(lat2))


@njit(cache=True, inline="always")
def lat_cos(lat: float) -> float:
    """Cosine of a latitude in degrees, as :func:`haversine_cos_m` takes it."""
    return math.cos(math.radians(lat))


@njit(cache=True)
def lat_cos_array(lat: np.ndarray) -> np.ndarray:
    """:func:`lat_cos` of every latitude (the same libm call, so the same bits; NumPy's own
    vectorised cosine may differ in the last bit)."""
    out = np.empty(lat.shape[0], np.float64)
    for i in range(lat.shape[0]):
        out[i] = lat_cos(lat[i])
    return out


@njit(cache=True, inline="always")
def haversine_cos_m(lat1: float, lon1: float, cos1: float, lat2: float, lon2: float, cos2: float) -> float:
    """:func:`haversine_m` given each point's :func:`lat_cos` (loops that meet a point several
    times compute it once); the same arithmetic, so the same result to the last bit."""
    dp = math.radians(lat2) - math.radians(lat1)
    dl = math.radians(lon2 - lon1)
    a = math.sin(dp / 2.0) ** 2 + cos1 * cos2 * math.sin(dl / 2.0) ** 2
    a = min(a, 1.0)
    return 2.0 * EARTH_RADIUS_M * math.asin(math.sqrt(a))


def haversine_m_array(lat1, lon1, lat2, lon2) -> np.ndarray:
    """:func:`haversine_m` for NumPy arrays (broadcasting), outside numba code."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    a = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(np.radians(np.subtract(lon2, lon1)) / 2) ** 2
    return 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.minimum(a, 1.0)))


def bearing_deg_array(lat1, lon1, lat2, lon2) -> np.ndarray:
    """Initial great-circle bearing from point 1 to point 2, degrees clockwise from north in
    [0, 360), for NumPy arrays (broadcasting)."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dl = np.radians(np.subtract(lon2, lon1))
    y = np.sin(dl) * np.cos(p2)
    x = np.cos(p1) * np.sin(p2) - np.sin(p1) * np.cos(p2) * np.cos(dl)
    return (np.degrees(np.arctan2(y, x)) + 360.0) % 360.0


@njit(cache=True, inline="always")
def speed_kn(distance_m: float, dt_ms: float, min_dt_s: float) -> float:
    """Implied speed in knots for ``distance_m`` covered in ``dt_ms`` (dt floored at ``min_dt_s``)."""
    dt = dt_ms / 1000.0
    dt = max(dt, min_dt_s)
    return distance_m / dt / KNOT_M_S


@njit(cache=True, inline="always")
def interpolate(lat1: float, lon1: float, lat2: float, lon2: float, f: float) -> tuple[float, float]:
    """Linear interpolation at fraction ``f`` (0..1), taking the short way across the antimeridian."""
    dl = lon2 - lon1
    if dl > 180.0:
        dl -= 360.0
    elif dl < -180.0:
        dl += 360.0
    lon = lon1 + f * dl
    if lon > 180.0:
        lon -= 360.0
    elif lon < -180.0:
        lon += 360.0
    return lat1 + f * (lat2 - lat1), lon


@njit(cache=True)
def ecef_m(lat: float, lon: float) -> tuple[float, float, float]:
    """Earth-centred coordinates in metres on the sphere (used for antimeridian-free spatial buckets)."""
    p = math.radians(lat)
    lam = math.radians(lon)
    c = math.cos(p)
    return EARTH_RADIUS_M * c * math.cos(lam), EARTH_RADIUS_M * c * math.sin(lam), EARTH_RADIUS_M * math.sin(p)


@njit(cache=True)
def circular_mean_lon(lon: np.ndarray) -> float:
    """Mean longitude in degrees that is correct across the antimeridian."""
    s = 0.0
    c = 0.0
    for x in lon:
        r = math.radians(x)
        s += math.sin(r)
        c += math.cos(r)
    return math.degrees(math.atan2(s, c))
