"""Synthetic radar scenes: Gamma-distributed speckle (L looks) with bright rectangular ships."""

from __future__ import annotations

import numpy as np
import pytest


def ship_scene(shape=(400, 400), ships=((200.0, 200.0, 20, 4, 0.0),), looks=4.4, rcs=60.0, seed=0):
    """Intensity array: sea clutter with mean 1 and ships (row, col, length_px, width_px, angle_deg
    clockwise from up) of mean intensity ``rcs``."""
    rng = np.random.default_rng(seed)
    a = rng.gamma(looks, 1.0 / looks, size=shape).astype(np.float32)
    rr, cc = np.mgrid[0:shape[0], 0:shape[1]]
    for r, c, length, width, ang in ships:
        t = np.radians(ang)
        along = (cc + 0.5 - c) * np.sin(t) - (rr + 0.5 - r) * np.cos(t)
        across = (cc + 0.5 - c) * np.cos(t) + (rr + 0.5 - r) * np.sin(t)
        on = (np.abs(along) <= length / 2) & (np.abs(across) <= width / 2)
        a[on] = rcs * rng.gamma(looks, 1.0 / looks, size=int(on.sum()))
    return a


@pytest.fixture
def scene_maker():
    return ship_scene
