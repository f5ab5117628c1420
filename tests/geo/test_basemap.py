"""Land polygons traced from the land mask agree with the mask's own look-ups."""

from __future__ import annotations

import numpy as np
import shapely

from harborwatch.geo.basemap import land_grid, land_polygons
from harborwatch.geo.landmask import is_land


def test_polygons_agree_with_the_mask_around_rason():
    polys = land_polygons(41.5, 43.0, 129.5, 131.5, step=1)
    assert polys and all(p["type"] == "Polygon" for p in polys)
    land = shapely.union_all([shapely.geometry.shape(p) for p in polys])
    rng = np.random.default_rng(3)
    lat, lon = rng.uniform(41.6, 42.9, 3000), rng.uniform(129.6, 131.4, 3000)
    mask = is_land(lat, lon)
    inside = shapely.contains_xy(land, lon, lat)
    assert 0.2 < mask.mean() < 0.8  # the box holds coast, land and sea
    assert (inside == mask).mean() > 0.98  # they differ only within a cell of the coast


def test_grid_is_lat_ascending_and_a_big_box_coarsens_itself():
    lat, lon, land = land_grid(-90, 90, -180, 180, step=1)
    assert np.all(np.diff(lat) > 0) and land.shape == (len(lat), len(lon)) and land.size <= 16_000_000
    assert 0.2 < land.mean() < 0.35  # about 29 % of the globe is land
    assert land_polygons(10.0, 10.5, -30.0, -29.5) == []  # open Atlantic
