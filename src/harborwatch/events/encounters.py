"""Encounters: the space-time join of resampled points and the per-pair kernel.

The local engine joins every partition's :data:`~harborwatch.events.schema.POINTS` in one
numba sweep per slot (:func:`slot_pair_stage`); the Spark engine explodes the same points over
Earth-centred cubes (:func:`explode_points`), joins them on (slot, cube) in Spark SQL and runs
:func:`pair_stage` per vessel pair. Both end in :func:`_encounters`, so they give the same events.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numba.typed import List

from harborwatch.events import kernels as EK
from harborwatch.events.common import Context, EventRows, H, track_labels
from harborwatch.events.schema import SLOTS
from harborwatch.tracks import kernels as TK
from harborwatch.tracks.track import is_ordered


def _f64(t: pa.Table, name: str) -> np.ndarray:
    return np.ascontiguousarray(pc.cast(t[name], pa.float64()).to_numpy(zero_copy_only=False), np.float64)


def _cell_params(ctx: Context) -> tuple[float, float]:
    """(ball radius, cell edge) in metres: points closer than the encounter distance share a cell."""
    e = ctx.cfg.encounters
    return e.max_distance_m / 2.0, e.cell_m


def explode_points(points: pa.Table, ctx: Context) -> pa.Table:
    """:data:`POINTS` repeated once per space cell their ball touches (:data:`SLOTS`), for an
    equality join on (slot, cell) (the Spark engine's)."""
    lat = _f64(points, "lat")
    rows, cells = TK.ball_cells(lat, _f64(points, "lon"), *_cell_params(ctx))
    t = points.take(pa.array(rows))
    return t.add_column(1, "cell", pa.array(cells, pa.int64())).cast(SLOTS)


# ---------------------------------------------------------------------------------------------
# the per-pair stage
# ---------------------------------------------------------------------------------------------

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


def pair_stage(pairs: pa.Table, ctx: Context) -> pa.Table:
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
                       (*(cols[c] for c in ("ref0_a", "ref1_a", "ref0_b", "ref1_b")), rows, rows), ctx)


def slot_pair_stage(points: pa.Table, ctx: Context, workers: int = 1) -> pa.Table:
    """Encounters from every partition's :data:`POINTS`: the local engine's space-time join
    (:func:`~harborwatch.events.kernels.bucket_pairs`: slot buckets, a sweep inside each;
    slot ranges over ``workers`` threads) and per-pair stage in one.

    The join keeps only pairs within the encounter distance; the others cannot be part of an
    encounter (a run is consecutive close slots), so the events equal :func:`pair_stage`'s on
    the whole equality join of :func:`explode_points`."""
    if points.num_rows == 0 or "encounter" not in ctx.types:
        return EventRows().table(ctx)
    if not is_ordered(points, ("mmsi", "hull", "slot")):
        points = points.sort_by([("mmsi", "ascending"), ("hull", "ascending"), ("slot", "ascending")])
    # the columns as they are (no copies): uint32 MMSI, int32 hull, int64 slot
    mm, hull, slot = (points[c].to_numpy(zero_copy_only=False) for c in ("mmsi", "hull", "slot"))
    trk = EK.track_index(mm, hull)
    lat, lon = _f64(points, "lat"), _f64(points, "lon")
    order, start = EK.slot_buckets(slot)
    ns = len(start) - 1
    # slot ranges of about equal numbers of points, one per thread
    cuts = np.unique(np.searchsorted(start, np.linspace(0, start[-1], max(1, workers) + 1), "left").clip(0, ns))
    cuts[0], cuts[-1] = 0, ns
    maxd = ctx.cfg.encounters.max_distance_m

    def run(k: int) -> tuple[np.ndarray, np.ndarray]:
        return EK.bucket_pairs(order, start, int(cuts[k]), int(cuts[k + 1]), mm, lat, lon, maxd)

    jobs = range(len(cuts) - 1)
    if len(jobs) > 1:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=len(jobs)) as ex:
            found = list(ex.map(run, jobs))
    else:
        found = [run(k) for k in jobs]
    ra, rb, d, poff = EK.group_pairs(*(List([f[c] for f in found]) for c in range(3)), trk)
    r0, r1 = (points[c].to_numpy(zero_copy_only=False) for c in ("ref0", "ref1"))

    def ends(r: np.ndarray) -> tuple[np.ndarray, ...]:
        a, b = ra[r], rb[r]
        return mm[a].astype(np.int64), hull[a].astype(np.int64), mm[b].astype(np.int64), hull[b].astype(np.int64)

    return _encounters(poff, slot[ra], ends, (lat, lon, _f64(points, "speed_kn"), ra, rb, d),
                       (r0, r1, r0, r1, ra, rb), ctx)


def _encounters(poff: np.ndarray, slot: np.ndarray, ends: Callable[[np.ndarray], tuple[np.ndarray, ...]],
                geo: tuple, refs: tuple, ctx: Context) -> pa.Table:
    """Encounter events from pair rows ordered by :data:`PAIR_ORDER`, one row per pair of
    tracks and slot: the rows of pair ``k`` are ``poff[k]:poff[k + 1]``, ``slot`` holds each
    row's slot and ``ends(rows)`` gives (mmsi_a, hull_a, mmsi_b, hull_b) of some rows;
    ``geo`` = (lat, lon, speed per point, row of a's point, row of b's point, distance per pair
    row); ``refs`` = (ref0 of a, ref1 of a, ref0 of b, ref1 of b, row of a, row of b): the
    records each pair row rests on (the interpolation ends of both vessels)."""
    ev = EventRows()
    e = ctx.cfg.encounters
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


__all__ = ["explode_points", "pair_stage", "slot_pair_stage"]
