"""Voyages: port-to-port legs between consecutive port visits of a vessel's main track."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from harborwatch.core.params import Params
from harborwatch.events.fixes import Tracks
from harborwatch.events.rows import EventRows, H, Scope, ranges
from harborwatch.events.rules.port_visits import Visits
from harborwatch.tracks import kernels as TK


@dataclass(frozen=True)
class Voyages(Params):
    """Port-to-port legs between consecutive port visits of a vessel's main track.

    Attributes:
        min_visit_confidence: only visits of at least this confidence end or start a leg. 2.
    """

    section = "voyages"

    min_visit_confidence: int = 2

    def validate(self) -> None:
        if self.min_visit_confidence not in (1, 2, 3, 4):
            self._fail("min_visit_confidence", "a visit confidence, 1 to 4")

    def apply(self, tr: Tracks, visits: Visits, scope: Scope, ev: EventRows) -> None:
        """``voyage`` events between consecutive qualifying visits of each main track."""
        if "voyage" not in scope.types or len(visits.track) <= 1:
            return
        fx = tr.fx
        t, lat, lon = fx.t, fx.lat, fx.lon
        v, s, conf = visits.track, visits.site, visits.confidence
        cum = TK.cumulative_distance(fx.off, tr.near.step)
        main = np.flatnonzero((tr.trk_hull[v] == 0) & (conf >= self.min_visit_confidence))
        a, b = main[:-1], main[1:]
        same = v[a] == v[b]
        a, b = a[same], b[same]
        i_dep, i_arr = visits.i1[a], visits.i0[b]
        dist_m = cum[i_arr] - cum[i_dep]
        dur_h = (t[i_arr] - t[i_dep]) / H
        with np.errstate(divide="ignore", invalid="ignore"):
            mean_kn = np.where(dur_h > 0, dist_m / 1852.0 / dur_h, np.nan)
        ev.extend("voyage", tr.trk_mmsi[v[a]], t[i_dep], t[i_arr], lat[i_dep], lon[i_dep],
                  ranges(fx.refs, i_dep, i_arr), {
                      "from_site_id": scope.site_ids(s[a]), "to_site_id": scope.site_ids(s[b]),
                      "from_site_name": scope.site_names(s[a]), "to_site_name": scope.site_names(s[b]),
                      "distance_m": dist_m, "duration_h": dur_h, "mean_speed_kn": mean_kn,
                      "to_lat": lat[i_arr], "to_lon": lon[i_arr],
                  }, site_id=scope.site_ids(s[b]), confidence=np.minimum(conf[a], conf[b]))


__all__ = ["Voyages"]
