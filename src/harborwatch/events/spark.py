"""The Spark engine: the same stage functions inside ``applyInArrow``, the same bucket join in Spark SQL.

Positions and static reports are read from Parquet (the store's day-partitioned export, or
any dataset with the positions/static schemas), so a cluster reads them where they lie.
Vessels are grouped into ``mmsi % partitions`` buckets; within a bucket the stage functions
see whole vessels, so their output does not depend on the bucketing. The driver collects
only events, reception counts and the (IMO, MMSI) summary, and runs :func:`finalize`.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa

from harborwatch.core.errors import HarborwatchError, require
from harborwatch.core.schema import POSITIONS, STATIC
from harborwatch.events.context import Context
from harborwatch.events.request import Request, read_inputs
from harborwatch.events.schema import IDS, PAIRS, RAW, RECEPTION, SLOTS
from harborwatch.events.stages import finalize, vessel_stage
from harborwatch.store.store import Store


def _session(workers: int | None, master: str | None = None):
    SparkSession = require("pyspark.sql", "spark", "the Spark engine").SparkSession
    import sys

    cores = workers or os.cpu_count() or 1
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)  # workers run this interpreter, with harborwatch
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    builder = SparkSession.builder
    if master:
        builder = builder.master(master)
    elif not require("pyspark", "spark", "the Spark engine").SparkConf().contains("spark.master"):
        builder = builder.master(f"local[{cores}]")  # spark-submit sets its own master
    return (builder.appName("harborwatch-events")
            .config("spark.sql.shuffle.partitions", str(max(2, cores * 2)))
            .config("spark.sql.execution.arrow.pyspark.enabled", "true")
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.pyspark.python", sys.executable)
            .getOrCreate())


def events_from_parquet(spark, positions_path: str, static_path: str | None, ctx: Context,
                        partitions: int) -> pa.Table:
    """Run every stage on Parquet datasets; returns the finished events table."""
    from pyspark.sql import functions as F

    # a lake's partition columns and geometry are not the stages' input
    extra = ("day", "mmsi_bucket", "geometry")
    pos = spark.read.parquet(positions_path).drop(*extra)
    pos = pos.withColumn("_bucket", F.col("mmsi") % partitions)
    stat = None
    if static_path:
        stat = spark.read.parquet(static_path).drop(*extra).withColumn("_bucket", F.col("mmsi") % partitions)

    def strip(t: pa.Table, schema: pa.Schema) -> pa.Table:
        """Back from Spark's types (no unsigned integers, microsecond times) to the store's."""
        t = t.drop_columns([c for c in ("_bucket", "_pair") if c in t.column_names])
        return t.cast(pa.schema([schema.field(n) if n in schema.names else t.schema.field(n)
                                 for n in t.column_names]))

    def vessel(p: pa.Table, s: pa.Table | None) -> pa.Table:
        out = vessel_stage(strip(p, POSITIONS), None if s is None else strip(s, STATIC), ctx)
        out["slots"] = ctx.cfg.encounters.explode(out.pop("points"))
        return _to_spark(_combine(out))

    def pairs(t: pa.Table) -> pa.Table:
        return _to_spark(ctx.cfg.encounters.pairs(strip(t, PAIRS), ctx))

    # one pass of the vessel stage per bucket; its four outputs travel in one wide table
    g = pos.groupBy("_bucket")
    if stat is not None:
        out = g.cogroup(stat.groupBy("_bucket")).applyInArrow(vessel, schema=_ddl(COMBINED))
    else:
        out = g.applyInArrow(lambda p: vessel(p, None), schema=_ddl(COMBINED))
    out = out.persist()

    def part(name: str):
        return out.filter(F.col("part") == name).select(
            *[F.col(f"{name}__{f.name}").alias(f.name) for f in _PARTS[name]])

    raw, id_rows, rec, sl = part("events"), part("ids"), part("reception"), part("slots")
    a = sl.alias("a")
    b = sl.alias("b")
    cols = [F.col("a.mmsi").alias("mmsi_a"), F.col("a.hull").alias("hull_a"), F.col("b.mmsi").alias("mmsi_b"),
            F.col("b.hull").alias("hull_b"), F.col("a.slot").alias("slot"),
            F.col("a.lat").alias("lat_a"), F.col("a.lon").alias("lon_a"), F.col("a.speed_kn").alias("speed_a"),
            F.col("a.ref0").alias("ref0_a"), F.col("a.ref1").alias("ref1_a"),
            F.col("b.lat").alias("lat_b"), F.col("b.lon").alias("lon_b"), F.col("b.speed_kn").alias("speed_b"),
            F.col("b.ref0").alias("ref0_b"), F.col("b.ref1").alias("ref1_b")]
    joined = (a.join(b, (F.col("a.slot") == F.col("b.slot")) & (F.col("a.cell") == F.col("b.cell"))
                     & (F.col("a.mmsi") < F.col("b.mmsi"))).select(*cols)
              .dropDuplicates(["mmsi_a", "hull_a", "mmsi_b", "hull_b", "slot"])
              .withColumn("_pair", (F.col("mmsi_a") * F.lit(31) + F.col("mmsi_b")) % partitions))
    enc = joined.groupBy("_pair").applyInArrow(pairs, schema=_ddl(RAW))
    raw_t = raw.unionByName(enc).toArrow().cast(RAW)
    ids_t = id_rows.toArrow().cast(IDS)
    rec_t = rec.toArrow().cast(RECEPTION)
    out.unpersist()
    return finalize([raw_t], ids_t, rec_t, ctx)


#: The vessel stage's outputs, by name.
_PARTS = {"events": RAW, "slots": SLOTS, "reception": RECEPTION, "ids": IDS}
#: All of them in one table: ``part`` names the output, ``<part>__<column>`` holds its columns.
COMBINED = pa.schema([pa.field("part", pa.string(), False)]
                     + [pa.field(f"{k}__{f.name}", f.type) for k, sch in _PARTS.items() for f in sch])


def _combine(out: dict[str, pa.Table]) -> pa.Table:
    tables = []
    for k in _PARTS:
        t = out[k]
        n = t.num_rows
        cols = [pa.array([k] * n, pa.string())]
        for kk, sch in _PARTS.items():
            cols += [t[f.name] if kk == k else pa.nulls(n, f.type) for f in sch]
        tables.append(pa.Table.from_arrays(cols, schema=COMBINED))
    return pa.concat_tables(tables)


def _spark_type(t: pa.DataType) -> pa.DataType:
    if pa.types.is_uint32(t):
        return pa.int64()
    if pa.types.is_uint64(t):
        return pa.decimal128(20, 0)
    if pa.types.is_timestamp(t):
        return pa.timestamp("us", tz="UTC")
    if pa.types.is_list(t):
        return pa.list_(_spark_type(t.value_type))
    return t


def _to_spark(t: pa.Table) -> pa.Table:
    """Arrow types Spark accepts back from applyInArrow for the schema :func:`_ddl` declares."""
    return t.cast(pa.schema([pa.field(f.name, _spark_type(f.type), f.nullable) for f in t.schema]))


def _ddl(schema: pa.Schema):
    """The Spark schema of an Arrow schema (unsigned integers widen: Spark has none)."""
    from pyspark.sql import types as T

    def conv(t: pa.DataType):
        if pa.types.is_uint32(t) or pa.types.is_int64(t):
            return T.LongType()
        if pa.types.is_uint64(t):
            return T.DecimalType(20, 0)
        if pa.types.is_int32(t):
            return T.IntegerType()
        if pa.types.is_int8(t):
            return T.ByteType()
        if pa.types.is_float64(t):
            return T.DoubleType()
        if pa.types.is_string(t):
            return T.StringType()
        if pa.types.is_timestamp(t):
            return T.TimestampType()
        if pa.types.is_boolean(t):
            return T.BooleanType()
        if pa.types.is_list(t):
            return T.ArrayType(conv(t.value_type))
        raise HarborwatchError(f"no Spark type for the Arrow type {t}")

    return T.StructType([T.StructField(f.name, conv(f.type), f.nullable) for f in schema])


def run_spark(store: Store, req: Request, workers: int | None = None,
              progress: Callable[[str, int, int], None] | None = None) -> pa.Table:
    """Export the store's window to Parquet, then run :func:`events_from_parquet` on local Spark."""
    import pyarrow.parquet as pq

    ctx = req.context()
    say = progress or (lambda stage, done, total: None)
    say("read", 0, 1)
    positions, static = read_inputs(store, req)
    spark = _session(workers)
    with tempfile.TemporaryDirectory(prefix="hw-spark-") as tmp:
        pp, sp = Path(tmp) / "positions.parquet", Path(tmp) / "static.parquet"
        pq.write_table(positions, pp)
        pq.write_table(static, sp)
        say("read", 1, 1)
        say("spark", 0, 1)
        parts = max(2, (workers or os.cpu_count() or 1) * 2)
        out = events_from_parquet(spark, str(pp), str(sp) if static.num_rows else None, ctx, parts)
        say("spark", 1, 1)
    return out


def run_spark_lake(lake: str | Path, req: Request, workers: int | None = None, master: str | None = None,
                   progress: Callable[[str, int, int], None] | None = None) -> pa.Table:
    """Events from a lake (``store export --lake``; local paths or any URI Spark reads, such as
    ``gs://`` or ``s3a://``) on ``master`` (default local Spark; ``spark-submit`` sets its own).
    The request's window is not applied here: the lake is read whole."""
    if req.since is not None or req.until is not None:
        raise HarborwatchError("--since/--until are not supported with --lake",
                               hint="export the window you want, or filter the lake's day= folders")
    ctx = req.context()
    say = progress or (lambda stage, done, total: None)
    spark = _session(workers, master)
    root = str(lake).rstrip("/")
    parts = max(2, (workers or os.cpu_count() or 1) * 2)
    say("spark", 0, 1)
    local = "://" not in root
    static = f"{root}/static" if not local or Path(root, "static").exists() else None
    out = events_from_parquet(spark, f"{root}/positions", static, ctx, parts)
    say("spark", 1, 1)
    return out
