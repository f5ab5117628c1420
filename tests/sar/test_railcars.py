"""Rail cars counted along track polylines in a hand-made radar chip."""

from __future__ import annotations

import numpy as np
import pytest
from pyproj import Transformer

from harborwatch.core.errors import DataError
from harborwatch.sar.railcars import RailCars, count_cars, runs
from harborwatch.sar.scene import from_array

GT = (600_000.0, 5.0, 0.0, 4_700_000.0, 0.0, -5.0)  # UTM 52N, 5 m pixels
INV = Transformer.from_crs("EPSG:32652", "EPSG:4326", always_xy=True)


def _yard(trains: list[tuple[int, int, int]], seed: int = 0, n: int = 300):
    """A chip with two sidings (rows 100 and 140) and trains (track, first car's x in m, cars)."""
    rng = np.random.default_rng(seed)
    m = np.full((n, n), 0.1)
    ys = {0: 100, 1: 140}
    for r in ys.values():
        m[r - 1:r + 1, 20:280] = 0.06
    for track, x, cars in trains:
        for k in range(cars):
            c0 = int((x + 15 * k) / 5)
            m[ys[track] - 1:ys[track] + 1, c0:c0 + 3] = 1.5  # 14 m of steel: about 3 px
    sc = from_array((m * rng.gamma(4.4, 1 / 4.4, m.shape)).astype(np.float32), name="yard", pixel_m=5.0,
                    geotransform=GT, crs="EPSG:32652")
    lines = []
    for r in ys.values():
        y = GT[3] - (r + 0.5) * 5.0
        lines.append(np.array([INV.transform(GT[0] + 100.0, y), INV.transform(GT[0] + 1400.0, y)]))
    return sc, lines


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_trains_on_the_sidings_are_counted_car_by_car(seed):
    sc, lines = _yard([(0, 200, 12), (0, 600, 7), (1, 300, 20)], seed)
    c = count_cars(sc, lines)
    assert [t["cars"] for t in c["tracks"]] == [19, 20] and c["cars"] == 39
    assert [t["trains"] for t in c["tracks"]] == [2, 1]


def test_an_empty_yard_has_no_cars():
    sc, lines = _yard([])
    assert count_cars(sc, lines)["cars"] == 0


def test_runs_close_short_gaps_and_drop_specks():
    occ = np.array([0, 1, 1, 0, 1, 1, 0, 0, 0, 1, 0, 1, 1, 1], bool)
    assert runs(occ, max_gap=1, min_run=2) == [(1, 6), (9, 14)]
    assert runs(occ, max_gap=0, min_run=3) == [(11, 14)]


def test_a_scene_without_georeference_is_refused():
    with pytest.raises(DataError, match="georeference"):
        count_cars(from_array(np.ones((10, 10), np.float32), pixel_m=5.0), [np.array([[130.0, 42.0], [130.1, 42.0]])])
    with pytest.raises(DataError, match="railcars.threshold"):
        RailCars(threshold=0)
