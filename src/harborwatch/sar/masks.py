"""Land masks for radar scenes: the packaged 1 km land mask buffered by a distance, plus
user-supplied polygons (GeoJSON in lon / lat; quays, breakwaters, fish farms, wind farms), minus
user-supplied *water* polygons (harbour basins, which a 1 km mask often calls land).

The packaged mask (``harborwatch.geo.landmask``, from PyPI ``global-land-mask``) is sampled
at pixel centres on a coarse stride (about 100 m, never coarser than the mask's own 1 km), the
buffer is a dilation with a disc of ``buffer_m`` on that coarse grid, and the result is
expanded to full resolution. User polygons (masked or water) are not buffered; they are tested
at every pixel (see :func:`polygon_pixels`).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from harborwatch.core.errors import FormatError
from harborwatch.geo.landmask import is_land
from harborwatch.sar.scene import Scene


def _disc(radius: float) -> np.ndarray:
    r = int(np.ceil(radius))
    y, x = np.mgrid[-r:r + 1, -r:r + 1]
    return x * x + y * y <= radius * radius + 1e-9


def read_polygons(path: Path, crs: str | None = None, where: dict | None = None):
    """Polygons of a GeoJSON file (FeatureCollection, Feature or geometry) as one shapely geometry
    in lon / lat. Files in projected coordinates (like the Latakia zones, UTM 36N) need ``crs``;
    ``where`` keeps only the features whose properties have these values."""
    import shapely
    from shapely.geometry import shape

    try:
        doc = json.loads(Path(path).read_text())
        feats = doc["features"] if doc.get("type") == "FeatureCollection" else [doc]
        if where:
            feats = [f for f in feats if all((f.get("properties") or {}).get(k) == v for k, v in where.items())]
        geoms = [shape(f["geometry"] if f.get("type") == "Feature" else f) for f in feats]
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as e:
        raise FormatError(f"not a GeoJSON polygon file ({e})", source=str(path)) from e
    polys = [g for g in geoms if g.geom_type in ("Polygon", "MultiPolygon")]
    if not polys:
        raise FormatError("no polygons in the file", source=str(path))
    geom = shapely.union_all(polys)
    x0, y0, x1, y1 = geom.bounds
    if crs is None and max(abs(x0), abs(x1)) <= 180 and max(abs(y0), abs(y1)) <= 90:
        return geom
    if crs is None:
        raise FormatError("the polygons are in projected coordinates", source=str(path),
                          hint="give their CRS (e.g. --polygons-crs EPSG:32636)")
    from pyproj import Transformer

    t = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    return shapely.transform(geom, lambda xy: np.column_stack(t.transform(xy[:, 0], xy[:, 1])))


def land_mask(scene: Scene, window: tuple[int, int, int, int], buffer_m: float = 500.0, user=None,
              stride_m: float = 100.0, water=None) -> np.ndarray:
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
    full = np.repeat(np.repeat(coarse, step, axis=0), step, axis=1)
    off = pad * step
    mask = full[off:off + shape[0], off:off + shape[1]]
    if water is not None:  # harbour basins etc.: water whatever the 1 km mask says (not buffered)
        mask &= ~polygon_pixels(scene, water, window)
    if user is not None:  # user polygons are drawn as given, not buffered
        mask |= polygon_pixels(scene, user, window)
    return mask


def polygon_pixels(scene: Scene, geom, window: tuple[int, int, int, int]) -> np.ndarray:
    """Pixels of ``window`` whose centres lie in ``geom`` (lon / lat), tested at every pixel: the
    polygons are projected into pixel coordinates once (affine scenes) and only the part of
    the window under their bounds is tested; GCP scenes test lon / lat per pixel."""
    import shapely

    r0, r1, c0, c1 = window
    out = np.zeros((r1 - r0, c1 - c0), bool)
    if scene.geotransform is not None:
        g = scene.geotransform
        inv = np.linalg.inv(np.array([[g[1], g[2]], [g[4], g[5]]]))

        def to_px(xy):
            if scene.crs not in (None, "EPSG:4326"):
                from pyproj import Transformer

                x, y = Transformer.from_crs("EPSG:4326", scene.crs, always_xy=True).transform(xy[:, 0], xy[:, 1])
                xy = np.column_stack([x, y])
            d = xy - np.array([g[0], g[3]])
            cr = d @ inv.T
            return cr  # (col, row)

        px = shapely.transform(geom, to_px)
        bc0, br0, bc1, br1 = px.bounds
        rr0, rr1 = max(r0, int(np.floor(br0))), min(r1, int(np.ceil(br1)) + 1)
        cc0, cc1 = max(c0, int(np.floor(bc0))), min(c1, int(np.ceil(bc1)) + 1)
        if rr0 >= rr1 or cc0 >= cc1:
            return out
        cc, rr = np.meshgrid(np.arange(cc0, cc1) + 0.5, np.arange(rr0, rr1) + 0.5)
        out[rr0 - r0:rr1 - r0, cc0 - c0:cc1 - c0] = shapely.contains_xy(px, cc, rr)
        return out
    cc, rr = np.meshgrid(np.arange(c0, c1) + 0.5, np.arange(r0, r1) + 0.5)
    lon, lat = scene.lonlat(rr.ravel(), cc.ravel())
    return shapely.contains_xy(geom, np.asarray(lon), np.asarray(lat)).reshape(out.shape)


__all__ = ["land_mask", "read_polygons"]
