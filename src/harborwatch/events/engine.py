"""Engines: run the stages of :mod:`harborwatch.events.stages` over a store.

``local`` partitions vessels over threads (the kernels release the GIL) and joins encounter
points in one numba sweep per slot (:func:`~harborwatch.events.kernels.bucket_pairs`);
``spark`` (:mod:`harborwatch.events.spark`) runs the same stage functions in
``applyInArrow`` and the same join in Spark SQL. Both return the same table.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import pyarrow as pa

from harborwatch.core.errors import HarborwatchError
from harborwatch.events.encounters import slot_pair_stage
from harborwatch.events.params import EVENT_TYPES, EventsConfig
from harborwatch.events.schema import IDS, POINTS, RECEPTION
from harborwatch.events.stages import (
    POSITION_COLUMNS,
    STATIC_COLUMNS,
    Context,
    _prepare_static,
    finalize,
    vessel_stage,
)
from harborwatch.sites.catalogue import SiteCatalogue
from harborwatch.store.store import Store

#: From this many positions on, the local engine splits vessels over threads (the kernels
#: release the GIL; below it the split costs more than it saves).
THREAD_ROWS = 50_000
#: Partitions hold at most about this many positions (smaller ones stay in the CPU caches).
PART_ROWS = 500_000

@dataclass
class Request:
    """What to detect: rules, sites, event types and a time window (UTC, end exclusive)."""

    cfg: EventsConfig
    sites: SiteCatalogue
    types: Sequence[str] = EVENT_TYPES
    since: datetime | None = None
    until: datetime | None = None

    def context(self) -> Context:
        bad = [t for t in self.types if t not in EVENT_TYPES]
        if bad:
            raise HarborwatchError(f"unknown event type {bad[0]!r}; expected some of {', '.join(EVENT_TYPES)}")
        return Context(self.cfg, self.sites, self.types)


def read_inputs(store: Store, req: Request) -> tuple[pa.Table, pa.Table]:
    """Positions in the window, and static reports of those vessels (from a draught window earlier)."""
    positions = store.positions(since=req.since, until=req.until)
    where, params = [], []
    if req.since is not None:
        where.append("timestamp >= ?")
        params.append(req.since - timedelta(hours=req.cfg.port_visits.draught_window_h))
    if req.until is not None:
        where.append("timestamp < ?")
        params.append(req.until)
    clause = ("WHERE " + " AND ".join(where)) if where else ""
    static = store.sql(f"SELECT * FROM static {clause} ORDER BY mmsi, timestamp, record_hash", params)
    return positions, static


def partition_bounds(mmsi: np.ndarray, parts: int) -> list[tuple[int, int]]:
    """Split rows sorted by MMSI into about ``parts`` slices of similar size, never splitting a vessel."""
    n = len(mmsi)
    if n == 0:
        return []
    cuts = [0]
    for k in range(1, parts):
        c = int(np.searchsorted(mmsi, mmsi[min(n - 1, k * n // parts)], side="left"))
        if c > cuts[-1]:
            cuts.append(c)
    cuts.append(n)
    return [(a, b) for a, b in zip(cuts, cuts[1:], strict=False) if b > a]


def run_local(store: Store, req: Request, workers: int | None = None,
              progress: Callable[[str, int, int], None] | None = None) -> pa.Table:
    """Detect events with local threads; returns the :data:`~harborwatch.events.schema.EVENTS` table."""
    say = progress or (lambda stage, done, total: None)
    say("read", 0, 1)
    positions, static = read_inputs(store, req)
    say("read", 1, 1)
    return detect(positions, static, req, workers=workers, progress=progress)


def detect(positions: pa.Table, static: pa.Table | None, req: Request, workers: int | None = None,
           progress: Callable[[str, int, int], None] | None = None) -> pa.Table:
    """Events from in-memory positions and static reports (the local engine without a store)."""
    ctx = req.context()
    say = progress or (lambda stage, done, total: None)
    # only the columns the stages read; each partition's thread casts and sorts its rows
    static = (_prepare_static(None, empty=True) if static is None or static.num_rows == 0
              else static.select([c for c in STATIC_COLUMNS if c in static.column_names]))
    positions = positions.select([c for c in POSITION_COLUMNS if c in positions.column_names])
    # Vessels are split over threads by MMSI: a stable sort by MMSI here, the rest of the
    # (mmsi, timestamp, record_hash) order inside each partition's thread.
    pos_order, mm = _by_mmsi(positions)
    sta_order, smm = _by_mmsi(static)
    workers = workers or os.cpu_count() or 1
    threaded = workers > 1 and positions.num_rows >= THREAD_ROWS
    parts = partition_bounds(mm, max(-(-positions.num_rows // PART_ROWS), workers * 4 if threaded else 1))
    # every static row goes to exactly one partition, also for vessels with no positions
    jobs, lo = [], 0
    for k, (a, b) in enumerate(parts or [(0, 0)]):
        hi = int(mm[b - 1]) if k < len(parts) - 1 else 2**32 - 1
        # scalars of the array's type: numpy would otherwise convert all of ``smm`` for each search
        sa, sb = (int(np.searchsorted(smm, smm.dtype.type(x), side)) for x, side in ((lo, "left"), (hi, "right")))
        jobs.append(((a, b), (sa, sb)))
        lo = hi + 1

    def run_part(job: tuple) -> dict[str, pa.Table]:
        (a, b), (sa, sb) = job
        return vessel_stage(_rows(positions, pos_order, a, b), _rows(static, sta_order, sa, sb), ctx)

    if len(jobs) > 1 and "on_land" in ctx.types:
        from harborwatch.tracks.landmask import is_land_with_margin

        is_land_with_margin(np.zeros(1), np.zeros(1), 0.0)  # load the cached mask once, before the threads use it
    outs: list[dict[str, pa.Table]] = []
    with ThreadPoolExecutor(max_workers=min(workers, len(jobs))) as ex:
        for k, o in enumerate(ex.map(run_part, jobs) if len(jobs) > 1 else [run_part(jobs[0])]):
            outs.append(o)
            say("vessels", k + 1, len(jobs))
    points = _concat([o["points"] for o in outs], POINTS)
    say("encounters", 0, 1)
    pair_events = slot_pair_stage(points, ctx, workers=workers if points.num_rows >= THREAD_ROWS else 1)
    say("encounters", 1, 1)
    return finalize([o["events"] for o in outs] + [pair_events], _concat([o["ids"] for o in outs], IDS),
                    _concat([o["reception"] for o in outs], RECEPTION), ctx)


def _by_mmsi(t: pa.Table) -> tuple[np.ndarray | None, np.ndarray]:
    """(row order that sorts ``t`` by MMSI, stably; None if it already is, and the sorted MMSIs)."""
    mm = t["mmsi"].to_numpy(zero_copy_only=False) if t.num_rows else np.zeros(0, np.uint32)
    if len(mm) < 2 or not np.any(mm[1:] < mm[:-1]):
        return None, mm
    order = np.argsort(mm, kind="stable")
    return order, mm[order]


def _rows(t: pa.Table, order: np.ndarray | None, a: int, b: int) -> pa.Table:
    """Rows ``a:b`` of ``t`` in ``order``."""
    return t.slice(a, b - a) if order is None else t.take(pa.array(order[a:b]))


def _concat(tables: Iterable[pa.Table], schema: pa.Schema) -> pa.Table:
    ts = [t for t in tables if t.num_rows]
    return pa.concat_tables(ts).combine_chunks() if ts else schema.empty_table()


def run(store: Store, req: Request, engine: str = "local", workers: int | None = None,
        progress: Callable[[str, int, int], None] | None = None) -> pa.Table:
    if engine == "local":
        return run_local(store, req, workers=workers, progress=progress)
    if engine == "spark":
        from harborwatch.events.spark import run_spark

        return run_spark(store, req, workers=workers, progress=progress)
    raise HarborwatchError(f"unknown engine {engine!r}; expected local or spark")
