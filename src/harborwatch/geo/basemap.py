"""Land polygons for an offline basemap, traced from the packaged 1 km GLOBE land mask.

The web map (``harborwatch serve``) draws land from these polygons: no tile server, no internet.
The mask is the one :mod:`harborwatch.geo.landmask` looks points up in (PyPI ``global-land-mask``,
lakes count as land), so the map shows exactly the land the events' on-land checks use.

:func:`land_polygons` traces the outlines of land cells in a lat/lon box with contourpy (a
matplotlib dependency), at a stride of ``step`` mask cells (1 = full 30 arc-second resolution,
about 0.9 km; the world at step 24 is a 0.2 degree sketch), and returns GeoJSON polygons with holes.
"""

from __future__ import annotations

import numpy as np

from harborwatch.geo.landmask import _mask

#: the most mask cells one call traces (rows x columns after the stride)
MAX_CELLS = 16_000_000


def land_grid(lat_min: float, lat_max: float, lon_min: float, lon_max: float, step: int = 1
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(lat, lon, land) of the mask cells in the box (clipped to the globe), every ``step``-th row
    and column, the stride raised as needed to stay under :data:`MAX_CELLS`; ``land`` is a
    (len(lat), len(lon)) bool array, lat ascending."""
    lat_min, lat_max = max(lat_min, -90.0), min(lat_max, 90.0)
    lon_min, lon_max = max(lon_min, -180.0), min(lon_max, 180.0)
    step = max(int(step), 1)
    packed, m = _mask()
    rows = np.arange(packed.shape[0])
    lat_all = m["lat0"] + rows * m["dlat"]
    r = rows[(lat_all >= lat_min) & (lat_all <= lat_max)][::step]
    ncols = m["shape"][1]
    lon_all = m["lon0"] + np.arange(ncols) * m["dlon"]
    c = np.flatnonzero((lon_all >= lon_min) & (lon_all <= lon_max))[::step]
    while len(r) * len(c) > MAX_CELLS:
        step *= 2
        r, c = r[::2], c[::2]
    if len(r) == 0 or len(c) == 0:
        return lat_all[r], lon_all[c], np.zeros((len(r), len(c)), bool)
    block = np.asarray(packed[r.min():r.max() + 1])[r - r.min()]
    bits = np.unpackbits(block[:, c.min() // 8:c.max() // 8 + 1], axis=1, bitorder="big")
    land = bits[:, c - (c.min() // 8) * 8].astype(bool)
    order = np.argsort(lat_all[r])
    return lat_all[r][order], lon_all[c], land[order]


def _ring(points: np.ndarray, digits: int) -> list[list[float]]:
    ring = np.round(points, digits).tolist()
    if ring and ring[0] != ring[-1]:
        ring.append(ring[0])
    return ring


def land_polygons(lat_min: float, lat_max: float, lon_min: float, lon_max: float, step: int = 1,
                  digits: int = 4) -> list[dict]:
    """GeoJSON Polygon geometries (lon, lat; holes kept) of the land in the box, traced at the
    half-way level between land and sea cells. The box is padded with sea, so polygons touching its
    edge close along it. Coordinates are rounded to ``digits`` decimals."""
    from contourpy import FillType, contour_generator

    lat, lon, land = land_grid(lat_min, lat_max, lon_min, lon_max, step)
    if land.size == 0 or not land.any():
        return []
    z = np.pad(land.astype(np.float32), 1)
    dlat = lat[1] - lat[0] if len(lat) > 1 else 0.01
    dlon = lon[1] - lon[0] if len(lon) > 1 else 0.01
    # the padding sits half a cell outside the box, so the traced edge is the box edge
    y = np.concatenate(([lat[0] - dlat / 2], lat, [lat[-1] + dlat / 2]))
    x = np.concatenate(([lon[0] - dlon / 2], lon, [lon[-1] + dlon / 2]))
    gen = contour_generator(x, y, z, fill_type=FillType.OuterOffset)
    filled = gen.filled(0.5, 2.0)
    points, offsets = filled[0], filled[1]
    out = []
    for pts, offs in zip(points, offsets):
        if pts is None or offs is None:
            continue
        rings = [_ring(pts[a:b], digits) for a, b in zip(offs[:-1], offs[1:])]
        rings = [r for r in rings if len(r) >= 4]
        if rings:
            out.append({"type": "Polygon", "coordinates": rings})
    return out
