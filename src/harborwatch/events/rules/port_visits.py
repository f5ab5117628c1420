"""Port visits (GFW's port visit events), with draughts at arrival and departure."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from harborwatch.core.params import Params
from harborwatch.events import kernels as EK
from harborwatch.events.fixes import Tracks
from harborwatch.events.jsontext import round_array
from harborwatch.events.rows import EventRows, H, Scope, ranges, track_labels

#: (mmsi[], t_ms[], window_h) -> the last draught reported at or before each time within the window.
DraughtLookup = Callable[[np.ndarray, np.ndarray, float], np.ndarray]


class Visits(NamedTuple):
    """The visits of a partition's tracks (one row each), as :func:`~harborwatch.events.kernels.port_visits`
    finds them: track, first and last fix, site row, which of entry / stop / gap / exit were
    seen, the first stopped fix (-1: none), and GFW's confidence."""

    track: np.ndarray
    i0: np.ndarray
    i1: np.ndarray
    site: np.ndarray
    entry: np.ndarray
    stop: np.ndarray
    gap: np.ndarray
    exited: np.ndarray
    stop_i: np.ndarray
    confidence: np.ndarray

    @classmethod
    def from_kernel(cls, a: np.ndarray) -> Visits:
        entry, stop, gap, exited = (a[:, c].astype(bool) for c in (4, 5, 6, 7))
        held = stop | gap
        conf = np.where(entry & exited & held, 4, np.where(held & (entry | exited), 3,
                                                            np.where(entry & exited, 2, 1))).astype(np.int8)
        return cls(a[:, 0], a[:, 1], a[:, 2], a[:, 3], entry, stop, gap, exited, a[:, 8], conf)


@dataclass(frozen=True)
class PortVisits(Params):
    """Port visits (GFW's port visit events).

    Attributes:
        entry_distance_m: a vessel enters a site when within this distance of it. 3000 m.
        exit_distance_m: and leaves when further than this. 4000 m.
        stop_begin_knots: a port stop begins below this speed. 0.2 kn.
        stop_end_knots: and ends above this speed. 0.5 kn.
        min_gap_h: a silence of at least this long inside a site is a port gap. 4 h.
        draught_window_h: arrival (departure) draught is the last static report at most this
            long before the visit starts (ends). 48 h.

    Confidence (GFW): 4 = entry, stop or gap, and exit; 3 = stop or gap with entry or exit;
    2 = entry and exit only; 1 = anything less (only one of entry, exit, stop or gap: the
    track starts or ends in port, or the fixes are too sparse).
    """

    section = "port_visits"

    entry_distance_m: float = 3000.0
    exit_distance_m: float = 4000.0
    stop_begin_knots: float = 0.2
    stop_end_knots: float = 0.5
    min_gap_h: float = 4.0
    draught_window_h: float = 48.0

    def validate(self) -> None:
        self.positive("entry_distance_m", "exit_distance_m", "stop_begin_knots", "stop_end_knots", "min_gap_h")
        self.non_negative("draught_window_h")
        self.at_least("exit_distance_m", self.entry_distance_m, "at least entry_distance_m (hysteresis)")
        self.at_least("stop_end_knots", self.stop_begin_knots, "at least stop_begin_knots (hysteresis)")

    def apply(self, tr: Tracks, scope: Scope, ev: EventRows, static: pa.Table | None) -> Visits:
        """The visits of every track; their ``port_visit`` events go to ``ev`` when wanted, with
        draughts from ``static`` (ordered by mmsi, timestamp, record_hash)."""
        fx, near = tr.fx, tr.near
        visits = Visits.from_kernel(EK.port_visits(
            fx.off, fx.t, near.step, fx.sog, near.dist, near.site, self.entry_distance_m, self.exit_distance_m,
            self.stop_begin_knots, self.stop_end_knots, int(self.min_gap_h * H), tr.min_dt_s))
        if "port_visit" in scope.types and len(visits.track):
            self._events(visits, tr, scope, ev, draught_lookup(static))
        return visits

    def _events(self, v: Visits, tr: Tracks, scope: Scope, ev: EventRows, draught: DraughtLookup) -> None:
        fx, dist = tr.fx, tr.near.dist
        t = fx.t
        k = EK.range_argmin(dist, v.i0, v.i1)
        m = tr.trk_mmsi[v.track]
        stop_start = t[np.maximum(v.stop_i, 0)].astype("datetime64[ms]")
        stop_start[v.stop_i < 0] = np.datetime64("NaT")
        ev.extend("port_visit", m, t[v.i0], t[v.i1], fx.lat[k], fx.lon[k], ranges(fx.refs, v.i0, v.i1), {
            "site_name": scope.site_names(v.site), "entry": v.entry, "stop": v.stop, "gap": v.gap,
            "exit": v.exited, "duration_h": (t[v.i1] - t[v.i0]) / H, "fixes": v.i1 - v.i0 + 1,
            "track": track_labels(tr.trk_hull[v.track]), "min_distance_m": dist[k], "stop_start": stop_start,
            "arrival_draught_m": draught(m, t[v.i0], self.draught_window_h),
            "departure_draught_m": draught(m, t[v.i1], self.draught_window_h),
        }, site_id=scope.site_ids(v.site), confidence=v.confidence)


def draught_lookup(static: pa.Table | None) -> DraughtLookup:
    """Function (mmsi[], t_ms[], window_h) -> the last draught reported at or before each time
    within the window, rounded to 0.01 m (NaN: none).

    ``static`` is ordered by (mmsi, timestamp, record_hash) (see
    :func:`~harborwatch.events.fixes.prepare_static`)."""
    def none(m: np.ndarray, t: np.ndarray, window_h: float) -> np.ndarray:
        return np.full(len(m), np.nan)

    if static is None or "draught_m" not in static.column_names:
        return none
    s = static.select(["mmsi", "timestamp", "draught_m"])
    s = s.filter(pc.is_valid(s["draught_m"]))
    if s.num_rows == 0:  # no draught reported
        return none
    mm = s["mmsi"].to_numpy(zero_copy_only=False).astype(np.int64)
    ts = np.ascontiguousarray(pc.cast(s["timestamp"], pa.int64()).to_numpy(zero_copy_only=False), np.int64)
    dr = pc.cast(s["draught_m"], pa.float64()).to_numpy(zero_copy_only=False)

    def look(m: np.ndarray, t: np.ndarray, window_h: float) -> np.ndarray:
        t = np.asarray(t, np.int64)
        k = EK.asof(mm, ts, np.asarray(m, np.int64), t)
        ok = (k >= 0) & (t - ts[np.maximum(k, 0)] <= window_h * H)
        return round_array(np.where(ok, dr[np.maximum(k, 0)], np.nan), 2)

    return look


__all__ = ["PortVisits", "Visits", "draught_lookup"]
