"""Land / sea look-ups on the 1 km GLOBE land mask of PyPI ``global-land-mask``.

That package decompresses its whole mask (21,600 x 43,200 booleans, about 0.9 GB) on import,
which takes seconds in every process. Here the mask is bit-packed once (116 MB) into the user
cache and memory-mapped afterwards, so worker processes share one copy through the page
cache and start in milliseconds. Look-ups give exactly ``global_land_mask.globe.is_land``
(same grid, same index rounding); lakes count as land, as there.

Cache location: ``$HARBORWATCH_CACHE``, else ``$XDG_CACHE_HOME/harborwatch``, else
``~/.cache/harborwatch``. When it cannot be written the packed mask stays in memory.
"""

from __future__ import annotations

import json
import os
import tempfile
from functools import lru_cache
from pathlib import Path

import numpy as np
from numba import njit

_FORMAT = 1  # bump when the cached layout changes


def cache_dir() -> Path:
    env = os.environ.get("HARBORWATCH_CACHE")
    if env:
        return Path(env)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "harborwatch"


def _source_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("global-land-mask")
    except PackageNotFoundError:  # pragma: no cover - installed as a dependency
        return "unknown"


def _build() -> tuple[np.ndarray, dict]:
    from global_land_mask import globe

    land = ~globe._mask
    packed = np.packbits(land, axis=1, bitorder="big")
    lat, lon = globe._lat, globe._lon
    meta = {"format": _FORMAT, "source": f"global-land-mask {_source_version()}",
            "shape": list(land.shape),
            "lat0": float(lat[0]), "dlat": float(lat[1] - lat[0]), "lat_min": float(lat.min()),
            "lat_max": float(lat.max()),
            "lon0": float(lon[0]), "dlon": float(lon[1] - lon[0]), "lon_min": float(lon.min()),
            "lon_max": float(lon.max())}
    return packed, meta


@lru_cache(maxsize=1)
def _mask() -> tuple[np.ndarray, dict]:
    stem = f"landmask-globe-{_source_version()}-f{_FORMAT}"
    d = cache_dir()
    data, info = d / f"{stem}.npy", d / f"{stem}.json"
    if data.exists() and info.exists():
        try:
            return np.load(data, mmap_mode="r"), json.loads(info.read_text())
        except (OSError, ValueError):
            pass  # a damaged cache file: build it again
    packed, meta = _build()
    try:
        d.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=d, suffix=".npy", delete=False) as f:
            np.save(f, packed)
        os.chmod(f.name, 0o644)
        os.replace(f.name, data)
        info.write_text(json.dumps(meta))
        return np.load(data, mmap_mode="r"), meta
    except OSError:
        return packed, meta


@njit(cache=True, nogil=True)
def _bit(packed, la, lo, lat0, dlat, lat_min, lat_max, lon0, dlon, lon_min, lon_max):  # pragma: no cover
    la = min(max(la, lat_min), lat_max)
    lo = min(max(lo, lon_min), lon_max)
    i = int((la - lat0) / dlat)
    j = int((lo - lon0) / dlon)
    return (packed[i, j >> 3] >> (7 - (j & 7))) & 1


@njit(cache=True, nogil=True)
def _lookup(lat, lon, packed, lat0, dlat, lat_min, lat_max, lon0, dlon, lon_min, lon_max):  # pragma: no cover
    out = np.zeros(lat.shape[0], np.bool_)
    for k in range(lat.shape[0]):
        la, lo = lat[k], lon[k]
        if np.isnan(la) or np.isnan(lo):
            continue
        out[k] = _bit(packed, la, lo, lat0, dlat, lat_min, lat_max, lon0, dlon, lon_min, lon_max)
    return out


@njit(cache=True, nogil=True)
def _lookup_margin(lat, lon, test, margin_m, packed, lat0, dlat, lat_min, lat_max, lon0, dlon, lon_min,
                   lon_max):  # pragma: no cover
    out = np.zeros(lat.shape[0], np.bool_)
    dl = margin_m / 111_195.0
    r = 0.7071
    # (degrees north, multiple of the longitude step) of the 8 points around a fix
    ring = ((dl, 0.0), (-dl, 0.0), (0.0, 1.0), (0.0, -1.0), (r * dl, r), (r * dl, -r), (-r * dl, r), (-r * dl, -r))
    for k in range(lat.shape[0]):
        la0, lo0 = lat[k], lon[k]
        if not test[k] or np.isnan(la0) or np.isnan(lo0):
            continue
        lo0 = (lo0 + 180.0) % 360.0 - 180.0
        if not _bit(packed, la0, lo0, lat0, dlat, lat_min, lat_max, lon0, dlon, lon_min, lon_max):
            continue
        dlon_k = dl / max(np.cos(np.radians(la0)), 0.01)
        land = True
        for q in range(8):
            la = min(max(la0 + ring[q][0], -89.999), 89.999)
            lo = (lon[k] + ring[q][1] * dlon_k + 180.0) % 360.0 - 180.0
            if np.isnan(lo) or not _bit(packed, la, lo, lat0, dlat, lat_min, lat_max, lon0, dlon, lon_min, lon_max):
                land = False
                break
        out[k] = land
    return out


def is_land_with_margin(lat: np.ndarray, lon: np.ndarray, margin_m: float, where: np.ndarray | None = None
                        ) -> np.ndarray:
    """True where (lat, lon) (degrees; any longitude) and the 8 points ``margin_m`` around it
    (north, south, east, west and the diagonals) are all on land cells; False at NaN and where
    ``where`` (optional bool mask) is False, which skips those look-ups."""
    packed, m = _mask()
    lat = np.ascontiguousarray(lat, np.float64).reshape(-1)
    lon = np.ascontiguousarray(lon, np.float64).reshape(-1)
    test = np.ones(len(lat), np.bool_) if where is None else np.ascontiguousarray(where, np.bool_).reshape(-1)
    return _lookup_margin(lat, lon, test, float(margin_m), packed, m["lat0"], m["dlat"], m["lat_min"], m["lat_max"],
                          m["lon0"], m["dlon"], m["lon_min"], m["lon_max"])


def is_land(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """True where (lat, lon) (degrees, WGS 84; lon in [-180, 180]) falls on a land cell; NaN: False."""
    packed, m = _mask()
    lat = np.ascontiguousarray(lat, np.float64).reshape(-1)
    lon = np.ascontiguousarray(lon, np.float64).reshape(-1)
    return _lookup(lat, lon, packed, m["lat0"], m["dlat"], m["lat_min"], m["lat_max"], m["lon0"], m["dlon"],
                   m["lon_min"], m["lon_max"])


__all__ = ["cache_dir", "is_land", "is_land_with_margin"]
