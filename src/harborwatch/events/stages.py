"""The engine-independent stages of event detection: a short composition of the rules.

Both engines call exactly these functions: the local engine over vessel partitions in
threads, the Spark engine in its tasks (``mapInArrow``, ``applyInArrow``). Each function's output for a
vessel depends only on that vessel's rows, and the driver-side functions sort what they
produce, so any partitioning gives the same events.

Stages:

1. :func:`vessel_stage` (per vessel partition; positions + static reports): cleaning and
   segmentation (:func:`~harborwatch.events.fixes.fixes`), then the per-vessel rules of
   :mod:`harborwatch.events.rules` (port visits, voyages, gaps, loitering, second hulls,
   teleports, positions on land, identity changes); plus the resampled points for the encounter
   join, reception counts and the (IMO, MMSI) summary.
2. the space-time join of points (a numba sweep per slot: all slots at once in
   :meth:`~harborwatch.events.rules.encounters.Encounters.join`, or a group of slots at a time
   in :func:`~harborwatch.events.rules.encounters.close_pairs`), giving vessel pairs;
3. the pair kernel (:mod:`harborwatch.events.rules.encounters`): encounters;
4. :func:`finalize` (driver): identity links across MMSIs, gap reception, event ids, order.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from harborwatch.events.context import Context
from harborwatch.events.fixes import Near, Tracks, fixes, prepare_static
from harborwatch.events.rows import EventRows, empty_table, take_lists
from harborwatch.events.rules.identity import ids_summary
from harborwatch.events.schema import EVENTS, IDS, POINTS, RAW, RECEPTION
from harborwatch.tracks import kernels as TK


def vessel_stage(positions: pa.Table, static: pa.Table | None, ctx: Context) -> dict[str, pa.Table]:
    """Per-vessel events, encounter slots, reception counts and the IMO summary for a partition.

    ``positions``/``static`` hold whole vessels (every row of each MMSI present); order does
    not matter (already ordered input is not sorted again).
    """
    cfg = ctx.cfg
    ev = EventRows()
    out: dict[str, pa.Table] = {}
    static = prepare_static(static)
    if positions.num_rows:
        fx, bad = fixes(positions, cfg.clean, cfg.segment)
        near = Near(*ctx.ports.nearest(fx.lat, fx.lon), TK.step_distances(fx.off, fx.lat, fx.lon))
        tr = Tracks.of(fx, near, cfg.segment.min_dt_s)
        _vessel_events(tr, static, ctx, ev)
        cfg.spoofing.teleports(bad, fx, ctx, ev)
        out["points"] = cfg.encounters.points(tr) if "encounter" in ctx.types else empty_table(POINTS)
        out["reception"] = cfg.gaps.reception(fx)
    else:
        out["points"] = empty_table(POINTS)
        out["reception"] = empty_table(RECEPTION)
    if static is not None:
        cfg.identity.apply(static, ctx, ev)
        out["ids"] = ids_summary(static)
    else:
        out["ids"] = empty_table(IDS)
    out["events"] = ev.table(ctx)
    return out


#: From this many rows on, the engines split work over threads (the kernels release the GIL;
#: below it the split costs more than it saves).
THREAD_ROWS = 50_000
#: Vessel-stage partitions hold at most about this many positions (smaller ones stay in the CPU
#: caches: 5M positions in one call took 2.4-3.0 s, in ten of 500k 2.0 s).
PART_ROWS = 500_000


def ascending(a: np.ndarray) -> bool:
    """Whether ``a`` never decreases."""
    return len(a) < 2 or not bool(np.any(a[1:] < a[:-1]))


def mmsi_cuts(mmsi: np.ndarray, parts: int, ordered: bool | None = None) -> np.ndarray:
    """Inclusive upper MMSI bounds of about ``parts`` MMSI ranges with similar numbers of rows
    (increasing; the last is ``2**32 - 1``, so every MMSI falls in one range). ``ordered``:
    whether ``mmsi`` ascends (checked when None)."""
    n = len(mmsi)
    top = np.array([2**32 - 1], np.int64)
    if n == 0 or parts <= 1:
        return top
    k = [min(n - 1, j * n // parts) for j in range(1, parts)]
    # the value at each row quantile: sorted input is read, other input partly sorted (O(n))
    at = mmsi[k] if (ascending(mmsi) if ordered is None else ordered) else np.partition(mmsi, k)[k]
    # a range ends just below the quantile's MMSI, so no vessel is split
    cuts = np.unique(at.astype(np.int64)) - 1
    return np.concatenate([cuts[cuts >= 0], top])


def vessel_stage_parts(positions: pa.Table, static: pa.Table | None, ctx: Context,
                       part_rows: int = PART_ROWS) -> dict[str, pa.Table]:
    """:func:`vessel_stage` over MMSI ranges of about ``part_rows`` positions, outputs concatenated
    (a Spark task's rows, read in MMSI order). Each vessel's output depends on its own rows only
    and a range never splits a vessel, so the rows are those of one call. Input not ordered by
    MMSI, or no larger than ``part_rows``, is one call."""
    n = positions.num_rows
    mm = positions["mmsi"].to_numpy(zero_copy_only=False) if n else np.zeros(0, np.uint32)
    if n <= part_rows or positions["mmsi"].null_count or not ascending(mm):
        return vessel_stage(positions, static, ctx)
    his = mmsi_cuts(mm, -(-n // part_rows), ordered=True)
    ends = np.searchsorted(mm, his.astype(mm.dtype), side="right")
    starts = np.concatenate([[0], ends[:-1]])
    in_range = None
    if static is not None and static.num_rows:
        smm = static["mmsi"].to_numpy(zero_copy_only=False).astype(np.int64)
        in_range = np.searchsorted(his, smm, side="left")  # every static row in exactly one range
    outs = []
    for k, (a, b) in enumerate(zip(starts, ends, strict=True)):
        st = static if static is None or in_range is None else static.filter(pa.array(in_range == k))
        outs.append(vessel_stage(positions.slice(int(a), int(b - a)), st, ctx))
    return {key: pa.concat_tables([o[key] for o in outs]) for key in outs[0]}


def _vessel_events(tr: Tracks, static: pa.Table | None, ctx: Context, ev: EventRows) -> None:
    """The per-vessel rules over a partition's tracks, in order (voyages read the visits)."""
    if len(tr.fx) == 0:
        return
    cfg = ctx.cfg
    in_port_m = cfg.port_visits.exit_distance_m
    visits = cfg.port_visits.apply(tr, ctx, ev, static)
    cfg.voyages.apply(tr, visits, ctx, ev)
    cfg.gaps.apply(tr, ctx, ev, in_port_m)
    cfg.loitering.apply(tr, ctx, ev)
    cfg.identity.hulls(tr, ctx, ev)
    cfg.spoofing.on_land(tr, ctx, ev, in_port_m)


def finalize(raw: Iterable[pa.Table], ids: pa.Table, reception: pa.Table, ctx: Context) -> pa.Table:
    """All events with parameters and evidence counts, in a deterministic order."""
    cfg = ctx.cfg
    # Evidence lists hold every record of every event (as many as the positions): they stay in
    # their chunks, out of the filters, sort and take below, and are gathered once at the end.
    tables = [t for t in raw if t.num_rows] + [cfg.identity.across_mmsis(ids, ctx)]
    raw_t = pa.concat_tables(tables) if tables else RAW.empty_table()
    evidence = raw_t["evidence"]
    raw_t = raw_t.drop_columns(["evidence"]).append_column("row", pa.array(np.arange(raw_t.num_rows)))
    wanted = pc.is_in(raw_t["type"], pa.array(sorted(ctx.types)))
    if not pc.all(wanted).as_py():
        raw_t = raw_t.filter(wanted)
    raw_t = cfg.spoofing.drop_waterways(raw_t)
    # gaps: add the reception around both ends, and whether the silence looks deliberate
    attrs = raw_t["attributes"].combine_chunks()
    conf = raw_t["confidence"].to_numpy(zero_copy_only=False).astype(np.float64)  # NaN: null
    gaps = np.flatnonzero(pc.equal(raw_t["type"], "gap").to_numpy(zero_copy_only=False))
    if len(gaps):
        new_attrs, conf[gaps] = cfg.gaps.classify(raw_t.take(pa.array(gaps)), reception)
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


__all__ = ["PART_ROWS", "THREAD_ROWS", "ascending", "finalize", "mmsi_cuts", "vessel_stage", "vessel_stage_parts"]
