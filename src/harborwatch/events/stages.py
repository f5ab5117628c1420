"""The engine-independent stages of event detection.

Both engines call exactly these functions: the local engine over vessel partitions in
threads, the Spark engine inside ``applyInArrow``. Each function's output for a
vessel depends only on that vessel's rows, and the driver-side functions sort what they
produce, so any partitioning gives the same events.

Stages:

1. :func:`vessel_stage` (per vessel partition; positions + static reports): cleaning,
   segmentation, port visits, voyages, gaps, loitering, second hulls, teleports, positions
   on land, identity changes; plus the resampled points for the encounter join, reception
   counts and the (IMO, MMSI) summary.
2. the space-time join of points (engine-specific: a numba sweep per slot in
   :func:`~harborwatch.events.encounters.slot_pair_stage`, or Spark SQL on
   :func:`~harborwatch.events.encounters.explode_points`), giving vessel pairs;
3. the pair kernel (:mod:`harborwatch.events.encounters`): encounters;
4. :func:`finalize` (driver): identity links across MMSIs, gap reception, event ids, order.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from harborwatch.core.ids import canonical_json
from harborwatch.events import kernels as EK
from harborwatch.events.common import (
    DAY,
    Context,
    EventRows,
    H,
    changes,
    coded,
    empty_table,
    ranges,
    take_lists,
    track_labels,
)
from harborwatch.events.identity import _identity_events, _ids_summary, cross_identity
from harborwatch.events.jsontext import round_array
from harborwatch.events.params import EventsConfig
from harborwatch.events.schema import EVENTS, IDS, POINTS, RAW, RECEPTION, TS
from harborwatch.tracks import kernels as TK
from harborwatch.tracks.algorithms import clean_and_segment
from harborwatch.geo.distance import haversine_m
from harborwatch.geo.landmask import is_land_with_margin
from harborwatch.tracks.track import (
    TrackCollection,
    is_ordered,
    kernel_arrays,
    vessel_offsets,
)

# ---------------------------------------------------------------------------------------------
# stage 1: per vessel
# ---------------------------------------------------------------------------------------------

#: Position columns the stages read (others are dropped before sorting, to move less data).
POSITION_COLUMNS = ("mmsi", "timestamp", "lat", "lon", "sog_kn", "cog_deg", "receiver", "record_hash")
#: Static-report columns the stages read.
STATIC_COLUMNS = ("mmsi", "timestamp", "record_hash", "imo", "imo_valid", "name", "callsign", "flag", "draught_m")


def vessel_stage(positions: pa.Table, static: pa.Table | None, ctx: Context) -> dict[str, pa.Table]:
    """Per-vessel events, encounter slots, reception counts and the IMO summary for a partition.

    ``positions``/``static`` hold whole vessels (every row of each MMSI present); order does
    not matter (already ordered input is not sorted again).
    """
    cfg, types = ctx.cfg, ctx.types
    ev = EventRows()
    out: dict[str, pa.Table] = {}
    static = _prepare_static(static)
    if positions.num_rows:
        fx, bad = _fixes(positions, cfg)
        near = _Near(*ctx.ports.nearest(fx.lat, fx.lon), TK.step_distances(fx.off, fx.lat, fx.lon))
        _vessel_events(fx, near, static, ctx, ev)
        if "teleport" in types:
            _teleports(bad, fx, cfg.spoofing.teleport_distance_m, ev)
        out["points"] = _points(fx, near, ctx) if "encounter" in types else empty_table(POINTS)
        out["reception"] = _reception(fx, cfg.gaps.reception_cell_deg)
    else:
        out["points"] = empty_table(POINTS)
        out["reception"] = empty_table(RECEPTION)
    if static is not None:
        _identity_events(static, ctx, ev)
        out["ids"] = _ids_summary(static)
    else:
        out["ids"] = empty_table(IDS)
    out["events"] = ev.table(ctx)
    return out


def _prepare_static(static: pa.Table | None, empty: bool = False) -> pa.Table | None:
    """The static columns the stages read, with the store's types (DuckDB and Spark hand back
    microsecond times), ordered by (mmsi, timestamp, record_hash); None when there are none
    (an empty table when ``empty``)."""
    from harborwatch.core.schema import STATIC

    if static is None or static.num_rows == 0:
        return pa.schema([STATIC.field(n) for n in STATIC_COLUMNS]).empty_table() if empty else None
    s = static
    for c in STATIC_COLUMNS:
        if c not in s.column_names:
            s = s.append_column(c, pa.nulls(s.num_rows, STATIC.field(c).type))
    s = s.select(list(STATIC_COLUMNS))
    s = s.cast(pa.schema([STATIC.field(n) for n in STATIC_COLUMNS]))
    if not is_ordered(s):
        s = s.sort_by([("mmsi", "ascending"), ("timestamp", "ascending"), ("record_hash", "ascending")])
    return s


@dataclass(frozen=True)
class _Fixes:
    """The kept fixes of a partition as arrays, ordered by (mmsi, hull, time): each vessel's main
    track (hull 0), then its second hulls. ``off`` marks where each track starts."""

    t: np.ndarray  # int64 ms since the epoch, UTC
    lat: np.ndarray  # float64 degrees
    lon: np.ndarray
    sog: np.ndarray  # float64 knots, NaN when not reported
    mm: np.ndarray  # int64 MMSI
    hull: np.ndarray  # int64: 0 main track, k > 0 the k-th other hull's segment
    refs: np.ndarray  # uint64 record_hash
    receiver: np.ndarray  # int64 receiver kind, index into ``receivers``
    receivers: tuple[str, ...]  # receiver kinds, sorted (a null kind is "unknown")
    off: np.ndarray  # int64 track offsets

    def __len__(self) -> int:
        return len(self.t)


@dataclass(frozen=True)
class _Near:
    """Per kept fix (:class:`_Fixes`): metres to the nearest port site (inf beyond the index's
    range), that site's row (-1: none), and metres from the previous fix of its track."""

    dist: np.ndarray
    site: np.ndarray
    step: np.ndarray


def _fixes(positions: pa.Table, cfg: EventsConfig) -> tuple[_Fixes, _Fixes]:
    """Clean and segment a partition's positions: (kept fixes, spikes dropped as outliers)."""
    tc = TrackCollection(positions.select([c for c in POSITION_COLUMNS if c in positions.column_names]))
    tab = tc.table
    a = kernel_arrays(tab)
    code, seg, prim = clean_and_segment(tc, cfg.clean, cfg.segment, a)
    mm = tab["mmsi"].to_numpy(zero_copy_only=False).astype(np.int64)
    refs = tab["record_hash"].to_numpy(zero_copy_only=False).astype(np.uint64)
    receiver, receivers = _receiver_codes(tab["receiver"])
    hull = np.where(prim, 0, seg.astype(np.int64) + 1)

    def pick(idx: np.ndarray) -> _Fixes:
        t, la, lo, sog, m, h, r, rc, off = EK.gather_fixes(idx, a["t"], a["lat"], a["lon"], a["sog"], mm, hull, refs,
                                                          receiver)
        return _Fixes(t, la, lo, sog, m, h, r, rc, receivers, off)

    keep = np.flatnonzero(seg >= 0)
    if not prim[keep].all():  # second hulls sort after the main track of their MMSI
        keep = keep[np.argsort(mm[keep] * 1_000_000 + hull[keep], kind="stable")]
    return pick(keep), pick(np.flatnonzero(code == TK.OUTLIER))


def _receiver_codes(col: pa.ChunkedArray) -> tuple[np.ndarray, tuple[str, ...]]:
    """(code per row, receiver kinds sorted): a null kind is "unknown". Consecutive reports
    mostly share a kind, so only the first of each run of equal values is encoded."""
    col = col.combine_chunks()
    heads = np.flatnonzero(changes(col))
    d = col.take(pa.array(heads)).dictionary_encode()
    kinds = [x or "unknown" for x in d.dictionary.to_pylist()] + ["unknown"]
    names = sorted(set(kinds))
    remap = np.array([names.index(x) for x in kinds], np.int64)
    codes = remap[pc.fill_null(d.indices, len(kinds) - 1).to_numpy(zero_copy_only=False).astype(np.int64)]
    return np.repeat(codes, np.diff(np.append(heads, len(col)))), tuple(names)


def _vessel_events(fx: _Fixes, near: _Near, static: pa.Table | None, ctx: Context, ev: EventRows) -> None:
    cfg, types = ctx.cfg, ctx.types
    n = len(fx)
    if n == 0:
        return
    t, lat, lon, sog, mm, hull, refs, off = fx.t, fx.lat, fx.lon, fx.sog, fx.mm, fx.hull, fx.refs, fx.off
    trk_mmsi = mm[off[:-1]]
    trk_hull = hull[off[:-1]]
    dist, site, step = near.dist, near.site, near.step
    md = cfg.segment.min_dt_s

    def track_label(v: np.ndarray) -> pa.DictionaryArray:
        return track_labels(trk_hull[v])

    def ids(s: np.ndarray) -> pa.DictionaryArray:  # site rows -> site ids (-1: null)
        return coded(s, ctx.port_id_array)

    def names(s: np.ndarray) -> pa.DictionaryArray:
        return coded(s, ctx.port_name_array)

    # --- port visits and voyages ----------------------------------------------------------------
    pv = cfg.port_visits
    visits = EK.port_visits(off, t, step, sog, dist, site, pv.entry_distance_m, pv.exit_distance_m,
                            pv.stop_begin_knots, pv.stop_end_knots, int(pv.min_gap_h * H), md)
    v, i0, i1, s = visits[:, 0], visits[:, 1], visits[:, 2], visits[:, 3]
    entry, stop, gap, exited = (visits[:, c].astype(bool) for c in (4, 5, 6, 7))
    stop_i = visits[:, 8]
    held = stop | gap
    conf = np.where(entry & exited & held, 4, np.where(held & (entry | exited), 3,
                                                        np.where(entry & exited, 2, 1))).astype(np.int8)
    if "port_visit" in types and len(visits):
        k = EK.range_argmin(dist, i0, i1)
        m = trk_mmsi[v]
        draught = _draught_lookup(static)
        stop_start = t[np.maximum(stop_i, 0)].astype("datetime64[ms]")
        stop_start[stop_i < 0] = np.datetime64("NaT")
        ev.extend("port_visit", m, t[i0], t[i1], lat[k], lon[k], ranges(refs, i0, i1), {
            "site_name": names(s), "entry": entry, "stop": stop, "gap": gap, "exit": exited,
            "duration_h": (t[i1] - t[i0]) / H, "fixes": i1 - i0 + 1, "track": track_label(v),
            "min_distance_m": dist[k], "stop_start": stop_start,
            "arrival_draught_m": draught(m, t[i0], pv.draught_window_h),
            "departure_draught_m": draught(m, t[i1], pv.draught_window_h),
        }, site_id=ids(s), confidence=conf)
    if "voyage" in types and len(visits) > 1:
        cum = TK.cumulative_distance(off, step)
        main = np.flatnonzero((trk_hull[v] == 0) & (conf >= cfg.voyages.min_visit_confidence))
        a, b = main[:-1], main[1:]
        same = v[a] == v[b]
        a, b = a[same], b[same]
        i_dep, i_arr = i1[a], i0[b]
        dist_m = cum[i_arr] - cum[i_dep]
        dur_h = (t[i_arr] - t[i_dep]) / H
        with np.errstate(divide="ignore", invalid="ignore"):
            mean_kn = np.where(dur_h > 0, dist_m / 1852.0 / dur_h, np.nan)
        ev.extend("voyage", trk_mmsi[v[a]], t[i_dep], t[i_arr], lat[i_dep], lon[i_dep], ranges(refs, i_dep, i_arr), {
            "from_site_id": ids(s[a]), "to_site_id": ids(s[b]),
            "from_site_name": names(s[a]), "to_site_name": names(s[b]),
            "distance_m": dist_m, "duration_h": dur_h, "mean_speed_kn": mean_kn,
            "to_lat": lat[i_arr], "to_lon": lon[i_arr],
        }, site_id=ids(s[b]), confidence=np.minimum(conf[a], conf[b]))

    # --- gaps ---------------------------------------------------------------------------------
    if "gap" in types and n > 1:
        g = cfg.gaps
        same = np.ones(n - 1, bool)
        same[off[1:-1] - 1] = False  # no gap across track boundaries
        dt = np.diff(t)
        i = np.flatnonzero(same & (dt >= g.min_duration_h * H))
        d = EK.distances(lat[i], lon[i], lat[i + 1], lon[i + 1])
        gv = np.searchsorted(off, i, side="right") - 1
        in_port_m = pv.exit_distance_m
        ev.extend("gap", mm[i], t[i], t[i + 1], lat[i], lon[i], ranges(refs, i, i + 1), {
            "duration_h": dt[i] / H, "distance_m": d, "implied_speed_kn": d / 1852.0 / (dt[i] / H),
            "end_lat": lat[i + 1], "end_lon": lon[i + 1],
            "off_site_id": ids(np.where(dist[i] <= in_port_m, site[i], -1)),
            "on_site_id": ids(np.where(dist[i + 1] <= in_port_m, site[i + 1], -1)),
            "track": track_label(gv),
        })

    # --- loitering ----------------------------------------------------------------------------
    if "loitering" in types:
        lo = cfg.loitering
        runs, dm = EK.slow_runs(off, t, step, sog, lo.max_speed_knots, int(lo.max_gap_h * H), md)
        rv, r0, r1 = runs[:, 0], runs[:, 1], runs[:, 2]
        dur = (t[r1] - t[r0]) / H
        long_enough = dur >= lo.min_duration_h
        rv, r0, r1, dm, dur = rv[long_enough], r0[long_enough], r1[long_enough], dm[long_enough], dur[long_enough]
        mean_kn = dm / 1852.0 / dur
        mid = (r0 + r1) // 2
        ok = (mean_kn < lo.max_mean_speed_knots) & (dist[mid] >= lo.min_port_distance_m)
        rv, r0, r1, dm, dur, mean_kn, mid = (x[ok] for x in (rv, r0, r1, dm, dur, mean_kn, mid))
        ev.extend("loitering", trk_mmsi[rv], t[r0], t[r1], lat[mid], lon[mid], ranges(refs, r0, r1), {
            "duration_h": dur, "mean_speed_kn": mean_kn, "distance_m": dm, "fixes": r1 - r0 + 1,
            "port_distance_m": np.where(np.isinf(dist[mid]), np.nan, dist[mid]),
        })

    # --- second hulls on one MMSI ---------------------------------------------------------------
    if "shared_mmsi" in types:
        for v in np.flatnonzero(trk_hull != 0).tolist():
            a, b = int(off[v]), int(off[v + 1])
            if b - a < cfg.identity.min_hull_fixes:
                continue
            m = int(trk_mmsi[v])
            va = int(np.searchsorted(trk_mmsi, m))  # the main track of the vessel (hull 0 sorts first)
            mid = (a + b) // 2
            sep = None
            if trk_hull[va] == 0:
                ma, mb = int(off[va]), int(off[va + 1])
                k = ma + int(np.clip(np.searchsorted(t[ma:mb], t[mid]), 0, mb - ma - 1))
                sep = haversine_m(lat[mid], lon[mid], lat[k], lon[k])
            ev.add("shared_mmsi", m, t[a], t[b - 1], float(lat[mid]), float(lon[mid]), refs[a:b], {
                "hull": int(trk_hull[v]), "fixes": b - a, "separation_m": sep,
            }, confidence=2 if sep is not None and sep > 50_000 else 1)

    # --- spoofing: fixes on land (teleports: :func:`_teleports`) ---------------------------------
    if "on_land" in types:
        sp = cfg.spoofing
        away = dist > cfg.port_visits.exit_distance_m  # fixes in port are not looked up
        land = is_land_with_margin(lat, lon, sp.land_margin_m, where=away)
        f0, f1 = EK.true_runs(off, land)
        keep = f1 - f0 + 1 >= sp.min_land_fixes
        f0, f1 = f0[keep], f1[keep]
        mid = (f0 + f1) // 2
        ev.extend("on_land", mm[f0], t[f0], t[f1], lat[mid], lon[mid], ranges(refs, f0, f1),
                  {"fixes": f1 - f0 + 1}, confidence=np.full(len(f0), 2, np.int8))


def _iso_array(ms: np.ndarray) -> np.ndarray:
    """ISO 8601 UTC texts (whole seconds, ``Z``) of epoch milliseconds."""
    return np.char.add(np.datetime_as_string(np.asarray(ms, np.int64).astype("datetime64[ms]"), unit="s"), "Z")


def _draught_lookup(static: pa.Table | None):
    """Function (mmsi[], t_ms[], window_h) -> the last draught reported at or before each time
    within the window, rounded to 0.01 m (NaN: none).

    ``static`` is ordered by (mmsi, timestamp, record_hash) (see :func:`_prepare_static`)."""
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


def _teleports(bad: _Fixes, fx: _Fixes, min_jump_m: float, ev: EventRows) -> None:
    """``teleport``: a spike dropped as an outlier at least ``min_jump_m`` from the main track
    at the nearest time."""
    if len(bad) == 0:
        return
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


#: Latitude (degrees) up to which :func:`_points` leaves out tracks that never leave port.
PORT_BOUND_MAX_LAT = 85.0
#: Metres of slack in that test, for the straight lines between fixes and the tangent plane
#: of polygon sites (both bend the 1-Lipschitz bound by metres, not kilometres).
PORT_BOUND_SLACK_M = 1000.0


def _points(fx: _Fixes, near: _Near, ctx: Context) -> pa.Table:
    """Every track that could take part in an encounter, resampled to the encounter slots
    (:data:`POINTS`).

    An encounter's position is the middle of its longest run: the mean latitude of the two
    points and the longitude of one, so within 1.5 encounter distances of either vessel's
    point. A track whose every point (fixes and the segments between them, see
    :func:`~harborwatch.events.kernels.track_port_reach`) lies closer to a port site than the
    encounter's port distance minus that and :data:`PORT_BOUND_SLACK_M` can therefore not be
    in any encounter, and is left out of the join: the events are the same, the join is
    smaller (vessels moored all along are most of a port's points)."""
    e = ctx.cfg.encounters
    reach = EK.track_port_reach(fx.off, fx.lat, near.dist, near.step, PORT_BOUND_MAX_LAT)
    keep = reach >= e.min_port_distance_m - 1.5 * e.max_distance_m - PORT_BOUND_SLACK_M
    step = int(e.step_min * 60_000)
    trk, slot, sl, so, sp, i0, j = TK.resample_fill(fx.off, fx.t, fx.lat, fx.lon, step,
                                                   int(e.max_interpolation_gap_h * H), ctx.cfg.segment.min_dt_s,
                                                   keep)
    first = fx.off[:-1][trk]
    return pa.table({
        "slot": slot, "mmsi": pa.array(fx.mm[first], pa.uint32()), "hull": pa.array(fx.hull[first], pa.int32()),
        "lat": sl, "lon": so, "speed_kn": sp,
        "ref0": pa.array(fx.refs[i0], pa.uint64()), "ref1": pa.array(fx.refs[j], pa.uint64()),
    }, schema=POINTS)


def _reception(fx: _Fixes, cell_deg: float) -> pa.Table:
    """Positions and distinct vessels per (reception cell, UTC day, receiver kind)."""
    if len(fx) == 0:
        return empty_table(RECEPTION)
    ncol = int(math.ceil(360.0 / cell_deg)) + 1
    d0 = int(fx.t.min()) // DAY
    ndays = int(fx.t.max()) // DAY - d0 + 1
    nrec = len(fx.receivers)
    # a vessel stays in one cell for many fixes: the kernel counts runs of equal (vessel, key)
    key, mm, runs = EK.reception_runs(fx.lat, fx.lon, fx.t, fx.receiver, fx.mm, cell_deg, ncol, d0, ndays, nrec, DAY)
    g = pa.table({"key": key, "mmsi": mm, "n": runs}).group_by("key", use_threads=False).aggregate(
        [("n", "sum"), ("mmsi", "count_distinct")])
    k, rec = np.divmod(g["key"].to_numpy(), nrec)
    cell, dd = np.divmod(k, ndays)
    cr, cc = np.divmod(cell, ncol)
    return pa.table({
        "cell_r": pa.array(cr, pa.int32()), "cell_c": pa.array(cc, pa.int32()), "day": pa.array(dd + d0, pa.int32()),
        "receiver": pa.array(fx.receivers, pa.string()).take(pa.array(rec)),
        "positions": pc.cast(g["n_sum"], pa.int64()), "vessels": pc.cast(g["mmsi_count_distinct"], pa.int64()),
    }, schema=RECEPTION)


# ---------------------------------------------------------------------------------------------
# stage 4: on the driver
# ---------------------------------------------------------------------------------------------

def _reception_rate(rec: pa.Table) -> dict:
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


def _drop_waterways(raw_t: pa.Table, cfg: EventsConfig) -> pa.Table:
    """Drop ``on_land`` events in cells where several vessels are on land: water the mask lacks."""
    sp = cfg.spoofing
    land = np.flatnonzero(pc.equal(raw_t["type"], "on_land").to_numpy(zero_copy_only=False))
    if len(land) == 0:
        return raw_t
    sub = raw_t.take(pa.array(land))
    la, lo = (np.floor(sub[c].to_numpy(zero_copy_only=False) / sp.waterway_cell_deg) for c in ("lat", "lon"))
    cell = np.unique(np.stack([la, lo], 1), axis=0, return_inverse=True)[1].reshape(-1)
    # distinct vessels on land per cell
    pairs = np.unique(np.stack([cell, sub["mmsi"].to_numpy(zero_copy_only=False).astype(np.int64)], 1), axis=0)
    vessels = np.bincount(pairs[:, 0], minlength=int(cell.max()) + 1)
    drop = land[vessels[cell] >= sp.waterway_min_vessels]
    if len(drop) == 0:
        return raw_t
    keep = np.ones(raw_t.num_rows, bool)
    keep[drop] = False
    return raw_t.filter(pa.array(keep))


def finalize(raw: Iterable[pa.Table], ids: pa.Table, reception: pa.Table, ctx: Context) -> pa.Table:
    """All events with parameters and evidence counts, in a deterministic order."""
    cfg = ctx.cfg
    # Evidence lists hold every record of every event (as many as the positions): they stay in
    # their chunks, out of the filters, sort and take below, and are gathered once at the end.
    tables = [t for t in raw if t.num_rows] + [cross_identity(ids, ctx)]
    raw_t = pa.concat_tables(tables) if tables else RAW.empty_table()
    evidence = raw_t["evidence"]
    raw_t = raw_t.drop_columns(["evidence"]).append_column("row", pa.array(np.arange(raw_t.num_rows)))
    wanted = pc.is_in(raw_t["type"], pa.array(sorted(ctx.types)))
    if not pc.all(wanted).as_py():
        raw_t = raw_t.filter(wanted)
    raw_t = _drop_waterways(raw_t, cfg)
    rate = _reception_rate(reception)
    g = cfg.gaps
    half = g.reception_window_days // 2

    def rec_at(la: float, lo: float, day: int) -> tuple[float | None, float | None]:
        r = int(math.floor((la + 90.0) / g.reception_cell_deg))
        c = int(math.floor((lo + 180.0) / g.reception_cell_deg))
        pos = ves = sat = 0
        for dd in range(day - half, day + half + 1):
            x = rate.get((r, c, dd))
            if x:
                pos, ves, sat = pos + x[0], ves + x[1], sat + x[2]
        if ves == 0:
            return None, None
        return pos / ves, sat / pos

    # gaps: add the reception around both ends, and whether the silence looks deliberate
    attrs = raw_t["attributes"].combine_chunks()
    conf = raw_t["confidence"].to_numpy(zero_copy_only=False).astype(np.float64)  # NaN: null
    gaps = np.flatnonzero(pc.equal(raw_t["type"], "gap").to_numpy(zero_copy_only=False))
    if len(gaps):
        rows = raw_t.take(pa.array(gaps))
        new_attrs = []
        for i, (a_text, la, lo, st, en) in enumerate(zip(
                rows["attributes"].to_pylist(), rows["lat"].to_pylist(), rows["lon"].to_pylist(),
                pc.cast(rows["start"], pa.int64()).to_pylist(), pc.cast(rows["end"], pa.int64()).to_pylist(),
                strict=True)):
            a = json.loads(a_text)
            r0, s0 = rec_at(la, lo, st // DAY)
            r1, _ = rec_at(a["end_lat"], a["end_lon"], en // DAY)
            good = r0 is not None and r0 >= g.min_reception_positions_per_day
            likely = bool(a["duration_h"] >= g.disabling_min_duration_h and good)
            a.update({"reception_start_positions_per_vessel_day": r0, "reception_end_positions_per_vessel_day": r1,
                      "reception_start_satellite_share": s0, "likely_disabling": likely})
            new_attrs.append(canonical_json(a))
            conf[gaps[i]] = 3 if likely else 2 if good else 1
        mask = np.zeros(raw_t.num_rows, bool)
        mask[gaps] = True
        attrs = pc.replace_with_mask(attrs, pa.array(mask), pa.array(new_attrs, pa.string()))
    out = pa.table({
        "event_id": raw_t["event_id"], "type": raw_t["type"], "mmsi": raw_t["mmsi"],
        "mmsi_2": raw_t["mmsi_2"], "start": raw_t["start"], "end": raw_t["end"], "lat": raw_t["lat"],
        "lon": raw_t["lon"], "site_id": raw_t["site_id"],
        "confidence": pa.array(conf, pa.float64(), mask=np.isnan(conf)).cast(pa.int8()),
        "attributes": attrs, "parameters": ctx.parameters(raw_t["type"]),
        "row": raw_t["row"],
    })
    order = pc.sort_indices(out.select(["start", "type", "mmsi", "event_id"]), sort_keys=[
        ("start", "ascending"), ("type", "ascending"), ("mmsi", "ascending"), ("event_id", "ascending")])
    # the same event found twice (e.g. by two partitions of a pair) is one event
    eid = out["event_id"].take(order)
    keep = np.ones(len(eid), bool)
    if len(eid) > 1:
        keep[1:] = pc.not_equal(eid.slice(1), eid.slice(0, len(eid) - 1)).to_numpy(zero_copy_only=False)
    out = out.take(order.filter(pa.array(keep))).combine_chunks()
    ev = take_lists(evidence, out["row"].to_numpy())
    cols = {c: out[c] for c in out.column_names}
    cols.update(evidence=ev, evidence_count=pc.cast(pc.fill_null(pc.list_value_length(ev), 0), pa.int32()))
    return pa.table({f.name: cols[f.name] for f in EVENTS}, schema=EVENTS)


__all__ = ["EVENTS", "TS", "Context", "cross_identity", "finalize", "vessel_stage"]
