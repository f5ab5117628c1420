"""The scenario's storyline: where vessels moor."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from harborwatch.geo.distance import haversine_m
from harborwatch.scenario import Scenario
from harborwatch.scenario.config import default_sites
from harborwatch.scenario.model import Hold
from harborwatch.scenario.routes import SeaGrid
from harborwatch.scenario.story import BERTH_JITTER_M, BERTH_SPACING_M, berth_slots, build


def test_berths_are_a_lattice_inside_the_port_nearest_first():
    slots = berth_slots(400.0)
    assert len(slots) == 19  # the centre and rings of 6, 6 and 6
    r = [np.hypot(n, e) for n, e in slots]
    assert max(r) <= 400.0 and r == sorted(r) and slots[0] == (0.0, 0.0)
    gaps = [np.hypot(a[0] - b[0], a[1] - b[1]) for a, b in itertools.combinations(slots, 2)]
    assert min(gaps) == pytest.approx(BERTH_SPACING_M)
    assert berth_slots(100.0) == ((0.0, 0.0),)  # a port smaller than the spacing has one berth


@pytest.fixture(scope="module")
def fleet():
    cfg = Scenario(days=120, vessels=20)
    sites = default_sites()
    return build(np.random.default_rng(cfg.seed), sites, SeaGrid(), cfg.t_start, cfg.t_end, cfg.vessels), sites


def _moored(fleet, sites):
    """(vessel, site, t0, t1, lat, lon) of every hold within 400 m of a port."""
    f, s = fleet, sites
    out = []
    for v in f.vessels:
        for h in v.segments:
            if not isinstance(h, Hold):
                continue
            for site, (la, lo) in s.pos.items():
                if haversine_m(h.lat, h.lon, la, lo) <= min(400.0, s.radius.get(site, 500.0)) + BERTH_JITTER_M:
                    out.append((v.key, site, h.t0, h.t1, h.lat, h.lon))
    return out


def test_hulls_moored_at_the_same_time_keep_their_distance(fleet):
    moored = _moored(*fleet)
    pairs = [(a, b) for a, b in itertools.combinations(moored, 2)
             if a[0] != b[0] and a[1] == b[1] and a[2] < b[3] and b[2] < a[3]]
    assert len(pairs) > 50  # busy ports: the check has something to check
    nearest = min(haversine_m(a[4], a[5], b[4], b[5]) for a, b in pairs)
    # each a few metres off its berth; drawn anywhere in the port disc they came within metres
    assert nearest >= BERTH_SPACING_M - 2 * BERTH_JITTER_M


def test_a_vessel_keeps_its_berth_at_a_port(fleet):
    moored = _moored(*fleet)
    by = {}
    for key, site, _, _, la, lo in moored:
        by.setdefault((key, site), []).append((la, lo))
    spread = [max(haversine_m(*p, *q) for p, q in itertools.combinations(pts, 2))
              for pts in by.values() if len(pts) > 1]
    assert spread and max(spread) <= 2 * BERTH_JITTER_M + 1e-6
