"""Loitering: a vessel drifting or slow for hours away from ports."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from harborwatch.core.params import Params
from harborwatch.events import kernels as EK
from harborwatch.events.fixes import Tracks
from harborwatch.events.rows import EventRows, H, Scope, ranges


class SlowRuns(NamedTuple):
    """Runs of slow fixes (:func:`~harborwatch.events.kernels.slow_runs`): track, first and last
    fix, and along-track metres."""

    track: np.ndarray
    i0: np.ndarray
    i1: np.ndarray
    distance_m: np.ndarray

    @classmethod
    def from_kernel(cls, runs: np.ndarray, dm: np.ndarray) -> SlowRuns:
        return cls(runs[:, 0], runs[:, 1], runs[:, 2], dm)


@dataclass(frozen=True)
class Loitering(Params):
    """Loitering: a vessel drifting or slow for hours away from ports.

    Attributes:
        max_speed_knots: fixes slower than this (speed over ground, or implied speed when
            none is reported) form a run. 2 kn.
        min_duration_h: a run lasts at least this long. 4 h.
        max_mean_speed_knots: and its mean speed (along-track distance / duration) is
            below this. 2 kn.
        max_gap_h: a silence longer than this breaks a run. 6 h.
        min_port_distance_m: its median position is at least this far from every port site. 10 km.
    """

    section = "loitering"

    max_speed_knots: float = 2.0
    min_duration_h: float = 4.0
    max_mean_speed_knots: float = 2.0
    max_gap_h: float = 6.0
    min_port_distance_m: float = 10_000.0

    def validate(self) -> None:
        self.positive("max_speed_knots", "min_duration_h", "max_mean_speed_knots", "max_gap_h")
        self.non_negative("min_port_distance_m")

    def apply(self, tr: Tracks, scope: Scope, ev: EventRows) -> None:
        """``loitering`` events of every track."""
        if "loitering" not in scope.types:
            return
        fx, dist = tr.fx, tr.near.dist
        t = fx.t
        r = SlowRuns.from_kernel(*EK.slow_runs(fx.off, t, tr.near.step, fx.sog, self.max_speed_knots,
                                               int(self.max_gap_h * H), tr.min_dt_s))
        dur = (t[r.i1] - t[r.i0]) / H
        long_enough = dur >= self.min_duration_h
        rv, r0, r1, dm, dur = (x[long_enough] for x in (r.track, r.i0, r.i1, r.distance_m, dur))
        mean_kn = dm / 1852.0 / dur
        mid = (r0 + r1) // 2
        ok = (mean_kn < self.max_mean_speed_knots) & (dist[mid] >= self.min_port_distance_m)
        rv, r0, r1, dm, dur, mean_kn, mid = (x[ok] for x in (rv, r0, r1, dm, dur, mean_kn, mid))
        ev.extend("loitering", tr.trk_mmsi[rv], t[r0], t[r1], fx.lat[mid], fx.lon[mid], ranges(fx.refs, r0, r1), {
            "duration_h": dur, "mean_speed_kn": mean_kn, "distance_m": dm, "fixes": r1 - r0 + 1,
            "port_distance_m": np.where(np.isinf(dist[mid]), np.nan, dist[mid]),
        })


__all__ = ["Loitering", "SlowRuns"]
