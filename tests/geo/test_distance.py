"""Bearings on the sphere."""

from __future__ import annotations

import numpy as np
import pytest

from harborwatch.geo.distance import bearing_deg_array


@pytest.mark.parametrize(("to", "expected"), [((43.0, 130.0), 0.0), ((42.0, 131.0), 89.66), ((41.0, 130.0), 180.0),
                                              ((42.0, 129.0), 270.34)])
def test_bearing_from_42n_130e(to, expected):
    assert float(bearing_deg_array(42.0, 130.0, *to)) == pytest.approx(expected, abs=0.01)


def test_bearing_across_the_antimeridian_broadcasts():
    got = bearing_deg_array(0.0, 179.9, np.array([0.0, 0.0]), np.array([-179.9, 179.8]))
    assert got == pytest.approx([90.0, 270.0])
