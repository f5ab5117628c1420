"""Position spoofing and errors: teleports (dropped position spikes far from the track) and
fixes on land; ``on_land`` events where several vessels are "on land" mark a waterway the land
mask lacks and are dropped."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from harborwatch.core.params import Params
from harborwatch.events import kernels as EK
from harborwatch.events.fixes import Fixes, Tracks
from harborwatch.events.rows import EventRows, Scope, ranges
from harborwatch.geo.distance import haversine_m
from harborwatch.geo.landmask import is_land_with_margin
from harborwatch.tracks.track import vessel_offsets


@dataclass(frozen=True)
class Spoofing(Params):
    """Position spoofing and errors.

    Attributes:
        teleport_distance_m: a dropped position spike at least this far from the track is a
            teleport. 10 km.
        land_margin_m: a fix is on land when it and eight points this far from it (N, NE,
            E, ... NW) are all on land in the mask (PyPI ``global-land-mask``, ~1 km cells),
            and it is not inside a port site's exit distance. This keeps harbours, rivers
            and canals narrower than twice the margin out; wider inland waterways are land
            to the mask. 10 km.
        min_land_fixes: consecutive on-land fixes needed. 2.
        waterway_cell_deg, waterway_min_vessels: where at least this many distinct vessels
            are "on land" in one cell of this size, the mask is missing a waterway (the Kiel
            Canal, the Limfjord, a river port); those events are dropped. 0.1 degree, 2.
    """

    section = "spoofing"

    teleport_distance_m: float = 10_000.0
    land_margin_m: float = 10000.0
    min_land_fixes: int = 2
    waterway_cell_deg: float = 0.1
    waterway_min_vessels: int = 2

    def validate(self) -> None:
        self.positive("teleport_distance_m", "waterway_cell_deg")
        self.non_negative("land_margin_m")
        self.at_least("min_land_fixes", 1)
        self.at_least("waterway_min_vessels", 1)

    def on_land(self, tr: Tracks, scope: Scope, ev: EventRows, in_port_m: float) -> None:
        """``on_land`` events: runs of at least ``min_land_fixes`` fixes on land, not counting
        fixes within ``in_port_m`` of a port site (they are not looked up)."""
        if "on_land" not in scope.types:
            return
        fx = tr.fx
        away = tr.near.dist > in_port_m
        land = is_land_with_margin(fx.lat, fx.lon, self.land_margin_m, where=away)
        f0, f1 = EK.true_runs(fx.off, land)
        keep = f1 - f0 + 1 >= self.min_land_fixes
        f0, f1 = f0[keep], f1[keep]
        mid = (f0 + f1) // 2
        ev.extend("on_land", fx.mm[f0], fx.t[f0], fx.t[f1], fx.lat[mid], fx.lon[mid], ranges(fx.refs, f0, f1),
                  {"fixes": f1 - f0 + 1}, confidence=np.full(len(f0), 2, np.int8))

    def teleports(self, bad: Fixes, fx: Fixes, scope: Scope, ev: EventRows) -> None:
        """``teleport``: a spike dropped as an outlier at least ``teleport_distance_m`` from the
        main track at the nearest time."""
        if "teleport" not in scope.types or len(bad) == 0:
            return
        min_jump_m = self.teleport_distance_m
        main = np.flatnonzero(fx.hull == 0)
        mm, tt, la, lo = fx.mm[main], fx.t[main], fx.lat[main], fx.lon[main]
        off = vessel_offsets(mm)
        where = {int(mm[off[k]]): (int(off[k]), int(off[k + 1])) for k in range(len(off) - 1)}
        bm, bt, bla, blo, bref = bad.mm, bad.t, bad.lat, bad.lon, bad.refs
        for i in range(len(bad)):
            if int(bm[i]) not in where:
                continue
            a, b = where[int(bm[i])]
            k = a + int(np.searchsorted(tt[a:b], bt[i], side="right")) - 1
            cands = [j for j in (k, k + 1) if a <= j < b]
            if not cands:
                continue
            j = min(cands, key=lambda j: abs(int(tt[j]) - int(bt[i])))
            jump = haversine_m(bla[i], blo[i], la[j], lo[j])
            if jump >= min_jump_m:
                ev.add("teleport", int(bm[i]), bt[i], bt[i], float(bla[i]), float(blo[i]), [bref[i]], {
                    "jump_m": jump, "track_lat": float(la[j]), "track_lon": float(lo[j]),
                    "track_time": str(_iso_array(tt[j:j + 1])[0]),
                }, confidence=2 if jump >= 10 * min_jump_m else 1)

    def drop_waterways(self, raw_t: pa.Table) -> pa.Table:
        """Drop ``on_land`` events in cells where several vessels are on land: water the mask lacks."""
        land = np.flatnonzero(pc.equal(raw_t["type"], "on_land").to_numpy(zero_copy_only=False))
        if len(land) == 0:
            return raw_t
        sub = raw_t.take(pa.array(land))
        la, lo = (np.floor(sub[c].to_numpy(zero_copy_only=False) / self.waterway_cell_deg) for c in ("lat", "lon"))
        cell = np.unique(np.stack([la, lo], 1), axis=0, return_inverse=True)[1].reshape(-1)
        # distinct vessels on land per cell
        pairs = np.unique(np.stack([cell, sub["mmsi"].to_numpy(zero_copy_only=False).astype(np.int64)], 1), axis=0)
        vessels = np.bincount(pairs[:, 0], minlength=int(cell.max()) + 1)
        drop = land[vessels[cell] >= self.waterway_min_vessels]
        if len(drop) == 0:
            return raw_t
        keep = np.ones(raw_t.num_rows, bool)
        keep[drop] = False
        return raw_t.filter(pa.array(keep))


def _iso_array(ms: np.ndarray) -> np.ndarray:
    """ISO 8601 UTC texts (whole seconds, ``Z``) of epoch milliseconds."""
    return np.char.add(np.datetime_as_string(np.asarray(ms, np.int64).astype("datetime64[ms]"), unit="s"), "Z")


__all__ = ["Spoofing"]
