"""Land masks for radar scenes: the packaged 1 km land mask buffered by a distance, plus
user-supplied polygons (GeoJSON in lon / lat; quays, breakwaters, fish farms, wind farms).

The packaged mask (``harborwatch.tracks.landmask``, from PyPI ``global-land-mask``) is sampled
at pixel centres on a coarse stride (about 100 m, never coarser than the mask's own 1 km), the
buffer is a dilation with a disc of ``buffer_m`` on that coarse grid, and the result is
expanded to full resolution. User polygons are not buffered; they are tested at every ``stride``-th pixel centre with
shapely's vectorised ``contains_xy`` and expanded the same way.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from harborwatch.core.errors import FormatError
from harborwatch.sar.scene import Scene
from harborwatch.tracks.landmask import is_land


def _disc(radius: float) -> np.ndarray:
    r = int(np.ceil(radius))
    y, x = np.mgrid[-r:r + 1, -r:r + 1]
    return x * x + y * y <= radius * radius + 1e-9


def read_polygons(path: Path):
    """Polygons of a GeoJSON file (FeatureCollection, Feature or geometry) as one shapely geometry."""
    import shapely
    from shapely.geometry import shape

    try:
        doc = json.loads(Path(path).read_text())
        feats = doc["features"] if doc.get("type") == "FeatureCollection" else [doc]
        geoms = [shape(f["geometry"] if f.get("type") == "Feature" else f) for f in feats]
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as e:
        raise FormatError(f"not a GeoJSON polygon file ({e})", source=str(path)) from e
    polys = [g for g in geoms if g.geom_type in ("Polygon", "MultiPolygon")]
    if not polys:
        raise FormatError("no polygons in the file", source=str(path))
    return shapely.union_all(polys)


def land_mask(scene: Scene, window: tuple[int, int, int, int], buffer_m: float = 500.0, user=None,
              stride_m: float = 100.0) -> np.ndarray:
    """Boolean mask (True = land or masked) of ``window`` = (r0, r1, c0, c1) of a georeferenced
    scene. Scenes without georeference get an all-False mask (nothing known)."""
    r0, r1, c0, c1 = window
    shape = (r1 - r0, c1 - c0)
    if not scene.georeferenced:
        return np.zeros(shape, bool)
    px = scene.pixel_m or 10.0
    step = max(1, int(round(stride_m / px)))
    pad = int(np.ceil(buffer_m / (step * px))) + 1  # coarse cells beyond the window, for the buffer
    rows = np.arange(r0 - pad * step, r1 + pad * step, step) + step / 2
    cols = np.arange(c0 - pad * step, c1 + pad * step, step) + step / 2
    rr, cc = np.meshgrid(rows, cols, indexing="ij")
    lon, lat = scene.lonlat(rr.ravel(), cc.ravel())
    coarse = is_land(np.asarray(lat, np.float64), np.asarray(lon, np.float64)).reshape(rr.shape)
    if buffer_m > 0:
        from scipy.ndimage import binary_dilation

        coarse = binary_dilation(coarse, structure=_disc(buffer_m / (step * px)))
    if user is not None:  # user polygons are drawn as given, not buffered
        import shapely

        coarse |= shapely.contains_xy(user, np.asarray(lon), np.asarray(lat)).reshape(rr.shape)
    full = np.repeat(np.repeat(coarse, step, axis=0), step, axis=1)
    off = pad * step
    return full[off:off + shape[0], off:off + shape[1]]


__all__ = ["land_mask", "read_polygons"]
