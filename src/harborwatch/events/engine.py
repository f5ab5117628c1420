"""Engines: run the stages of :mod:`harborwatch.events.stages` over a store.

``local`` partitions vessels over threads (the kernels release the GIL) and joins encounter
points in one numba sweep per slot (:func:`~harborwatch.events.kernels.bucket_pairs`);
``spark`` (:mod:`harborwatch.events.spark`) runs the same stage functions in Spark tasks on a
lake, and the same sweep a group of slots at a time. Both return the same table.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from harborwatch.core.errors import HarborwatchError
from harborwatch.events import kernels as EK
from harborwatch.events.context import Context
from harborwatch.events.fixes import POSITION_COLUMNS, STATIC_COLUMNS, prepare_static
from harborwatch.events.request import Request, count_positions, read_inputs, window_clause
from harborwatch.events.rules.encounters import close_pairs
from harborwatch.events.schema import EVENTS, IDS, PAIRS, POINTS, RAW, RECEPTION
from harborwatch.events.spill import PointSpill, slot_edges
from harborwatch.events.stages import PART_ROWS, THREAD_ROWS, ascending, finalize, mmsi_cuts, vessel_stage
from harborwatch.store.store import Store

#: The local engine reads at most about this many positions from the store at once; a larger
#: window runs out of core, in MMSI ranges of about this size.
CHUNK_ROWS = 4_000_000


@dataclass(frozen=True)
class _Part:
    """The rows of one MMSI range of a table: ``rows`` of them, a slice of sorted input or the
    row numbers of unsorted input (in input order)."""

    t: pa.Table
    a: int
    b: int
    idx: np.ndarray | None = None

    @property
    def rows(self) -> int:
        return self.b - self.a if self.idx is None else len(self.idx)

    def table(self) -> pa.Table:
        """The rows, ordered by (mmsi, timestamp, record_hash) unless they hold nulls there (the
        stages then sort them themselves)."""
        if self.idx is None:
            return self.t.slice(self.a, self.b - self.a)
        # the rows in input order first (``idx`` ascends: a forward scan), then sorted in place:
        # gathering straight from the whole table in sorted order is random access
        sub = self.t.take(pa.array(self.idx))
        keys = ["mmsi", "timestamp", "record_hash"]
        if self.rows > 1 and not any(sub[c].null_count for c in keys):
            return sub.take(pc.sort_indices(sub.select(keys), sort_keys=[(c, "ascending") for c in keys]))
        return sub


def _split(t: pa.Table, mm: np.ndarray, his: np.ndarray, ordered: bool) -> list[_Part]:
    """``t``'s rows in each MMSI range ``(his[k - 1], his[k]]``: slices when ``t`` is sorted by
    MMSI (``ordered``), otherwise row numbers from a stable counting sort by range."""
    if ordered:
        ends = np.searchsorted(mm, his.astype(mm.dtype), side="right") if len(mm) else np.zeros(len(his), np.int64)
        starts = np.concatenate([[0], ends[:-1]])
        return [_Part(t, int(a), int(b)) for a, b in zip(starts, ends, strict=True)]
    order, ends = EK.range_order(mm, his)
    starts = np.concatenate([[0], ends[:-1]])
    return [_Part(t, 0, 0, order[a:b]) for a, b in zip(starts, ends, strict=True)]


def _mmsi(t: pa.Table) -> np.ndarray:
    return t["mmsi"].to_numpy(zero_copy_only=False) if t.num_rows else np.zeros(0, np.uint32)


def run_local(store: Store, req: Request, workers: int | None = None,
              progress: Callable[[str, int, int], None] | None = None, chunk_rows: int | None = None,
              sink: Callable[[pa.Table], None] | None = None) -> pa.Table:
    """Detect events with local threads; returns the :data:`~harborwatch.events.schema.EVENTS` table.

    Up to ``chunk_rows`` positions (default :data:`CHUNK_ROWS`) are read at once. A larger
    window is read out of core: in MMSI ranges of about that many positions, each through the
    vessel stage in turn, with the encounter points spilled to disk (:mod:`~harborwatch.events.spill`).
    The events are the same either way (no vessel is split between ranges).

    With ``sink``, events are handed to it as they are final, in tables, and an empty table is
    returned: each range's events in one table once the range is done and the next range read
    (so the sink, in a thread of its own, writes them while that range runs), except the
    :data:`GLOBAL_TYPES`, which need every range and come last. Then no more than two ranges'
    events are ever in memory."""
    say = progress or (lambda stage, done, total: None)
    chunk_rows = chunk_rows or CHUNK_ROWS
    n = count_positions(store, req)
    if n <= chunk_rows:
        say("read", 0, 1)
        positions, static = read_inputs(store, req)
        say("read", 1, 1)
        return _deliver(detect(positions, static, req, workers=workers, progress=progress), sink)
    ctx = req.context()
    cuts = store_cuts(store, req, -(-n // chunk_rows))
    outs: list[dict[str, pa.Table]] = []
    # the ranges are read through a cursor of their own, so a sink may write the store from its
    # thread; never at the same time, though: both share the store's memory cap
    reader = Store(store.path, store.con.cursor())
    with PointSpill(_slot_edges(store, req, ctx, -(-n // chunk_rows))) as spill, _Behind(sink) as behind:
        def read(k: int) -> tuple[pa.Table, pa.Table]:
            with behind.lock:  # unsorted: the partitions' threads sort their rows
                return read_inputs(reader, req, (int(cuts[k - 1]) if k else -1, int(cuts[k])),
                                   (POSITION_COLUMNS, STATIC_COLUMNS), ordered=False)

        ahead = [read(0)]  # the range read next
        for k in range(len(cuts)):
            range_outs = vessel_outs(*ahead.pop(), ctx, workers)
            for part in range_outs:
                spill.add(part.pop("points"))
            # the next range is read before this one's events are handed on, so that the sink
            # writes them while the next range runs, not while the reader waits for the store
            if k + 1 < len(cuts):
                ahead.append(read(k + 1))
            o = _merge(range_outs)
            if sink is not None:  # the range's events in one table: one finalize, one put
                o["events"] = _hand_on(o["events"], ctx, behind)
            outs.append(o)
            say("ranges", k + 1, len(cuts))
        pairs = []
        if "encounter" in ctx.types:
            say("encounters", 0, 1)
            pairs = [close_pairs(ctx.cfg.encounters, w, workers or os.cpu_count() or 1) for w in spill.windows()]
        # the windows' pairs as chunks of one table (no copy): the per-pair stage takes them in groups
        pairs_t = _concat(pairs, PAIRS, combine=False)
        return _deliver(combine(outs, ctx, workers, say, ctx.cfg.encounters.pairs(pairs_t, ctx)),
                        behind if sink is not None else None)


def _merge(outs: list[dict[str, pa.Table]]) -> dict[str, pa.Table]:
    """The vessel stage's outputs of one MMSI range's partitions (their points spilled) as one
    output; the events stay in their chunks (:func:`finalize` gathers them once)."""
    events = [o["events"] for o in outs if o["events"].num_rows]
    return {"events": pa.concat_tables(events) if events else RAW.empty_table(),
            "ids": _concat([o["ids"] for o in outs], IDS),
            "reception": _concat([o["reception"] for o in outs], RECEPTION)}


def _deliver(ev: pa.Table, sink: Callable[[pa.Table], None] | None) -> pa.Table:
    """``ev`` itself without a sink; else handed to the sink, and an empty table returned."""
    if sink is None:
        return ev
    sink(ev)
    return EVENTS.empty_table()


class _Behind:
    """A sink run in a worker thread, one table at a time, at most two tables behind the caller
    (so memory stays bounded); its first error is raised in the caller, at the latest on exit.
    The sink holds ``lock`` while it runs; the caller holds it while it reads the store, so the
    two never run DuckDB at once (each may take most of the store's memory cap: a sort, a commit's
    checkpoint)."""

    def __init__(self, sink: Callable[[pa.Table], None] | None) -> None:
        self.sink = sink
        self.pending: list = []
        self.lock = threading.Lock()

    def __enter__(self) -> _Behind:
        self.ex = ThreadPoolExecutor(max_workers=1, thread_name_prefix="harborwatch-sink")
        return self

    def __call__(self, t: pa.Table) -> None:
        if self.sink is None:
            return
        while len(self.pending) >= 2:
            self.pending.pop(0).result()
        self.pending.append(self.ex.submit(self._run, self.sink, t))

    def _run(self, sink: Callable[[pa.Table], None], t: pa.Table) -> None:
        with self.lock:
            sink(t)

    def __exit__(self, *exc: object) -> None:
        try:
            for f in self.pending:
                f.result()
        finally:
            self.ex.shutdown(wait=True)


#: Event types that are final only when every MMSI range is done: gaps (the reception around them
#: is counted over all vessels), on-land events (dropped where other vessels are on land too) and
#: encounters (pairs across ranges). Identity links across MMSIs also come at the end.
GLOBAL_TYPES = ("gap", "on_land", "encounter")


def _hand_on(raw: pa.Table, ctx: Context, sink: Callable[[pa.Table], None]) -> pa.Table:
    """Finalize and hand on a range's events that need no other range; return the others."""
    glob = pc.is_in(raw["type"], pa.array(GLOBAL_TYPES))
    now = raw.filter(pc.invert(glob))
    if now.num_rows:
        sink(finalize([now], IDS.empty_table(), RECEPTION.empty_table(), ctx))
    return raw.filter(glob)


def _slot_edges(store: Store, req: Request, ctx: Context, windows: int) -> np.ndarray:
    """Inner edges of ``windows`` slot windows over the request's positions, for the spilled points."""
    clause, params = window_clause(req)
    t = store.sql(f"SELECT epoch_ms(min(timestamp)) AS a, epoch_ms(max(timestamp)) AS b FROM positions {clause}",
                  params).to_pylist()[0]
    return slot_edges(int(t["a"]), int(t["b"]), int(ctx.cfg.encounters.step_min * 60_000), windows)


def store_cuts(store: Store, req: Request, parts: int) -> np.ndarray:
    """:func:`mmsi_cuts` from the store's positions per vessel (one row per MMSI), not from the
    positions themselves: inclusive upper MMSI bounds of about ``parts`` ranges of similar numbers
    of positions."""
    clause, params = window_clause(req)
    per = store.sql(f"SELECT mmsi, count(*) AS n FROM positions {clause} GROUP BY mmsi ORDER BY mmsi", params)
    mm = per["mmsi"].to_numpy(zero_copy_only=False).astype(np.int64)
    cum = np.cumsum(per["n"].to_numpy(zero_copy_only=False))
    top = np.array([2**32 - 1], np.int64)
    if len(mm) == 0 or parts <= 1:
        return top
    # the vessel holding each row quantile starts the next range
    k = np.searchsorted(cum, [j * cum[-1] // parts for j in range(1, parts)], side="right")
    cuts = np.unique(mm[np.minimum(k, len(mm) - 1)]) - 1
    return np.concatenate([cuts[cuts >= 0], top])


def detect(positions: pa.Table, static: pa.Table | None, req: Request, workers: int | None = None,
           progress: Callable[[str, int, int], None] | None = None) -> pa.Table:
    """Events from in-memory positions and static reports (the local engine without a store)."""
    ctx = req.context()
    say = progress or (lambda stage, done, total: None)
    return combine(vessel_outs(positions, static, ctx, workers, say), ctx, workers, say)


def vessel_outs(positions: pa.Table, static: pa.Table | None, ctx: Context, workers: int | None = None,
                say: Callable[[str, int, int], None] | None = None) -> list[dict[str, pa.Table]]:
    """The vessel stage over MMSI ranges of in-memory rows, on threads: one output per range."""
    say = say or (lambda stage, done, total: None)
    # only the columns the stages read; each partition's thread casts and sorts its rows
    static = (prepare_static(None, empty=True) if static is None or static.num_rows == 0
              else static.select([c for c in STATIC_COLUMNS if c in static.column_names]))
    positions = positions.select([c for c in POSITION_COLUMNS if c in positions.column_names])
    # Vessels are split over threads by MMSI ranges; each thread sorts its own rows by
    # (mmsi, timestamp, record_hash) (rows already in that order are sliced, not copied).
    workers = workers or os.cpu_count() or 1
    threaded = workers > 1 and positions.num_rows >= THREAD_ROWS
    mm = _mmsi(positions)
    ordered = ascending(mm)
    his = mmsi_cuts(mm, max(-(-positions.num_rows // PART_ROWS), workers * 4 if threaded else 1), ordered)
    # every static row goes to exactly one partition, also for vessels with no positions
    smm = _mmsi(static)
    jobs = list(zip(_split(positions, mm, his, ordered), _split(static, smm, his, ascending(smm)), strict=True))
    jobs = [j for j in jobs if j[0].rows or j[1].rows] or jobs[:1]

    def run_part(job: tuple[_Part, _Part]) -> dict[str, pa.Table]:
        return vessel_stage(job[0].table(), job[1].table(), ctx)

    if len(jobs) > 1 and "on_land" in ctx.types:
        from harborwatch.geo.landmask import is_land_with_margin

        is_land_with_margin(np.zeros(1), np.zeros(1), 0.0)  # load the cached mask once, before the threads use it
    outs: list[dict[str, pa.Table]] = []
    with ThreadPoolExecutor(max_workers=min(workers, len(jobs))) as ex:
        for k, o in enumerate(ex.map(run_part, jobs) if len(jobs) > 1 else [run_part(jobs[0])]):
            outs.append(o)
            say("vessels", k + 1, len(jobs))
    return outs


def combine(outs: list[dict[str, pa.Table]], ctx: Context, workers: int | None = None,
            say: Callable[[str, int, int], None] | None = None, pair_events: pa.Table | None = None) -> pa.Table:
    """The encounter join over every range's slots (unless ``pair_events`` holds its events
    already), then :func:`finalize` over all ranges."""
    say = say or (lambda stage, done, total: None)
    workers = workers or os.cpu_count() or 1
    if pair_events is None:
        points = _concat([o["points"] for o in outs], POINTS)
        say("encounters", 0, 1)
        pair_events = ctx.cfg.encounters.join(points, ctx, workers=workers if points.num_rows >= THREAD_ROWS else 1)
    say("encounters", 1, 1)
    return finalize([o["events"] for o in outs] + [pair_events], _concat([o["ids"] for o in outs], IDS),
                    _concat([o["reception"] for o in outs], RECEPTION), ctx)


def _concat(tables: Iterable[pa.Table], schema: pa.Schema, combine: bool = True) -> pa.Table:
    ts = [t for t in tables if t.num_rows]
    if not ts:
        return schema.empty_table()
    t = pa.concat_tables(ts)
    return t.combine_chunks() if combine else t


def run(store: Store, req: Request, engine: str = "local", workers: int | None = None,
        progress: Callable[[str, int, int], None] | None = None,
        sink: Callable[[pa.Table], None] | None = None) -> pa.Table:
    """The events of the request with the named engine; with ``sink``, handed to it in tables (the
    local engine as each MMSI range is done, see :func:`run_local`) and an empty table returned."""
    if engine == "local":
        return run_local(store, req, workers=workers, progress=progress, sink=sink)
    if engine == "spark":
        from harborwatch.events.spark import run_spark

        return _deliver(run_spark(store, req, workers=workers, progress=progress), sink)
    raise HarborwatchError(f"unknown engine {engine!r}; expected local or spark")
