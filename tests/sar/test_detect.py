"""Detection on synthetic scenes: ships found once, measured, no false alarms in pure clutter."""

from __future__ import annotations

import pytest

from harborwatch.sar.detect import Detector, candidates, detect
from harborwatch.sar.scene import from_array


def test_ships_found_and_measured(scene_maker):
    ships = ((100.0, 100.0, 20, 4, 0.0), (300.0, 250.0, 30, 5, 45.0), (200.0, 330.0, 12, 3, 90.0))
    s = from_array(scene_maker(ships=ships), name="synthetic", pixel_m=10.0)
    t = detect(s, Detector(use_filter=False)).to_pylist()
    assert len(t) == 3
    for d in t:
        r, c, length, width, ang = min(ships, key=lambda x: (x[0] - d["row"]) ** 2 + (x[1] - d["col"]) ** 2)
        assert abs(d["row"] - r) < 1.5 and abs(d["col"] - c) < 1.5
        assert abs(d["length_m"] - length * 10) <= 25 and d["width_m"] < d["length_m"]
        assert min(abs(d["orientation_deg"] - ang), 180 - abs(d["orientation_deg"] - ang)) < 12
        col0, row0, col1, row1 = d["bbox_px"]
        assert col0 <= d["col"] <= col1 + 1 and row0 <= d["row"] <= row1 + 1


def test_pure_clutter_gives_no_detection(scene_maker):
    s = from_array(scene_maker(ships=()), pixel_m=10.0)
    assert detect(s, Detector(use_filter=False, min_pixels=3)).num_rows == 0


@pytest.mark.parametrize("tile_px", [64, 100, 4096])
def test_tiling_gives_the_same_detections(scene_maker, tile_px):
    """A ship across tile edges is reported once, and tiles do not change any statistic."""
    ships = ((128.0, 128.0, 30, 5, 30.0), (64.0, 300.0, 16, 4, 90.0), (350.0, 64.0, 16, 4, 0.0))
    a = scene_maker(ships=ships, seed=3)
    whole = candidates(from_array(a, pixel_m=10.0), Detector(tile_px=4096))
    tiled = candidates(from_array(a, pixel_m=10.0), Detector(tile_px=tile_px))
    key = sorted((round(d["row"], 6), round(d["col"], 6), d["area_px"]) for d in whole)
    assert key == sorted((round(d["row"], 6), round(d["col"], 6), d["area_px"]) for d in tiled)
    assert len(whole) >= 3


def test_filter_scores_ships_above_clutter_spikes(scene_maker):
    a = scene_maker(ships=((100.0, 100.0, 24, 5, 20.0),), seed=5)
    a[300, 300] = 40.0  # a single bright pixel
    s = from_array(a, pixel_m=10.0)
    from harborwatch.sar.filter import FalseAlarmFilter

    raw = sorted(candidates(s, Detector()), key=lambda d: d["row"])
    assert len(raw) == 2
    ship, spike = FalseAlarmFilter.packaged().predict(raw)
    assert ship > 0.99 and spike < ship
    t = detect(s, Detector(min_score=0.99)).to_pylist()
    assert len(t) == 1 and abs(t[0]["row"] - 100) < 2


def test_detection_ids_are_content_hashes(scene_maker):
    s = from_array(scene_maker(), name="x", pixel_m=10.0)
    a = detect(s, Detector(use_filter=False))["detection_id"].to_pylist()
    assert a == detect(s, Detector(use_filter=False))["detection_id"].to_pylist()
    assert a != detect(s, Detector(use_filter=False, k=4.5))["detection_id"].to_pylist()


def test_georeferenced_scene_gives_lon_lat_and_masks_land(scene_maker):
    """A 400 x 400 scene at 10 m in UTM 52N on the coast south of Rajin: its west is land on the
    packaged mask, its east sea. The "ship" on land is masked; the one at sea is found with lon/lat."""
    from harborwatch.geo.landmask import is_land

    a = scene_maker(ships=((200.0, 350.0, 20, 4, 0.0), (200.0, 20.0, 20, 4, 0.0)), seed=2)
    x0, y0 = 610_000.0, 4_676_000.0
    s = from_array(a, name="geo", pixel_m=10.0, geotransform=(x0, 10.0, 0.0, y0, 0.0, -10.0), crs="EPSG:32652")
    lon, lat = s.lonlat([200.5, 200.5], [20.5, 350.5])
    assert list(is_land(lat, lon)) == [True, False]
    assert 130.3 < lon[0] < 130.4 and 42.1 < lat[0] < 42.3
    t = detect(s, Detector(use_filter=False)).to_pylist()
    assert len(t) == 1 and abs(t[0]["col"] - 350) < 2
    assert abs(t[0]["lon"] - lon[1]) < 0.001 and abs(t[0]["lat"] - lat[1]) < 0.001
    both = detect(s, Detector(use_filter=False, land_buffer_m=-1)).num_rows  # negative: no land mask
    assert both == 2


def test_gamma_cfar_finds_the_ships_and_no_clutter(scene_maker):
    ships = ((100.0, 100.0, 20, 4, 0.0), (300.0, 250.0, 30, 5, 45.0))
    s = from_array(scene_maker(ships=ships, seed=9), pixel_m=10.0)
    t = detect(s, Detector(method="gamma", pfa=1e-9, use_filter=False)).to_pylist()
    assert sorted((round(d["row"] / 10), round(d["col"] / 10)) for d in t) == [(10, 10), (30, 25)]
    assert detect(from_array(scene_maker(ships=()), pixel_m=10.0), Detector(method="gamma", pfa=1e-9,
                                                                              use_filter=False)).num_rows == 0


def _bars(widths: list[int], gap: int, length: int = 30, bright: float = 10.0):
    """Pixels of parallel bars (hulls) along the columns, ``gap`` dark rows between them."""
    import numpy as np

    rows, cols = [], []
    r = 0
    for w in widths:
        for dr in range(w):
            rows += [r + dr] * length
            cols += list(range(length))
        r += w + gap
    rr, cc = np.array(rows), np.array(cols)
    return rr, cc, np.full(len(rr), bright)


@pytest.mark.parametrize(("widths", "gap", "parts"), [([5], 0, 1), ([4, 4], 1, 2), ([5, 3, 4], 2, 3), ([6, 6], 0, 1)])
def test_side_by_side_cuts_at_the_dark_strips_between_hulls(widths, gap, parts):
    """A gap of water between hulls is a valley of the profile across them; touching hulls
    (no gap) and one hull are not split."""
    import numpy as np

    from harborwatch.sar.detect import side_by_side

    rr, cc, w = _bars(widths, gap)
    got = side_by_side(rr, cc, w, 0.5)
    assert len(got) == parts
    # every part is one hull, whole: the parts' row sets are the bars' rows
    assert sorted(len(np.unique(rr[g])) for g in got) == sorted(widths if parts > 1 else [sum(widths)])


def test_side_by_side_keeps_a_hull_with_a_brighter_keel():
    """A hull whose middle is brighter (or whose sides are dimmer) is one ship."""
    import numpy as np

    from harborwatch.sar.detect import side_by_side

    rr, cc, w = _bars([7], 0)
    w = w * np.array([0.6, 0.8, 1.0, 1.4, 1.0, 0.8, 0.6])[rr]
    assert len(side_by_side(rr, cc, w, 0.5)) == 1
    # a strip at half the brightness of the weaker side is a valley; at 0.7 it is not
    rr, cc, w = _bars([7], 0)
    assert len(side_by_side(rr, cc, np.where(rr == 3, 0.5 * w, w), 0.5)) == 2
    assert len(side_by_side(rr, cc, np.where(rr == 3, 0.7 * w, w), 0.5)) == 1
