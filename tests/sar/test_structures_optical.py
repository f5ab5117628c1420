"""New structures in hand-made optical stacks: a bright roof and a dark yard are found and dated
through clouds and changing light; a field's seasons and a short-lived heap are not."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from harborwatch.core.errors import DataError
from harborwatch.sar.optical import OpticalImage
from harborwatch.sar.scene import from_array
from harborwatch.sar.structures_optical import OpticalStructures, find_structures_optical, step

T0 = datetime(2023, 1, 5, tzinfo=UTC)
GROUND = np.array([110.0, 104.0, 84.0])
ROOF = np.array([200.0, 200.0, 196.0])
ASPHALT = np.array([60.0, 60.0, 62.0])
GREEN, BROWN = np.array([70.0, 120.0, 60.0]), np.array([130.0, 110.0, 80.0])


def _stack(k: int = 24, clouds: bool = True, seed: int = 0, built: bool = True) -> list[OpticalImage]:
    """``k`` images of 200 x 200 px at 10 m, one every 15 days: a roof appears at image 9, an asphalt
    yard at image 14 (unless not ``built``), a field turns green in spring and brown in autumn
    every year, a heap stands for four images; light and haze differ per image and band; three
    images have clouds."""
    rng = np.random.default_rng(seed)
    texture = rng.normal(0, 6, (3, 200, 200))
    out = []
    for i in range(k):
        t = T0 + timedelta(days=15 * i)
        img = GROUND[:, None, None] + texture
        if built and i >= 9:
            img[:, 20:40, 30:55] = ROOF[:, None, None]  # 20 x 25 px = 5 ha
        if built and i >= 14:
            img[:, 120:150, 120:145] = ASPHALT[:, None, None]  # 7.5 ha
        season = GREEN if 3 <= t.month <= 8 else BROWN
        img[:, 150:190, 20:60] = season[:, None, None] + texture[:, 150:190, 20:60]
        if 5 <= i < 9:
            img[:, 70:95, 150:180] = ROOF[:, None, None] * 0.9  # a heap, cleared again
        img = img * rng.uniform(0.8, 1.2, 3)[:, None, None] + rng.normal(0, 3, img.shape)
        if clouds and i in (4, 12, 18):
            img[:, 10:70, 20:80] = 250.0  # a cloud, over the roof in two of them
        out.append(OpticalImage(from_array(np.zeros((200, 200), np.float32), name=f"S2_{t:%Y%m%d}", time=t,
                                           pixel_m=10.0), np.clip(img, 1, 255).astype(np.float32)))
    return out


def test_new_roof_and_yard_are_found_and_dated_through_clouds_and_light():
    g = find_structures_optical(_stack())
    got = sorted((f["properties"]["first_seen"], f["properties"]["area_m2"]) for f in g["features"])
    roof_day = (T0 + timedelta(days=15 * 9)).date().isoformat()
    yard_day = (T0 + timedelta(days=15 * 14)).date().isoformat()
    assert [d for d, _ in got] == [roof_day, yard_day]
    assert got[0][1] == pytest.approx(50_000, rel=0.15) and got[1][1] == pytest.approx(75_000, rel=0.15)
    assert all(f["properties"]["change"] >= 0.25 for f in g["features"])
    assert g["properties"]["method"].startswith("largest step in colour")


def test_a_stable_stack_has_no_structures():
    # nothing built: light, haze, the field's seasons, the heap that came and went, and clouds
    for seed in (0, 1, 2):
        assert find_structures_optical(_stack(seed=seed, built=False))["features"] == []


def test_the_step_statistic_finds_the_split():
    x = np.ones((10, 3, 4, 4)) + np.random.default_rng(1).normal(0, 0.02, (10, 3, 4, 4))
    x[6:, :, 1, 1] += 1.0
    split, t2, change = step(x, OpticalStructures())
    assert split[1, 1] == 6 and t2[1, 1] > 1000 and change[1, 1] == pytest.approx(1.0, abs=0.1)
    assert t2[0, 0] < 30


def test_images_must_share_a_grid_and_have_times():
    imgs = _stack(5)
    bad = OpticalImage(imgs[0].scene, imgs[0].bands[:, :100], None, None)
    with pytest.raises(DataError, match="share one grid"):
        find_structures_optical([*imgs[1:], bad])
    with pytest.raises(DataError, match="at least 3"):
        find_structures_optical(imgs[:2])
