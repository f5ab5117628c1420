"""Sea routes for the scenario.

Long-haul legs come from PyPI ``searoute`` (its maritime network). That network is too coarse
inside the Rason / Peter the Great Gulf region (its nearest nodes to Rajin are 140 km away), so
regional legs are shortest paths on a water grid built here from the land mask: nodes every
``step_deg`` at least ``clearance_m`` from land, edges between neighbours whose segment is water,
then the path is straightened wherever a direct segment stays on water. Ports are joined to the
grid by a straight segment; the mask's first ``harbour_m`` metres around a port are ignored
(the 1 km mask fills small harbours; enclosed bays get up to 3.5 times that).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from harborwatch.core.errors import DataError
from harborwatch.geo.distance import haversine_m_array as _hav
from harborwatch.geo.landmask import is_land


def _segment_points(a: tuple[float, float], b: tuple[float, float], every_m: float) -> np.ndarray:
    d = float(_hav(a[0], a[1], b[0], b[1]))
    k = max(2, int(d / every_m) + 2)
    f = np.linspace(0.0, 1.0, k)
    return np.stack([a[0] + f * (b[0] - a[0]), a[1] + f * (b[1] - a[1])], axis=1)


@dataclass(frozen=True)
class SeaGrid:
    """A water grid over a lon/lat box (degrees, WGS 84)."""

    lon_min: float = 127.5
    lon_max: float = 135.0
    lat_min: float = 38.5
    lat_max: float = 44.0
    step_deg: float = 0.05
    clearance_m: float = 2_000.0
    harbour_m: float = 3_000.0

    @cached_property
    def _grid(self):
        import networkx as nx

        lons = np.arange(self.lon_min, self.lon_max + 1e-9, self.step_deg)
        lats = np.arange(self.lat_min, self.lat_max + 1e-9, self.step_deg)
        LA, LO = np.meshgrid(lats, lons, indexing="ij")
        la, lo = LA.ravel(), LO.ravel()
        water = ~is_land(la, lo)
        c = self.clearance_m / 111_195.0
        for dla, dlo in ((c, 0), (-c, 0), (0, c), (0, -c), (0.7 * c, 0.7 * c), (-0.7 * c, -0.7 * c),
                         (0.7 * c, -0.7 * c), (-0.7 * c, 0.7 * c)):
            water &= ~is_land(la + dla, lo + dlo / np.cos(np.radians(la)))
        ok = water.reshape(LA.shape)
        g = nx.Graph()
        nr, nc = ok.shape
        for di, dj in ((0, 1), (1, 0), (1, 1), (1, -1)):
            i0, i1 = max(0, -di), nr - max(0, di)
            j0, j1 = max(0, -dj), nc - max(0, dj)
            both = ok[i0:i1, j0:j1] & ok[i0 + di:i1 + di, j0 + dj:j1 + dj]
            ii, jj = np.nonzero(both)
            ii, jj = ii + i0, jj + j0
            la1, lo1, la2, lo2 = lats[ii], lons[jj], lats[ii + di], lons[jj + dj]
            mid = ~is_land((la1 + la2) / 2, (lo1 + lo2) / 2)
            w = _hav(la1, lo1, la2, lo2)
            for a, b, ww in zip((ii * nc + jj)[mid], ((ii + di) * nc + jj + dj)[mid], w[mid], strict=True):
                g.add_edge(int(a), int(b), weight=float(ww))
        return g, lats, lons, nc

    def node_point(self, k: int) -> tuple[float, float]:
        _, lats, lons, nc = self._grid
        return float(lats[k // nc]), float(lons[k % nc])

    def is_water(self, a: tuple[float, float], b: tuple[float, float], ports: list[tuple[float, float]]) -> bool:
        """Whether segment a-b (lat, lon) is water, ignoring ``harbour_m`` around the given ports."""
        pts = _segment_points(a, b, 300.0)
        keep = np.ones(len(pts), bool)
        for p in ports:
            keep &= _hav(pts[:, 0], pts[:, 1], p[0], p[1]) > self.harbour_m
        return not is_land(pts[keep, 0], pts[keep, 1]).any()

    def _water_from(self, p: tuple[float, float], q: tuple[float, float], ignore_m: float) -> bool:
        pts = _segment_points(p, q, 300.0)
        keep = _hav(pts[:, 0], pts[:, 1], p[0], p[1]) > ignore_m
        return not is_land(pts[keep, 0], pts[keep, 1]).any()

    def _attach(self, p: tuple[float, float]) -> int:
        """The nearest grid node reachable from ``p`` over water (outside the harbour radius)."""
        g, lats, lons, nc = self._grid
        nodes = np.array(sorted(g.nodes))
        la, lo = lats[nodes // nc], lons[nodes % nc]
        d = _hav(p[0], p[1], la, lo)
        for relax in (1.0, 2.0, 3.5):  # enclosed harbours: the mask closes narrow bays
            for k in np.argsort(d)[:200]:
                q = (float(la[k]), float(lo[k]))
                if self._water_from(p, q, self.harbour_m * relax):
                    return int(nodes[k])
        raise DataError(f"no water route from {p}: the point is too far inland for the sea grid")

    def route(self, a: tuple[float, float], b: tuple[float, float]) -> np.ndarray:
        """Waypoints (n, 2) as (lat, lon) from ``a`` to ``b``, both included."""
        import networkx as nx

        g, *_ = self._grid
        na, nb = self._attach(a), self._attach(b)
        path = nx.shortest_path(g, na, nb, weight="weight")
        pts = [a] + [self.node_point(k) for k in path] + [b]
        # straighten: from each kept point jump to the farthest point reachable over water
        out = [pts[0]]
        i = 0
        while i < len(pts) - 1:
            j = len(pts) - 1
            while j > i + 1 and not self.is_water(pts[i], pts[j], [a, b]):
                j -= 1
            out.append(pts[j])
            i = j
        return np.array(out, np.float64)


def searoute_leg(a: tuple[float, float], b: tuple[float, float]) -> np.ndarray:
    """A long-haul leg from PyPI ``searoute`` as (lat, lon) waypoints, ``a`` and ``b`` included."""
    import searoute

    r = searoute.searoute([a[1], a[0]], [b[1], b[0]])
    coords = [(float(y), float(x)) for x, y in r["geometry"]["coordinates"]]
    return np.array([a] + coords + [b], np.float64)


def polyline_length_m(pts: np.ndarray) -> np.ndarray:
    """Cumulative distance (m) along (lat, lon) waypoints, starting at 0."""
    d = _hav(pts[:-1, 0], pts[:-1, 1], pts[1:, 0], pts[1:, 1])
    return np.concatenate([[0.0], np.cumsum(d)])


__all__ = ["SeaGrid", "polyline_length_m", "searoute_leg"]
