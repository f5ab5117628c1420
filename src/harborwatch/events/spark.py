"""The Spark engine: the same stage functions as the local engine, in one or two Spark stages over a lake.

The input is a lake (``store export --lake``): GeoParquet by UTC day and MMSI bucket. A vessel
lies whole in one bucket, so the driver only lists the files and deals the buckets out to tasks
of about equal bytes, as many as the lake's size calls for (:func:`task_count`: two a core, more
as the lake grows); positions never pass through the JVM:

1. one task per group of buckets reads its files (pyarrow, from a folder or any URI pyarrow
   opens) and runs :func:`~harborwatch.events.stages.vessel_stage`. It emits its encounter
   points by slot group (``slot % groups``, as many groups as tasks; each group's key hashes to
   a partition of its own, :func:`partition_keys`), and its events, reception counts and IMO
   summary under its own group's key, so that they take the same one shuffle;
2. per slot group, :func:`~harborwatch.events.rules.encounters.close_pairs` (the out-of-core
   engine's join: pairs form within one slot, so any grouping of slots gives the same pairs),
   while the first stage's other parts pass through.

A lake of at most :data:`DRIVER_JOIN_BYTES` skips the second stage: its tasks emit their
encounter points whole and the driver joins them with the local engine's join
(:meth:`~harborwatch.events.rules.encounters.Encounters.join`, on the driver's cores), which costs
less there than a shuffle, a second wave of tasks and a second trip of the events through Spark.

One linear plan (map, one shuffle, map, collect): an earlier plan cached the first stage and
collected its parts beside the second (a union), which cost the query two more tasks and the
cache's copy. Between stages only Arrow IPC blobs travel (no conversion to Spark rows and back:
Spark has no unsigned integers, and its row format would cost more than the kernels). The
driver collects the events, reception counts, IMO summaries and close pairs, runs
:meth:`~harborwatch.events.rules.encounters.Encounters.pairs` on the pairs (fewer rows than the
events it collects anyway: 37k at 2M positions, 15-30 ms; a third Spark stage for it cost a
shuffle and 100-150 ms a task) and :func:`~harborwatch.events.stages.finalize`, so the events are
the local engine's, byte for byte. Each task first freezes its Python worker's long-lived objects
(:func:`_settle_worker`), which PySpark's garbage collection after every task would otherwise walk.
"""

from __future__ import annotations

import gc
import os
import re
import struct
import sys
import tempfile
import warnings
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.ipc as ipc
import pyarrow.parquet as pq

from harborwatch.core.errors import HarborwatchError, require
from harborwatch.core.filesystems import filesystem, parquet_files
from harborwatch.core.schema import POSITIONS, STATIC
from harborwatch.events.context import Context
from harborwatch.events.fixes import POSITION_COLUMNS, STATIC_COLUMNS
from harborwatch.events.request import Request, read_inputs
from harborwatch.events.rules.encounters import close_pairs
from harborwatch.events.schema import IDS, PAIRS, POINTS, RAW, RECEPTION
from harborwatch.events.spill import groups
from harborwatch.events.stages import THREAD_ROWS, finalize, vessel_stage_parts
from harborwatch.store.lake import write_lake_table
from harborwatch.store.store import Store
from harborwatch.tracks.track import in_order

#: What travels between the stages: a key (a slot group's, which the first stage's tasks also
#: give their other parts; -1 for the close pairs the second stage emits), the part it holds and
#: an Arrow IPC stream of that part's rows.
BLOB = pa.schema([pa.field("key", pa.int64(), False), pa.field("part", pa.large_string(), False),
                  pa.field("blob", pa.large_binary(), False)])
#: IPC streams are cut to about this many bytes before compression (a Spark binary value holds at
#: most 2 GB; every value is copied whole into Spark's row buffers).
BLOB_BYTES = 16 << 20
#: IPC streams are LZ4-compressed: the encounter points shrink about 4x (135 MB to 33 MB for 2.5M
#: points) for 0.01 s, and every byte is copied several times on its way through the JVM.
_IPC = ipc.IpcWriteOptions(compression="lz4" if pa.Codec.is_available("lz4") else None)
#: The driver's heap in local mode (``HARBORWATCH_SPARK_MEMORY`` overrides it).
LOCAL_MEMORY = "4g"
#: Parts of the vessel stage the driver collects, with their schemas.
_VESSEL_PARTS = {"events": RAW, "ids": IDS, "reception": RECEPTION}
#: Everything the driver collects: those, and the close-pair stage's pairs or (a plan of one
#: stage) the encounter points.
_DRIVER_PARTS = {**_VESSEL_PARTS, "pairs": PAIRS, "points": POINTS}
#: Lakes up to this many bytes (Parquet, as written) join their encounter points on the driver,
#: in a plan of one Spark stage (:func:`events_from_lake`). At 2M positions (46 MB) the driver's
#: join of 110k points took 0.04-0.07 s, where the second stage cost 0.2-0.3 s: its shuffle and
#: tasks, and the events' evidence lists (13 MB of record hashes) carried through both stages.
#: A larger lake's points are joined on the executors. The points are 5-50 % as many rows as the
#: positions (at 2M: 110k on the West Coast day, where most ships stay in port, 991k on the Baltic
#: sample), about 1.3 times the lake's bytes at most. ``HARBORWATCH_SPARK_DRIVER_JOIN_MB`` overrides
#: it (0: always two stages, for a driver with little memory).
DRIVER_JOIN_BYTES = 128 << 20


def driver_join_bytes() -> int:
    """:data:`DRIVER_JOIN_BYTES`, or ``HARBORWATCH_SPARK_DRIVER_JOIN_MB`` megabytes where set."""
    raw = os.environ.get("HARBORWATCH_SPARK_DRIVER_JOIN_MB")
    if raw is None or not raw.strip():
        return DRIVER_JOIN_BYTES
    try:
        mb = float(raw)
    except ValueError:
        mb = -1.0
    if not mb >= 0:
        raise HarborwatchError(f"HARBORWATCH_SPARK_DRIVER_JOIN_MB={raw!r}: not a number of megabytes >= 0",
                               hint="e.g. HARBORWATCH_SPARK_DRIVER_JOIN_MB=0 to join on the executors always")
    return int(mb * (1 << 20))


def submitted() -> bool:
    """Whether a JVM started this process (``spark-submit``, the ``pyspark`` shell): its master,
    memory and Python are then the submission's. ``SparkConf()`` cannot tell: it stays empty until
    the JVM gateway is up, which is why an earlier check of it put submitted runs on local Spark."""
    return "PYSPARK_GATEWAY_PORT" in os.environ


@contextmanager
def _no_pandas_notice() -> Iterator[None]:
    """Without PySpark's warning that it does not fully support pandas 3 (raised when a session
    starts and when ``mapInArrow`` builds its UDF, as a pandas UDF): the engine sends Arrow only
    and never makes pandas data, so the warning would only mislead."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "PySpark does not yet fully support pandas", FutureWarning)
        yield


def _session(workers: int | None, master: str | None = None):
    SparkSession = require("pyspark.sql", "spark", "the Spark engine").SparkSession
    cores = workers or os.cpu_count() or 1
    builder = SparkSession.builder
    if not submitted():
        # workers run this interpreter, with harborwatch (a submission names its own Python:
        # spark.pyspark.python, PYSPARK_PYTHON)
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
        builder = (builder.config("spark.pyspark.python", sys.executable)
                   .config("spark.ui.enabled", "false")  # a submission keeps its cluster's UI
                   .config("spark.ui.showConsoleProgress", "false"))
    if master:
        builder = builder.master(master)
    elif not submitted():
        # local Spark runs its tasks in the driver's JVM, whose default heap (1 GB) the stage
        # outputs outgrow at about 10M positions
        # a task's collected blobs (3.6-4 MB a task at 2M positions) go to the driver with the
        # task's status, not through the block manager (over 1 MB by default): local[2] median
        # 0.94 -> 0.91-0.92 s, local[1] best 1.61 -> 1.50-1.56 s (West Coast 2M, lone process)
        builder = (builder.master(f"local[{cores}]")
                   .config("spark.driver.memory", os.environ.get("HARBORWATCH_SPARK_MEMORY", LOCAL_MEMORY))
                   .config("spark.task.maxDirectResultSize", "64m"))
    builder = (builder.appName("harborwatch-events")
               .config("spark.sql.shuffle.partitions", str(max(2, cores * 2)))
               .config("spark.sql.execution.arrow.useLargeVarTypes", "true")
               .config("spark.sql.execution.arrow.maxRecordsPerBatch", "64")  # blobs: few rows, many bytes
               .config("spark.sql.session.timeZone", "UTC"))
    with _no_pandas_notice():
        return builder.getOrCreate()


def _to_blobs(t: pa.Table, part: str, key: int) -> list[tuple[int, str, bytes]]:
    """``t`` as (key, part, IPC stream) rows of at most about :data:`BLOB_BYTES` each."""
    if t.num_rows == 0:
        return []
    rows = max(1, int(BLOB_BYTES * t.num_rows / max(t.nbytes, 1)))
    out = []
    for start in range(0, t.num_rows, rows):
        sink = pa.BufferOutputStream()
        piece = t.slice(start, rows)
        with ipc.new_stream(sink, piece.schema, options=_IPC) as w:
            w.write_table(piece)
        out.append((key, part, sink.getvalue().to_pybytes()))
    return out


def _blob_table(rows: list[tuple[int, str, bytes]]) -> pa.Table:
    return pa.table({"key": pa.array([r[0] for r in rows], pa.int64()),
                     "part": pa.array([r[1] for r in rows], pa.large_string()),
                     "blob": pa.array([r[2] for r in rows], pa.large_binary())}, schema=BLOB)


def _from_blobs(blobs: Iterable, schema: pa.Schema) -> pa.Table:
    tables = [ipc.open_stream(b.as_buffer() if hasattr(b, "as_buffer") else b).read_all() for b in blobs]
    return pa.concat_tables(tables) if tables else schema.empty_table()


def _keyed(t: pa.Table, key: np.ndarray, part: str) -> list[tuple[int, str, bytes]]:
    """``t``'s rows as blobs, one group of rows per distinct ``key``."""
    if t.num_rows == 0:
        return []
    return [r for k, rows in groups(key) for r in _to_blobs(t.take(pa.array(rows)), part, k)]


def _spark_hash_long(value: int) -> int:
    """Spark's hash of a long column's value: Murmur3 x86 32-bit of its 8 little-endian bytes with
    seed 42 (``org.apache.spark.unsafe.hash.Murmur3_x86_32.hashLong``), a signed 32-bit integer."""
    mmh3 = require("mmh3", "spark", "the Spark engine")
    return int(mmh3.hash(struct.pack("<q", value), 42, signed=True))


def partition_keys(n: int) -> list[int]:
    """A key for each of ``n`` groups that Spark's hash partitioning into ``n`` partitions
    (``repartition(n, key)``: the hash's non-negative remainder) sends to a partition of its
    own. Keys 0..n-1 collide: at 2M positions two slot groups often shared one of two
    partitions, so one core ran both (200 ms) while the other waited."""
    keys: list[int | None] = [None] * n
    k = 0
    while None in keys:
        p = _spark_hash_long(k) % n
        if keys[p] is None:
            keys[p] = k
        k += 1
    return [int(x) for x in keys if x is not None]


#: The most lake bytes (Parquet, as written) a task reads: about 3M positions, 1.5-2 s of the
#: vessel stage on one core and a bounded share of a Python worker's memory (see :func:`task_count`).
TASK_BYTES = 64 << 20


def task_count(lake_bytes: int, cores: int) -> int:
    """Tasks for a lake of ``lake_bytes`` on ``cores``: two per core, and more as the lake grows,
    so that none reads more than :data:`TASK_BYTES`. Two tasks a core even out unequal tasks (a
    core that finishes early takes another, where with one each the other core idled 0.1-0.15 s
    of a 1 s run), at about 20-50 ms a task. West Coast 2M positions (46 MB), the plan of one
    stage, best and median of 11 alternating runs: local[2] 0.89 / 1.15 s with four tasks against
    0.96 / 1.24 s with two; local[1] 1.68 / 1.81 s with two against 1.69 / 1.90 s with one. (In
    the plan of two stages, when tasks also set the second stage's groups, one a core had been
    faster at 2M positions.)"""
    return max(2 * cores, -(-lake_bytes // TASK_BYTES))


def _lake_files(lake: str | Path) -> tuple[dict[int, dict[str, list[str]]], dict[int, int]]:
    """The lake's positions and static files by MMSI bucket, and each bucket's bytes."""
    root = str(lake).rstrip("/")
    files: dict[int, dict[str, list[str]]] = {}
    size: dict[int, int] = {}
    for table in ("positions", "static"):
        for f in parquet_files(f"{root}/{table}"):
            m = re.search(r"mmsi_bucket=(\d+)", f.path)
            if m is None:
                raise HarborwatchError(f"{f.path}: not in a mmsi_bucket= folder",
                                       hint="write the lake with harborwatch store export --lake")
            k = int(m.group(1))
            files.setdefault(k, {"positions": [], "static": []})[table].append(f.path)
            size[k] = size.get(k, 0) + (f.size or 0)
    if not any(b["positions"] for b in files.values()):
        raise HarborwatchError(f"{lake}: no positions files (positions/day=.../mmsi_bucket=.../*.parquet)",
                               hint="write the lake with harborwatch store export --lake")
    return files, size


def lake_tasks(lake: str | Path, tasks: int | None = None, cores: int = 1) -> list[dict[str, list[str]]]:
    """The lake's positions and static files, dealt out to at most ``tasks`` tasks (default
    :func:`task_count` for ``cores``) by MMSI bucket: each bucket whole to one task, the largest
    first to the task with the fewest bytes."""
    return _deal(*_lake_files(lake), tasks, cores)


def _deal(files: dict[int, dict[str, list[str]]], size: dict[int, int], tasks: int | None,
          cores: int) -> list[dict[str, list[str]]]:
    n = task_count(sum(size.values()), cores) if tasks is None else tasks
    plan: list[dict[str, list[str]]] = [{"positions": [], "static": []} for _ in range(min(n, len(files)))]
    load = [0] * len(plan)
    for k in sorted(files, key=lambda k: (-size[k], k)):
        i = int(np.argmin(load))
        plan[i]["positions"] += files[k]["positions"]
        plan[i]["static"] += files[k]["static"]
        load[i] += size[k]
    return [p for p in plan if p["positions"] or p["static"]]


def _read(lake: str, files: list[str], schema: pa.Schema, columns: tuple[str, ...]) -> pa.Table | None:
    """``columns`` of a task's files of one table, typed as the store's ``schema`` (a lake written
    before a column was added: null there), in the store's order."""
    if not files:
        return None
    fs, _ = filesystem(lake)
    have = set(pq.read_schema(files[0], filesystem=fs).names)
    t = pq.read_table(files, filesystem=fs, columns=[n for n in columns if n in have], partitioning=None)
    for name in columns:
        if name not in have:
            t = t.append_column(name, pa.nulls(t.num_rows, schema.field(name).type))
    return store_order(t.select(list(columns)).cast(pa.schema([schema.field(n) for n in columns])))


def store_order(t: pa.Table) -> pa.Table:
    """``t`` ordered by (mmsi, timestamp, record_hash), the stores' order, which the stages then
    need not sort. A task's files are one period after another, each in that order
    (:func:`~harborwatch.store.lake.export_lake` writes them so), so a stable sort by MMSI alone
    gives it (:func:`~harborwatch.tracks.track.in_order`)."""
    return in_order(t)


def _spark_blob_schema():
    """:data:`BLOB` as a Spark schema (a DDL string would cost a parse in the JVM each query)."""
    from pyspark.sql import types as T

    return T.StructType([T.StructField("key", T.LongType(), False), T.StructField("part", T.StringType(), False),
                         T.StructField("blob", T.BinaryType(), False)])


def _settle_worker() -> None:
    """Leave the objects alive at a task's start (the modules its Python worker imported, the
    stage's closure) to reference counting alone (``gc.freeze()``). PySpark's daemon runs a full
    ``gc.collect()`` after every task of a reused worker, before the worker takes its next task:
    over the ~180k objects that pyarrow, numba and harborwatch leave in a worker that took
    0.09-0.18 s, and the second stage of a query waited for it. A frozen object is still freed
    when its last reference goes; only a reference cycle among them outlives its task."""
    gc.freeze()


def _batches_table(batches: Iterator[pa.RecordBatch]) -> pa.Table:
    """A task's input batches as one :data:`BLOB` table."""
    got = list(batches)
    return pa.Table.from_batches(got).cast(BLOB) if got else BLOB.empty_table()


def events_from_lake(spark, lake: str | Path, ctx: Context, cores: int, tasks: int | None = None,
                     driver_join: bool | None = None) -> pa.Table:
    """Every stage on a lake's files for ``cores`` cores: ``tasks`` vessel tasks (default
    :func:`task_count`), then the encounter join on the driver (``driver_join``; default: a lake
    of at most :func:`driver_join_bytes`) or in a second stage of as many slot groups; returns the
    finished events table."""
    root = str(lake).rstrip("/")
    files, size = _lake_files(root)
    plan = _deal(files, size, tasks, cores)
    one_stage = sum(size.values()) <= driver_join_bytes() if driver_join is None else driver_join
    groups = len(plan)
    keys = np.array(partition_keys(groups), np.int64)  # slot group -> a key in a partition of its own
    enc = ctx.cfg.encounters
    schema = _spark_blob_schema()

    def stage1(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        _settle_worker()
        for b in batches:
            for i in b.column("id").to_pylist():
                pos = _read(root, plan[i]["positions"], POSITIONS, POSITION_COLUMNS)
                out = vessel_stage_parts(POSITIONS.empty_table() if pos is None else pos,
                                         _read(root, plan[i]["static"], STATIC, STATIC_COLUMNS), ctx)
                # the driver's parts ride with slot group i's points (as many groups as tasks)
                rows = [r for k in _VESSEL_PARTS for r in _to_blobs(out[k], k, int(keys[i]))]
                pts = out["points"]
                rows += (_to_blobs(pts, "points", int(keys[i])) if one_stage else
                         _keyed(pts, keys[pc.remainder(pts["slot"], groups).to_numpy()], "points"))
                if rows:
                    yield from _blob_table(rows).to_batches()

    def stage2(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        # a partition's rows, whatever slot groups they hold: pairs form within one slot
        _settle_worker()
        t = _batches_table(batches)
        points = pc.equal(t["part"], "points")
        yield from t.filter(pc.invert(points)).to_batches()
        pts = t.filter(points)
        if pts.num_rows:
            pairs = close_pairs(enc, _from_blobs(pts["blob"], POINTS).cast(POINTS))
            yield from _blob_table(_to_blobs(pairs, "pairs", -1)).to_batches()

    # The plan's partitions are set here (tasks, groups), so adaptive execution has nothing to
    # coalesce; it would cut the query into a job per stage. It is turned off for this query only.
    aqe = spark.conf.get("spark.sql.adaptive.enabled", "true")
    spark.conf.set("spark.sql.adaptive.enabled", "false")
    try:
        with _no_pandas_notice():
            query = spark.range(len(plan), numPartitions=len(plan)).mapInArrow(stage1, schema=schema)
            if not one_stage:
                query = query.repartition(groups, "key").mapInArrow(stage2, schema=schema)
            got = query.toArrow()
    finally:
        spark.conf.set("spark.sql.adaptive.enabled", aqe)
    part = got["part"].to_pylist()
    blobs = got["blob"]
    tables = {k: _from_blobs([blobs[i] for i, p in enumerate(part) if p == k], s).cast(s)
              for k, s in _DRIVER_PARTS.items()}
    if one_stage:  # the local engine's join, on the driver's cores
        points = tables["points"]
        threads = min(cores, _driver_cpus()) if points.num_rows >= THREAD_ROWS else 1
        encounters = enc.join(points, ctx, workers=threads)
    else:
        encounters = enc.pairs(tables["pairs"], ctx)
    return finalize([tables["events"], encounters], tables["ids"], tables["reception"], ctx)


def _driver_cpus() -> int:
    """The CPUs this process may run on (a cluster's driver has its own, not the executors')."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def session_master() -> str | None:
    """The master URL of this process's Spark session (``local[2]``, ``spark://host:7077``,
    ``yarn``...), or None without one: what a run's report names."""
    if "pyspark" not in sys.modules:
        return None
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    return None if active is None else active.sparkContext.master


def _cores(spark, workers: int | None) -> int:
    return workers or spark.sparkContext.defaultParallelism or os.cpu_count() or 1


def run_spark(store: Store, req: Request, workers: int | None = None,
              progress: Callable[[str, int, int], None] | None = None) -> pa.Table:
    """The store's window as a lake in a temporary folder, then :func:`events_from_lake` on local Spark."""
    ctx = req.context()
    say = progress or (lambda stage, done, total: None)
    say("read", 0, 1)
    positions, static = read_inputs(store, req)
    spark = _session(workers)
    cores = _cores(spark, workers)
    with tempfile.TemporaryDirectory(prefix="hw-spark-") as tmp:
        # by month: a store's window is a region's feed, whose days would make tiny files
        write_lake_table(positions, Path(tmp) / "positions", cores * 4, period="month")
        write_lake_table(static, Path(tmp) / "static", cores * 4, period="month")
        say("read", 1, 1)
        say("spark", 0, 1)
        out = events_from_lake(spark, tmp, ctx, cores)
        say("spark", 1, 1)
    return out


def run_spark_lake(lake: str | Path, req: Request, workers: int | None = None, master: str | None = None,
                   progress: Callable[[str, int, int], None] | None = None) -> pa.Table:
    """Events from a lake (``store export --lake``; local paths or any URI pyarrow opens on the
    executors, such as ``gs://`` or ``s3://``) on ``master`` (default local Spark; ``spark-submit``
    sets its own). The request's window is not applied here: the lake is read whole."""
    if req.since is not None or req.until is not None:
        raise HarborwatchError("--since/--until are not supported with --lake",
                               hint="export the window you want, or filter the lake's day= folders")
    ctx = req.context()
    say = progress or (lambda stage, done, total: None)
    spark = _session(workers, master)
    cores = _cores(spark, workers)
    say("spark", 0, 1)
    out = events_from_lake(spark, lake, ctx, cores)
    say("spark", 1, 1)
    return out
