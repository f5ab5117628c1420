"""Vessel movements of the simulated scenario: fleets, plans and true positions.

A vessel's *plan* is a list of contiguous segments, each a pure function of time:

* :class:`Hold` - moored or anchored near a point (small wander, speed ~0);
* :class:`Sail` - along a route polyline; 5 kn within ``harbour_m`` of either end, the service
  speed in between;
* :class:`Drift` - slow circles around a point (loitering, ship-to-ship transfers).

Times are integer seconds since the Unix epoch (UTC); positions degrees (WGS 84); speeds knots.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from harborwatch.geo.distance import KNOT_M_S
from harborwatch.scenario.routes import polyline_length_m

M_PER_DEG = 111_195.0


@dataclass
class Hold:
    t0: int
    t1: int
    lat: float
    lon: float
    status: int = 5  # AIS navigational status: 5 moored, 1 at anchor
    wander_m: float = 15.0

    def state(self, t: np.ndarray, rng_phase: float) -> tuple[np.ndarray, ...]:
        w = 2 * np.pi * (t - self.t0) / 5400.0 + rng_phase
        dlat = self.wander_m * np.sin(w) / M_PER_DEG
        dlon = self.wander_m * np.cos(0.7 * w) / (M_PER_DEG * np.cos(np.radians(self.lat)))
        sog = np.full(t.shape, 0.1)
        cog = (np.degrees(rng_phase) + 30 * np.sin(w)) % 360
        return self.lat + dlat, self.lon + dlon, sog, cog


@dataclass
class Drift:
    t0: int
    t1: int
    lat: float
    lon: float
    speed_kn: float = 0.6
    radius_m: float = 800.0
    status: int = 0

    def state(self, t: np.ndarray, rng_phase: float) -> tuple[np.ndarray, ...]:
        omega = self.speed_kn * KNOT_M_S / self.radius_m  # rad/s
        a = omega * (t - self.t0) + rng_phase
        lat = self.lat + self.radius_m * np.sin(a) / M_PER_DEG
        lon = self.lon + self.radius_m * np.cos(a) / (M_PER_DEG * np.cos(np.radians(self.lat)))
        cog = (np.degrees(-a) + 180.0) % 360.0
        return lat, lon, np.full(t.shape, self.speed_kn), cog


@dataclass
class Sail:
    t0: int
    pts: np.ndarray  # (n, 2) lat, lon
    speed_kn: float
    harbour_m: float = 3_000.0
    harbour_kn: float = 5.0
    status: int = 0
    src_site: str | None = None
    dest_site: str | None = None
    cum: np.ndarray = field(init=False)
    t1: int = field(init=False)

    def __post_init__(self) -> None:
        self.cum = polyline_length_m(self.pts)
        total = float(self.cum[-1])
        h = min(self.harbour_m, total / 3)
        self._h = h
        vs, vh = self.speed_kn * KNOT_M_S, self.harbour_kn * KNOT_M_S
        self._tb = np.array([0.0, h / vh, h / vh + (total - 2 * h) / vs, 2 * h / vh + (total - 2 * h) / vs])
        self.t1 = self.t0 + int(np.ceil(self._tb[-1]))

    def distance_at(self, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        total = float(self.cum[-1])
        s = np.clip(t - self.t0, 0, self._tb[-1]).astype(np.float64)
        vs, vh = self.speed_kn * KNOT_M_S, self.harbour_kn * KNOT_M_S
        d = np.where(s < self._tb[1], s * vh,
                     np.where(s < self._tb[2], self._h + (s - self._tb[1]) * vs,
                              total - self._h + (s - self._tb[2]) * vh))
        v = np.where((s < self._tb[1]) | (s >= self._tb[2]), self.harbour_kn, self.speed_kn)
        return np.minimum(d, total), v

    def time_at_distance(self, d: float) -> int:
        """When the vessel has sailed ``d`` metres (clipped to the route)."""
        total = float(self.cum[-1])
        d = min(max(d, 0.0), total)
        vs, vh = self.speed_kn * KNOT_M_S, self.harbour_kn * KNOT_M_S
        if d < self._h:
            s = d / vh
        elif d < total - self._h:
            s = self._tb[1] + (d - self._h) / vs
        else:
            s = self._tb[2] + (d - total + self._h) / vh
        return self.t0 + int(round(s))

    def state(self, t: np.ndarray, rng_phase: float) -> tuple[np.ndarray, ...]:
        d, v = self.distance_at(t)
        k = np.clip(np.searchsorted(self.cum, d, side="right") - 1, 0, len(self.cum) - 2)
        seg = np.maximum(self.cum[k + 1] - self.cum[k], 1e-9)
        f = (d - self.cum[k]) / seg
        la0, lo0, la1, lo1 = self.pts[k, 0], self.pts[k, 1], self.pts[k + 1, 0], self.pts[k + 1, 1]
        lat, lon = la0 + f * (la1 - la0), lo0 + f * (lo1 - lo0)
        y = np.sin(np.radians(lo1 - lo0)) * np.cos(np.radians(la1))
        x = np.cos(np.radians(la0)) * np.sin(np.radians(la1)) - np.sin(np.radians(la0)) * np.cos(
            np.radians(la1)) * np.cos(np.radians(lo1 - lo0))
        cog = (np.degrees(np.arctan2(y, x)) + 360.0) % 360.0
        return lat, lon, v.astype(np.float64), cog


Segment = Hold | Sail | Drift


@dataclass
class Identity:
    """What a vessel broadcasts from ``t`` on."""

    t: int
    mmsi: int
    name: str
    callsign: str
    imo: int | None


@dataclass
class Vessel:
    """One hull: particulars, plan, and what its transponder does."""

    key: str  # stable id of the hull in the truth files
    role: str
    ship_type: int  # AIS ship type code
    length_m: float
    beam_m: float
    deadweight_t: float
    design_draught_m: float
    ais_class: str  # "A" or "B"
    identities: list[Identity]
    segments: list[Segment] = field(default_factory=list)
    dark: list[tuple[int, int]] = field(default_factory=list)  # transponder off [t0, t1)
    spoof: list[tuple[int, int, float, float]] = field(default_factory=list)  # t0, t1, lat, lon shown
    draught: list[tuple[int, float]] = field(default_factory=list)  # (from t, draught m) as reported
    phase: float = 0.0
    block_coefficient: float = 0.70
    cargo_t: float = 0.0  # cargo on board now (while the plan is built)
    teu_on_board: int = 0

    @property
    def now(self) -> int:
        return self.segments[-1].t1

    def position(self) -> tuple[float, float]:
        s = self.segments[-1]
        if isinstance(s, Sail):
            return float(s.pts[-1, 0]), float(s.pts[-1, 1])
        return s.lat, s.lon

    def identity_at(self, t: np.ndarray) -> np.ndarray:
        """Index into :attr:`identities` in force at each time."""
        starts = np.array([i.t for i in self.identities])
        return np.maximum(np.searchsorted(starts, t, side="right") - 1, 0)

    def state(self, t: np.ndarray) -> tuple[np.ndarray, ...]:
        """True (lat, lon, sog kn, cog deg, nav status) at times ``t`` (sorted, seconds)."""
        n = len(t)
        lat, lon, sog, cog = (np.full(n, np.nan) for _ in range(4))
        status = np.full(n, 15, np.int64)
        t0s = np.array([s.t0 for s in self.segments])
        k = np.searchsorted(t0s, t, side="right") - 1
        for j in np.unique(k):
            if j < 0:
                continue
            sel = k == j
            seg = self.segments[j]
            a, b, c, d = seg.state(t[sel], self.phase)
            lat[sel], lon[sel], sog[sel], cog[sel] = a, b, c, d
            status[sel] = seg.status
        return lat, lon, sog, cog, status

    def transmitting(self, t: np.ndarray) -> np.ndarray:
        on = np.ones(len(t), bool)
        for a, b in self.dark:
            on &= ~((t >= a) & (t < b))
        return on

    def shown_position(self, t: np.ndarray, lat: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """What the transponder reports: the true position, or a spoofed one (a slow wander of a
        few km around the spoofed point)."""
        lat, lon = lat.copy(), lon.copy()
        for a, b, sla, slo in self.spoof:
            sel = (t >= a) & (t < b)
            w = 2 * np.pi * (t[sel] - a) / 86_400.0
            lat[sel] = sla + 0.02 * np.sin(w)
            lon[sel] = slo + 0.02 * np.cos(w)
        return lat, lon

    def draught_at(self, t: np.ndarray) -> np.ndarray:
        if not self.draught:
            return np.full(len(t), self.design_draught_m * 0.8)
        ts = np.array([x[0] for x in self.draught])
        vs = np.array([x[1] for x in self.draught])
        return vs[np.maximum(np.searchsorted(ts, t, side="right") - 1, 0)]


__all__ = ["Drift", "Hold", "Identity", "Sail", "Segment", "Vessel"]
