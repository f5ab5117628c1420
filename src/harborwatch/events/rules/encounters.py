"""Encounters (possible ship-to-ship transfers): resampled points, the space-time join and the
per-pair kernel.

Each partition's tracks are resampled to the encounter slots (:meth:`Encounters.points`). The
local engine joins every partition's :data:`~harborwatch.events.schema.POINTS` in one numba
sweep per slot (:meth:`Encounters.join`); the out-of-core and Spark engines find the same close
pairs a group of slots at a time (:func:`close_pairs`) and run :meth:`Encounters.pairs` on them.
All end in the same pair kernel, so they give the same events.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numba.typed import List

from harborwatch.core.params import Params
from harborwatch.events import kernels as EK
from harborwatch.events.fixes import Tracks
from harborwatch.events.rows import EventRows, H, Scope, track_labels
from harborwatch.events.schema import PAIRS, POINTS
from harborwatch.tracks import kernels as TK
from harborwatch.tracks.algorithms import Resample
from harborwatch.tracks.track import in_order


def _f64(t: pa.Table, name: str) -> np.ndarray:
    return np.ascontiguousarray(pc.cast(t[name], pa.float64()).to_numpy(zero_copy_only=False), np.float64)


#: Latitude (degrees) up to which :meth:`Encounters.points` leaves out tracks that never leave port.
PORT_BOUND_MAX_LAT = 85.0
#: Metres of slack in that test, for the straight lines between fixes and the tangent plane
#: of polygon sites (both bend the 1-Lipschitz bound by metres, not kilometres).
PORT_BOUND_SLACK_M = 1000.0


@dataclass(frozen=True)
class Encounters(Params):
    """Encounters (possible ship-to-ship transfers), GFW's definition.

    Attributes:
        step_min: tracks are resampled to this step. 10 min.
        max_interpolation_gap_h: no position is interpolated across a longer silence. 2 h.
        max_distance_m: the two vessels are at most this far apart. 500 m.
        min_duration_h: for at least this long (consecutive slots). 2 h.
        max_median_speed_knots: each vessel's median speed during it is below this. 2 kn.
        min_port_distance_m: its median position is at least this far from every port site. 10 km.
        merge_gap_h: encounters of the same pair less than this apart are merged. 4 h.
    """

    section = "encounters"

    step_min: float = 10.0
    max_interpolation_gap_h: float = 2.0
    max_distance_m: float = 500.0
    min_duration_h: float = 2.0
    max_median_speed_knots: float = 2.0
    min_port_distance_m: float = 10_000.0
    merge_gap_h: float = 4.0

    def validate(self) -> None:
        self.positive("step_min", "max_interpolation_gap_h", "max_distance_m", "min_duration_h",
                      "max_median_speed_knots")
        self.non_negative("min_port_distance_m", "merge_gap_h")

    def resample(self) -> Resample:
        return Resample(step_min=self.step_min, max_gap_h=self.max_interpolation_gap_h)

    def points(self, tr: Tracks) -> pa.Table:
        """Every track that could take part in an encounter, resampled to the encounter slots
        (:data:`POINTS`); see :func:`_points`."""
        return _points(self, tr)

    def join(self, points: pa.Table, scope: Scope, workers: int = 1) -> pa.Table:
        """Encounter events (RAW rows with ids) from every partition's :data:`POINTS`: the local
        engine's join and pair stage (:func:`_slot_pair_stage`)."""
        return _slot_pair_stage(self, points, scope, workers)

    def pairs(self, pairs: pa.Table, scope: Scope, rows_at_once: int | None = None) -> pa.Table:
        """Encounter events from close pairs (:data:`PAIRS`, :func:`close_pairs`): the out-of-core
        and Spark engines' per-pair stage (:func:`_pair_stage`), over groups of whole vessel
        pairs of about ``rows_at_once`` rows (default :data:`PAIR_STAGE_ROWS`), so that its
        working memory stays bounded; the events are the same, in another row order (the
        engines' :func:`~harborwatch.events.stages.finalize` sorts them)."""
        n = pairs.num_rows
        groups = -(-n // (rows_at_once or PAIR_STAGE_ROWS))
        if groups <= 1:
            return _pair_stage(self, pairs, scope)
        a, b = (pairs[c].to_numpy(zero_copy_only=False).astype(np.uint64) for c in ("mmsi_a", "mmsi_b"))
        key = (a * np.uint64(0x9E3779B1) ^ b) % np.uint64(groups)  # a vessel pair's rows share a group
        del a, b
        out = [_pair_stage(self, pairs.filter(pa.array(key == g)), scope) for g in range(groups)]
        return pa.concat_tables([t for t in out if t.num_rows] or out[:1])


def _points(e: Encounters, tr: Tracks) -> pa.Table:
    """Every track that could take part in an encounter, resampled to the encounter slots
    (:data:`POINTS`).

    An encounter's position is the middle of its longest run: the mean latitude of the two
    points and the longitude of one, so within 1.5 encounter distances of either vessel's
    point. A track whose every point (fixes and the segments between them, see
    :func:`~harborwatch.events.kernels.track_port_reach`) lies closer to a port site than the
    encounter's port distance minus that and :data:`PORT_BOUND_SLACK_M` can therefore not be
    in any encounter, and is left out of the join: the events are the same, the join is
    smaller (vessels moored all along are most of a port's points)."""
    fx, near = tr.fx, tr.near
    reach = EK.track_port_reach(fx.off, fx.lat, near.dist, near.step, PORT_BOUND_MAX_LAT)
    keep = reach >= e.min_port_distance_m - 1.5 * e.max_distance_m - PORT_BOUND_SLACK_M
    step = int(e.step_min * 60_000)
    trk, slot, sl, so, sp, i0, j = TK.resample_fill(fx.off, fx.t, fx.lat, fx.lon, step,
                                                   int(e.max_interpolation_gap_h * H), tr.min_dt_s,
                                                   keep)
    first = fx.off[:-1][trk]
    return pa.table({
        "slot": slot, "mmsi": pa.array(fx.mm[first], pa.uint32()), "hull": pa.array(fx.hull[first], pa.int32()),
        "lat": sl, "lon": so, "speed_kn": sp,
        "ref0": pa.array(fx.refs[i0], pa.uint64()), "ref1": pa.array(fx.refs[j], pa.uint64()),
    }, schema=POINTS)


# ---------------------------------------------------------------------------------------------
# the per-pair stage
# ---------------------------------------------------------------------------------------------

#: Close-pair rows the per-pair stage takes at once (:meth:`Encounters.pairs`): its sort, copies
#: and kernels hold about 300 bytes a row. At 100M positions copied from the US West Coast day the
#: out-of-core engine found 4.3M close pairs (ships at anchor off the coast's ports), and the
#: stage over all of them at once was that run's peak memory (1.4 GB of Arrow buffers).
PAIR_STAGE_ROWS = 1 << 20

PAIR_ORDER = [("mmsi_a", "ascending"), ("hull_a", "ascending"), ("mmsi_b", "ascending"), ("hull_b", "ascending"),
              ("slot", "ascending")]


def _unique_pair_slots(pairs: pa.Table) -> pa.Table:
    """One row per (pair of tracks, slot), ordered by :data:`PAIR_ORDER`.

    A pair sharing several space cells in a slot is joined once per cell; those rows hold the
    same positions, so which one is kept does not matter."""
    def col(name: str) -> np.ndarray:
        return pairs[name].to_numpy(zero_copy_only=False).astype(np.int64)

    am, ah, bm, bh, sl = col("mmsi_a"), col("hull_a"), col("mmsi_b"), col("hull_b"), col("slot")
    order = np.lexsort((sl, bh, bm, ah, am))
    am, ah, bm, bh, sl = am[order], ah[order], bm[order], bh[order], sl[order]
    keep = np.ones(len(order), bool)
    keep[1:] = (am[1:] != am[:-1]) | (ah[1:] != ah[:-1]) | (bm[1:] != bm[:-1]) | (bh[1:] != bh[:-1]) | \
        (sl[1:] != sl[:-1])
    return pairs.take(pa.array(order[keep]))


def _pair_stage(e: Encounters, pairs: pa.Table, ctx: Scope) -> pa.Table:
    """Encounters from joined candidate rows (:data:`PAIRS`; whole pairs, any order, duplicates
    allowed): the Spark engine's per-pair stage."""
    if pairs.num_rows == 0 or "encounter" not in ctx.types:
        return EventRows().table(ctx)
    p = _unique_pair_slots(pairs)
    cols = {c: p[c].to_numpy(zero_copy_only=False) for c in p.column_names}
    n = p.num_rows
    rows = np.arange(n)

    def both(c: str) -> np.ndarray:  # a's values, then b's: point i of a is row i, of b row n + i
        return np.concatenate([_f64(p, f"{c}_a"), _f64(p, f"{c}_b")])

    d = EK.distances(_f64(p, "lat_a"), _f64(p, "lon_a"), _f64(p, "lat_b"), _f64(p, "lon_b"))
    ends = tuple(np.ascontiguousarray(cols[c], np.int64) for c in ("mmsi_a", "hull_a", "mmsi_b", "hull_b"))
    a_m, a_h, b_m, b_h = ends
    poff = np.concatenate([[0], np.flatnonzero((a_m[1:] != a_m[:-1]) | (a_h[1:] != a_h[:-1]) |
                                               (b_m[1:] != b_m[:-1]) | (b_h[1:] != b_h[:-1])) + 1,
                           [n]]).astype(np.int64)
    return _encounters(poff, cols["slot"], lambda r: tuple(x[r] for x in ends),
                       (both("lat"), both("lon"), both("speed"), rows, rows + n, d),
                       (*(cols[c] for c in ("ref0_a", "ref1_a", "ref0_b", "ref1_b")), rows, rows), e, ctx)


def _bucket_join(e: Encounters, points: pa.Table, workers: int) -> tuple[pa.Table, list[tuple]]:
    """``points`` ordered by (mmsi, hull, slot), and the pairs within the encounter distance that
    :func:`~harborwatch.events.kernels.bucket_pairs` finds in each slot range (one per thread)."""
    points = in_order(points, ("mmsi", "hull", "slot"))  # whole vessels (Spark's tasks): a stable sort by MMSI
    mm, slot = (points[c].to_numpy(zero_copy_only=False) for c in ("mmsi", "slot"))
    lat, lon = _f64(points, "lat"), _f64(points, "lon")
    order, start = EK.slot_buckets(slot)
    ns = len(start) - 1
    # slot ranges of about equal numbers of points, one per thread
    cuts = np.unique(np.searchsorted(start, np.linspace(0, start[-1], max(1, workers) + 1), "left").clip(0, ns))
    cuts[0], cuts[-1] = 0, ns
    maxd = e.max_distance_m

    def run(k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return EK.bucket_pairs(order, start, int(cuts[k]), int(cuts[k + 1]), mm, lat, lon, maxd)

    jobs = range(len(cuts) - 1)
    if len(jobs) > 1:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=len(jobs)) as ex:
            return points, list(ex.map(run, jobs))
    return points, [run(k) for k in jobs]


def close_pairs(e: Encounters, points: pa.Table, workers: int = 1) -> pa.Table:
    """The :data:`~harborwatch.events.schema.PAIRS` rows of the points within the encounter
    distance of each other in one slot. Slots are independent, so the pairs of disjoint slot
    ranges together are the pairs of all of them; :meth:`Encounters.pairs` turns them into the
    events :meth:`Encounters.join` finds (the out-of-core local engine joins its spilled points
    one slot range at a time this way)."""
    if points.num_rows == 0:
        return PAIRS.empty_table()
    points, found = _bucket_join(e, points, workers)
    a = np.concatenate([f[0] for f in found]) if found else np.zeros(0, np.int64)
    b = np.concatenate([f[1] for f in found]) if found else np.zeros(0, np.int64)
    ta, tb = points.take(pa.array(a)), points.take(pa.array(b))
    cols = {"mmsi_a": ta["mmsi"], "hull_a": ta["hull"], "mmsi_b": tb["mmsi"], "hull_b": tb["hull"], "slot": ta["slot"]}
    for side, t in (("a", ta), ("b", tb)):
        cols.update({f"lat_{side}": t["lat"], f"lon_{side}": t["lon"], f"speed_{side}": t["speed_kn"],
                     f"ref0_{side}": t["ref0"], f"ref1_{side}": t["ref1"]})
    return pa.table(cols, schema=PAIRS)


def _slot_pair_stage(e: Encounters, points: pa.Table, ctx: Scope, workers: int = 1) -> pa.Table:
    """Encounters from every partition's :data:`POINTS`: the local engine's space-time join
    (:func:`~harborwatch.events.kernels.bucket_pairs`: slot buckets, a sweep inside each;
    slot ranges over ``workers`` threads) and per-pair stage in one.

    The join keeps only pairs within the encounter distance; the others cannot be part of an
    encounter (a run is consecutive close slots), so the events equal :meth:`Encounters.pairs`'s on
    the pairs of :func:`close_pairs`."""
    if points.num_rows == 0 or "encounter" not in ctx.types:
        return EventRows().table(ctx)
    points, found = _bucket_join(e, points, workers)
    # the columns as they are (no copies): uint32 MMSI, int32 hull, int64 slot
    mm, hull, slot = (points[c].to_numpy(zero_copy_only=False) for c in ("mmsi", "hull", "slot"))
    trk = EK.track_index(mm, hull)
    lat, lon = _f64(points, "lat"), _f64(points, "lon")
    ra, rb, d, poff = EK.group_pairs(*(List([f[c] for f in found]) for c in range(3)), trk)
    r0, r1 = (points[c].to_numpy(zero_copy_only=False) for c in ("ref0", "ref1"))

    def ends(r: np.ndarray) -> tuple[np.ndarray, ...]:
        a, b = ra[r], rb[r]
        return mm[a].astype(np.int64), hull[a].astype(np.int64), mm[b].astype(np.int64), hull[b].astype(np.int64)

    return _encounters(poff, slot[ra], ends, (lat, lon, _f64(points, "speed_kn"), ra, rb, d),
                       (r0, r1, r0, r1, ra, rb), e, ctx)


def _encounters(poff: np.ndarray, slot: np.ndarray, ends: Callable[[np.ndarray], tuple[np.ndarray, ...]],
                geo: tuple, refs: tuple, e: Encounters, ctx: Scope) -> pa.Table:
    """Encounter events from pair rows ordered by :data:`PAIR_ORDER`, one row per pair of
    tracks and slot: the rows of pair ``k`` are ``poff[k]:poff[k + 1]``, ``slot`` holds each
    row's slot and ``ends(rows)`` gives (mmsi_a, hull_a, mmsi_b, hull_b) of some rows;
    ``geo`` = (lat, lon, speed per point, row of a's point, row of b's point, distance per pair
    row); ``refs`` = (ref0 of a, ref1 of a, ref0 of b, ref1 of b, row of a, row of b): the
    records each pair row rests on (the interpolation ends of both vessels)."""
    ev = EventRows()
    slot = np.ascontiguousarray(slot, np.int64)
    if len(slot) == 0:
        return ev.table(ctx)
    lat, lon, spd, ia, ib, d = (np.ascontiguousarray(x) for x in geo)
    step = int(e.step_min * 60_000)
    min_slots = int(math.ceil(e.min_duration_h * 60 / e.step_min)) + 1
    merge = int(math.ceil(e.merge_gap_h * 60 / e.step_min))
    evs, close = EK.encounter_runs(poff, slot, ia, ib, lat, lon, spd, d, e.max_distance_m, min_slots,
                                   e.max_median_speed_knots, merge, e.min_port_distance_m, *ctx.ports.arrays())
    if len(evs) == 0:
        return ev.table(ctx)
    r0, r1, mid, nclose = evs[:, 1], evs[:, 2], evs[:, 3], evs[:, 4]
    med_d, min_d, med_a, med_b = EK.encounter_stats(evs, close, d, spd, ia, ib)
    offsets, values = EK.encounter_evidence(evs, close, *refs)
    a_m, a_h, b_m, b_h = ends(r0)
    ev.extend("encounter", a_m, slot[r0] * step, slot[r1] * step, 0.5 * (lat[ia[mid]] + lat[ib[mid]]),
              lon[ia[mid]],
              pa.ListArray.from_arrays(pa.array(offsets.astype(np.int32)), pa.array(values, pa.uint64())), {
                  "duration_h": (slot[r1] - slot[r0]) * step / H, "close_slots": nclose,
                  "median_distance_m": med_d, "min_distance_m": min_d,
                  "median_speed_kn": med_a, "median_speed_2_kn": med_b,
                  "track": track_labels(a_h), "track_2": track_labels(b_h),
              }, mmsi_2=b_m,
              confidence=np.where(nclose * e.step_min >= 2 * e.min_duration_h * 60, 3, 2).astype(np.int8))
    return ev.table(ctx)


__all__ = ["PAIR_STAGE_ROWS", "PORT_BOUND_MAX_LAT", "PORT_BOUND_SLACK_M", "Encounters", "close_pairs"]
