"""AIS gaps: silences in a vessel's track, and whether reception says the silence was chosen.

Reception is estimated from the data itself (:meth:`Gaps.reception`: positions and vessels per
cell, UTC day and receiver kind, summed over partitions on the driver); :meth:`Gaps.classify`
then adds the reception around both ends of each gap and flags ``likely_disabling``.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from harborwatch.core.ids import canonical_json
from harborwatch.core.params import Params
from harborwatch.events import kernels as EK
from harborwatch.events.fixes import Fixes, Tracks
from harborwatch.events.rows import DAY, EventRows, H, Scope, empty_table, ranges, track_labels
from harborwatch.events.schema import RECEPTION

#: Reception around a point and day: (positions per vessel and day, satellite share), or Nones.
Rate = dict[tuple[int, int, int], tuple[int, int, int]]


@dataclass(frozen=True)
class Gaps(Params):
    """AIS gaps: silences in a vessel's main track.

    Attributes:
        min_duration_h: a gap is at least this long. 6 h.
        disabling_min_duration_h: a gap this long where reception is good is *likely
            disabling* (the transponder was switched off). 12 h.
        reception_cell_deg: reception is estimated per cell of this size. 1 degree.
        reception_window_days: and over this many days centred on the gap's start. 7.
        min_reception_positions_per_day: reception is *good* when vessels in the cell were
            heard at least this many times a day on average (class A ships report every
            2-10 s under way; 10 a day is very poor reception). 10.
    """

    section = "gaps"

    min_duration_h: float = 6.0
    disabling_min_duration_h: float = 12.0
    reception_cell_deg: float = 1.0
    reception_window_days: int = 7
    min_reception_positions_per_day: float = 10.0

    def validate(self) -> None:
        self.positive("min_duration_h", "disabling_min_duration_h", "reception_cell_deg", "reception_window_days")
        self.non_negative("min_reception_positions_per_day")
        if self.reception_cell_deg > 180:
            self._fail("reception_cell_deg", "at most 180 degrees")

    def apply(self, tr: Tracks, scope: Scope, ev: EventRows, in_port_m: float) -> None:
        """``gap`` events: silences of at least ``min_duration_h`` inside a track; a gap's ends
        within ``in_port_m`` of a port site name it (``off_site_id``, ``on_site_id``)."""
        fx, dist, site = tr.fx, tr.near.dist, tr.near.site
        n = len(fx)
        if "gap" not in scope.types or n <= 1:
            return
        t, lat, lon, off = fx.t, fx.lat, fx.lon, fx.off
        same = np.ones(n - 1, bool)
        same[off[1:-1] - 1] = False  # no gap across track boundaries
        dt = np.diff(t)
        i = np.flatnonzero(same & (dt >= self.min_duration_h * H))
        d = EK.distances(lat[i], lon[i], lat[i + 1], lon[i + 1])
        gv = np.searchsorted(off, i, side="right") - 1
        ev.extend("gap", fx.mm[i], t[i], t[i + 1], lat[i], lon[i], ranges(fx.refs, i, i + 1), {
            "duration_h": dt[i] / H, "distance_m": d, "implied_speed_kn": d / 1852.0 / (dt[i] / H),
            "end_lat": lat[i + 1], "end_lon": lon[i + 1],
            "off_site_id": scope.site_ids(np.where(dist[i] <= in_port_m, site[i], -1)),
            "on_site_id": scope.site_ids(np.where(dist[i + 1] <= in_port_m, site[i + 1], -1)),
            "track": track_labels(tr.trk_hull[gv]),
        })

    def reception(self, fx: Fixes) -> pa.Table:
        """Positions and distinct vessels per (reception cell, UTC day, receiver kind)."""
        if len(fx) == 0:
            return empty_table(RECEPTION)
        cell_deg = self.reception_cell_deg
        ncol = int(math.ceil(360.0 / cell_deg)) + 1
        d0 = int(fx.t.min()) // DAY
        ndays = int(fx.t.max()) // DAY - d0 + 1
        nrec = len(fx.receivers)
        # a vessel stays in one cell for many fixes: the kernel counts runs of equal (vessel, key)
        key, mm, runs = EK.reception_runs(fx.lat, fx.lon, fx.t, fx.receiver, fx.mm, cell_deg, ncol, d0, ndays, nrec,
                                          DAY)
        g = pa.table({"key": key, "mmsi": mm, "n": runs}).group_by("key", use_threads=False).aggregate(
            [("n", "sum"), ("mmsi", "count_distinct")])
        k, rec = np.divmod(g["key"].to_numpy(), nrec)
        cell, dd = np.divmod(k, ndays)
        cr, cc = np.divmod(cell, ncol)
        return pa.table({
            "cell_r": pa.array(cr, pa.int32()), "cell_c": pa.array(cc, pa.int32()),
            "day": pa.array(dd + d0, pa.int32()),
            "receiver": pa.array(fx.receivers, pa.string()).take(pa.array(rec)),
            "positions": pc.cast(g["n_sum"], pa.int64()), "vessels": pc.cast(g["mmsi_count_distinct"], pa.int64()),
        }, schema=RECEPTION)

    def classify(self, gaps: pa.Table, reception: pa.Table) -> tuple[list[str], np.ndarray]:
        """For ``gap`` rows (with ``attributes``, ``lat``, ``lon``, ``start``, ``end``): their
        attributes with the reception around both ends and ``likely_disabling``, and their
        confidence (3 likely disabling, 2 good reception, 1 otherwise)."""
        rate = _rate(reception)
        attrs: list[str] = []
        conf = np.empty(gaps.num_rows, np.float64)
        for i, (a_text, la, lo, st, en) in enumerate(zip(
                gaps["attributes"].to_pylist(), gaps["lat"].to_pylist(), gaps["lon"].to_pylist(),
                pc.cast(gaps["start"], pa.int64()).to_pylist(), pc.cast(gaps["end"], pa.int64()).to_pylist(),
                strict=True)):
            a = json.loads(a_text)
            r0, s0 = self._rate_at(rate, la, lo, st // DAY)
            r1, _ = self._rate_at(rate, a["end_lat"], a["end_lon"], en // DAY)
            good = r0 is not None and r0 >= self.min_reception_positions_per_day
            likely = bool(a["duration_h"] >= self.disabling_min_duration_h and good)
            a.update({"reception_start_positions_per_vessel_day": r0, "reception_end_positions_per_vessel_day": r1,
                      "reception_start_satellite_share": s0, "likely_disabling": likely})
            attrs.append(canonical_json(a))
            conf[i] = 3 if likely else 2 if good else 1
        return attrs, conf

    def _rate_at(self, rate: Rate, la: float, lo: float, day: int) -> tuple[float | None, float | None]:
        """(positions per vessel and day, satellite share) in the window around ``day`` in the
        cell of (la, lo); Nones where no vessel was heard."""
        r = int(math.floor((la + 90.0) / self.reception_cell_deg))
        c = int(math.floor((lo + 180.0) / self.reception_cell_deg))
        half = self.reception_window_days // 2
        pos = ves = sat = 0
        for dd in range(day - half, day + half + 1):
            x = rate.get((r, c, dd))
            if x:
                pos, ves, sat = pos + x[0], ves + x[1], sat + x[2]
        if ves == 0:
            return None, None
        return pos / ves, sat / pos


def _rate(rec: pa.Table) -> Rate:
    """{(cell_r, cell_c, day): (positions, vessels, satellite positions)} summed over partitions
    and receivers."""
    if rec.num_rows == 0:
        return {}
    sat = pc.if_else(pc.equal(rec["receiver"], "satellite"), rec["positions"], 0)
    g = rec.append_column("satellite", sat).group_by(["cell_r", "cell_c", "day"], use_threads=False).aggregate(
        [("positions", "sum"), ("vessels", "sum"), ("satellite", "sum")])
    keys = zip(*(g[c].to_pylist() for c in ("cell_r", "cell_c", "day")), strict=True)
    return dict(zip(keys, zip(*(g[c].to_pylist() for c in ("positions_sum", "vessels_sum", "satellite_sum")),
                              strict=True), strict=True))


#: How a gap's attributes say it was likely disabling: attributes are canonical JSON (sorted keys,
#: no spaces; :func:`harborwatch.core.ids.canonical_json`), so the key and value are written so.
LIKELY_DISABLING_TEXT = '"likely_disabling":true'


def likely_disabling(events: pa.Table) -> pa.BooleanArray:
    """Per event row: a gap flagged as likely disabling (the transponder switched off where
    reception was good). The one test every report and analysis uses."""
    if events.num_rows == 0:
        return pa.array([], pa.bool_())
    gap = pc.equal(events["type"], "gap")
    flagged = pc.fill_null(pc.match_substring(events["attributes"], LIKELY_DISABLING_TEXT), False)
    return pc.and_(gap, flagged).combine_chunks() if isinstance(gap, pa.ChunkedArray) else pc.and_(gap, flagged)


__all__ = ["LIKELY_DISABLING_TEXT", "Gaps", "likely_disabling"]
