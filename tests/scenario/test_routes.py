"""Regional sea routes stay on water; long-haul legs come from searoute."""

from __future__ import annotations

import numpy as np

from harborwatch.geo.landmask import is_land
from harborwatch.scenario.routes import SeaGrid, _hav, _segment_points, polyline_length_m, searoute_leg

RAJIN = (42.233333, 130.3)
VOSTOCHNY = (42.75, 133.083333)
POSYET = (42.6528, 130.8042)


def _land_fraction(pts: np.ndarray, ends: list, harbour_m: float) -> float:
    samples = np.concatenate([_segment_points(tuple(a), tuple(b), 300.0) for a, b in zip(pts, pts[1:], strict=False)])
    keep = np.ones(len(samples), bool)
    for p in ends:
        keep &= _hav(samples[:, 0], samples[:, 1], p[0], p[1]) > harbour_m
    return float(is_land(samples[keep, 0], samples[keep, 1]).mean())


def test_rajin_to_vostochny_is_on_water():
    g = SeaGrid()
    r = g.route(RAJIN, VOSTOCHNY)
    assert tuple(r[0]) == RAJIN and tuple(r[-1]) == VOSTOCHNY
    assert _land_fraction(r, [RAJIN, VOSTOCHNY], g.harbour_m) == 0.0
    length = polyline_length_m(r)[-1]
    assert 1.0 <= length / _hav(*RAJIN, *VOSTOCHNY) < 1.5  # not absurdly long


def test_enclosed_harbour_is_reached():
    g = SeaGrid()
    r = g.route(POSYET, RAJIN)
    assert len(r) >= 2 and tuple(r[0]) == POSYET
    # beyond the relaxed harbour radius the route is water
    assert _land_fraction(r, [POSYET, RAJIN], g.harbour_m * 3.5) == 0.0


def test_searoute_leg_keeps_its_ends():
    leg = searoute_leg((35.08, 129.06), (42.30, 132.00))
    assert tuple(leg[0]) == (35.08, 129.06) and tuple(leg[-1]) == (42.30, 132.00)
    assert polyline_length_m(leg)[-1] > 800_000
