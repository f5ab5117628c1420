"""The Spark engine's plan and transport, without Spark: tasks by bucket, IPC blobs."""

from __future__ import annotations

import itertools
import re
import subprocess
import sys

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harborwatch.core.errors import HarborwatchError
from harborwatch.events import spark as S
from harborwatch.events.schema import POINTS
from harborwatch.store.lake import write_lake_table
from harborwatch.tracks.track import is_ordered

from .helpers import fixes


def _lake(tmp_path, vessels: int = 12, buckets: int = 5):
    pos = pa.concat_tables([fixes(211_000_000 + v, [(m * 600 * (1 + v % 3), 0.0, 10.0, 5.0)
                                                    for m in range(20 + 10 * v)]) for v in range(vessels)])
    write_lake_table(pos, tmp_path / "lake" / "positions", buckets, period="day")
    return pos


def _ctx():
    """The run's context: default rules, one port of 500 m radius at (0, 10)."""
    from harborwatch.events.params import EventsConfig
    from harborwatch.events.request import Request

    from .helpers import port

    return Request(EventsConfig(), port(lat=0.0, lon=10.0, radius_m=500.0)).context()


def test_tasks_take_whole_buckets_and_every_file_once(tmp_path):
    pos = _lake(tmp_path)
    files = sorted(str(p) for p in (tmp_path / "lake" / "positions").rglob("*.parquet"))
    for tasks in (1, 2, 3, 9):
        plan = S.lake_tasks(tmp_path / "lake", tasks)
        assert len(plan) == min(tasks, 5)
        got = sorted(f for p in plan for f in p["positions"])
        assert got == files  # every file once
        buckets = [{re.search(r"mmsi_bucket=(\d+)", f).group(1) for f in p["positions"]} for p in plan]
        assert sum(len(b) for b in buckets) == len(set().union(*buckets)) == 5  # a bucket in one task
        read = [S._read(str(tmp_path / "lake"), p["positions"], pos.schema, tuple(pos.column_names)) for p in plan]
        assert sum(t.num_rows for t in read) == pos.num_rows
        assert all(is_ordered(t) for t in read)
    with pytest.raises(HarborwatchError, match="no positions files"):
        S.lake_tasks(tmp_path / "nothing", 2)


def test_tasks_are_sized_to_the_work():
    """Two tasks a core for a small lake, and more as it grows, none reading over TASK_BYTES."""
    mb = S.TASK_BYTES
    assert [S.task_count(b, 1) for b in (0, mb // 2, 2 * mb, 2 * mb + 1, 10 * mb)] == [2, 2, 2, 3, 10]
    assert [S.task_count(b, 4) for b in (0, 3 * mb, 8 * mb, 8 * mb + 1, 100 * mb)] == [8, 8, 8, 9, 100]


def test_a_small_lake_gets_two_tasks_a_core_as_far_as_its_buckets_go(tmp_path):
    _lake(tmp_path)  # five buckets
    assert len(S.lake_tasks(tmp_path / "lake", cores=1)) == 2
    assert len(S.lake_tasks(tmp_path / "lake", cores=2)) == 4
    assert len(S.lake_tasks(tmp_path / "lake", cores=3)) == 5


def test_lake_files_hold_their_rows_in_store_order(tmp_path):
    """Each file of a period and bucket keeps the store's order (so a task's read needs a stable
    sort by MMSI only, not a sort of every column by three keys). Arrow writes a dataset's batches
    in any order unless told not to; 300k rows are several batches."""
    import pyarrow.parquet as pq

    n = 300_000
    rng = np.random.default_rng(3)
    t = pa.table({"mmsi": pa.array(rng.integers(211_000_000, 211_000_500, n), pa.uint32()),
                  "timestamp": pa.array(rng.integers(0, 2 * 86_400, n) * 1_000_000, pa.timestamp("us", "UTC")),
                  "record_hash": pa.array(rng.integers(0, 2**63, n), pa.uint64()),
                  "lat": rng.uniform(40, 41, n), "lon": rng.uniform(10, 11, n)})
    write_lake_table(t, tmp_path / "positions", 2, period="day")
    files = list((tmp_path / "positions").rglob("*.parquet"))
    assert len(files) == 4
    assert all(is_ordered(pq.read_table(f)) for f in files)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 4), st.integers(0, 5), st.integers(0, 3)), min_size=0, max_size=60),
       st.booleans())
def test_store_order_equals_a_sort_by_the_three_keys(rows, periods):
    """Any rows (ties, unsorted, or one period after another as a task reads them): the same
    table as Arrow's sort by (mmsi, timestamp, record_hash)."""
    if periods:  # each "period" (time block) sorted, blocks in time order: the lake's files
        rows = sorted(rows, key=lambda r: (r[1] // 3, r[0], r[1], r[2]))
    t = pa.table({"mmsi": pa.array([r[0] for r in rows], pa.uint32()),
                  "timestamp": pa.array([r[1] * 1_000_000 for r in rows], pa.timestamp("us", "UTC")),
                  "record_hash": pa.array([r[2] for r in rows], pa.uint64()),
                  "row": pa.array(range(len(rows)), pa.int64())})
    keys = [("mmsi", "ascending"), ("timestamp", "ascending"), ("record_hash", "ascending")]
    got = S.store_order(t)
    assert is_ordered(got)
    assert got.drop_columns(["row"]).equals(t.sort_by(keys).drop_columns(["row"]))
    assert sorted(got["row"].to_pylist()) == list(range(len(rows)))


def test_blobs_carry_tables_whole_in_pieces_and_by_key(monkeypatch):
    rng = np.random.default_rng(1)
    n = 5_000
    pts = pa.table({"slot": rng.integers(0, 50, n), "mmsi": pa.array(rng.integers(1, 9, n), pa.uint32()),
                    "hull": pa.array(np.zeros(n, np.int32)), "lat": rng.normal(size=n), "lon": rng.normal(size=n),
                    "speed_kn": rng.random(n), "ref0": pa.array(rng.integers(0, 2**63, n).astype(np.uint64) * 2),
                    "ref1": pa.array(np.arange(n, dtype=np.uint64))}, schema=POINTS)
    monkeypatch.setattr(S, "BLOB_BYTES", 10_000)  # many pieces
    rows = S._to_blobs(pts, "points", 7)
    assert len(rows) > 10 and all(k == 7 and p == "points" for k, p, _ in rows)
    assert S._from_blobs([r[2] for r in rows], POINTS).equals(pts)  # unsigned 64-bit ids survive
    keyed = S._keyed(pts, pts["slot"].to_numpy() % 4, "points")
    t = S._blob_table(keyed)
    assert t.schema == S.BLOB and sorted(set(t["key"].to_pylist())) == [0, 1, 2, 3]
    for k in range(4):
        part = S._from_blobs([b for b, kk in zip(t["blob"], t["key"].to_pylist(), strict=True) if kk == k], POINTS)
        assert (part["slot"].to_numpy() % 4 == k).all()
    assert S._from_blobs([], POINTS).num_rows == 0 and S._to_blobs(pts.slice(0, 0), "points", 0) == []


def test_partition_keys_land_each_group_in_a_partition_of_its_own():
    """Checked against Spark itself: its hash of each key, and where repartition(n, key) puts it."""
    pytest.importorskip("pyspark", reason="the Spark engine needs the 'spark' extra")
    from pyspark.sql import functions as F

    spark = S._session(2)
    ks = list(range(-3, 40)) + [2**31, 2**40 + 7, -(2**50)]
    got = spark.createDataFrame([(k,) for k in ks], "k long").select("k", F.hash("k").alias("h")).collect()
    assert {r.k: r.h for r in got} == {k: S._spark_hash_long(k) for k in ks}
    for n in (1, 2, 3, 4, 8):
        keys = S.partition_keys(n)
        df = spark.createDataFrame([(k,) for k in keys], "k long").repartition(n, "k")
        parts = df.select(F.spark_partition_id().alias("p")).collect()
        assert sorted(r.p for r in parts) == list(range(n))


def test_the_query_runs_without_adaptive_execution_and_restores_it(tmp_path):
    """The engine turns adaptive execution off for its own query only, and finds the local
    engine's events on a small lake."""
    pytest.importorskip("pyspark", reason="the Spark engine needs the 'spark' extra")
    from harborwatch.events.stages import finalize, vessel_stage

    pos = _lake(tmp_path)
    ctx = _ctx()
    spark = S._session(2)
    for before in ("true", "false"):
        spark.conf.set("spark.sql.adaptive.enabled", before)
        got = S.events_from_lake(spark, tmp_path / "lake", ctx, cores=2)
        assert spark.conf.get("spark.sql.adaptive.enabled") == before
    out = vessel_stage(S.store_order(pos), None, ctx)
    want = finalize([out["events"], ctx.cfg.encounters.join(out["points"], ctx)], out["ids"], out["reception"], ctx)
    assert got.num_rows > 0 and got.equals(want)


def _drifting_pairs(tmp_path) -> None:
    """A lake of six pairs of vessels drifting together at sea for 5 h (six encounters), on other
    days and places."""
    pos = pa.concat_tables([fixes(211_000_000 + 2 * p + v, [(p * 1440 + m * 5, 1.0 + p * 0.1, 11.0 + v * 0.001, 0.5)
                                                            for m in range(60)])
                            for p in range(6) for v in (0, 1)])
    write_lake_table(pos, tmp_path / "lake" / "positions", 5, period="day")


def _encounters(events: pa.Table) -> int:
    return int(pc.equal(events["type"], "encounter").to_numpy(zero_copy_only=False).sum())


def test_a_partition_may_hold_any_slot_groups_and_empty_ones_give_nothing(tmp_path, monkeypatch):
    """The second stage takes whatever rows its partition holds: with two slot groups' keys in one
    partition (and another partition empty), or each in its own, the events are the same; the
    vessel stage's other parts pass through it."""
    pytest.importorskip("pyspark", reason="the Spark engine needs the 'spark' extra")
    _drifting_pairs(tmp_path)
    ctx = _ctx()
    spark = S._session(2)
    want = S.events_from_lake(spark, tmp_path / "lake", ctx, cores=2, tasks=3, driver_join=False)
    assert _encounters(want) == 6
    shared = [k for k in range(100) if S._spark_hash_long(k) % 3 == 0][:2]  # both in partition 0
    keys = shared + [next(k for k in range(100) if S._spark_hash_long(k) % 3 == 1)]
    monkeypatch.setattr(S, "partition_keys", lambda n: keys)
    assert S.events_from_lake(spark, tmp_path / "lake", ctx, cores=2, tasks=3, driver_join=False).equals(want)


_GROUPS = itertools.count()


def _stages(spark, run) -> int:
    """How many Spark stages ``run()``'s jobs ran."""
    sc = spark.sparkContext
    group = f"harborwatch-test-stages-{next(_GROUPS)}"
    sc.setJobGroup(group, "counted")
    try:
        run()
    finally:
        sc.setLocalProperty("spark.jobGroup.id", None)
    tracker = sc.statusTracker()
    jobs = tracker.getJobIdsForGroup(group)
    return sum(len(tracker.getJobInfo(j).stageIds) for j in jobs)


def test_a_small_lake_joins_on_the_driver_a_large_one_in_a_second_stage(tmp_path, monkeypatch):
    """Up to :data:`DRIVER_JOIN_BYTES` of lake the query is one Spark stage and the driver joins
    the encounter points; above it a second stage joins them by slot group. Both find the same
    events, with the encounters, on one core and on two."""
    pytest.importorskip("pyspark", reason="the Spark engine needs the 'spark' extra")
    _drifting_pairs(tmp_path)
    ctx = _ctx()
    spark = S._session(2)
    got = {}
    for limit in (S.DRIVER_JOIN_BYTES, 0):
        monkeypatch.setenv("HARBORWATCH_SPARK_DRIVER_JOIN_MB", str(limit >> 20))
        stages = _stages(spark, lambda n=limit: got.setdefault(n, S.events_from_lake(spark, tmp_path / "lake", ctx, 2)))
        assert stages == (1 if limit else 2), (limit, stages)
    assert _encounters(got[0]) == 6 and got[0].equals(got[S.DRIVER_JOIN_BYTES])
    for cores in (1, 2):
        for join in (True, False):
            assert S.events_from_lake(spark, tmp_path / "lake", ctx, cores, driver_join=join).equals(got[0])


def test_the_driver_join_limit_can_be_set_from_the_environment(monkeypatch):
    monkeypatch.delenv("HARBORWATCH_SPARK_DRIVER_JOIN_MB", raising=False)
    assert S.driver_join_bytes() == S.DRIVER_JOIN_BYTES
    for raw, want in (("0", 0), ("1.5", 3 << 19), ("512", 512 << 20)):
        monkeypatch.setenv("HARBORWATCH_SPARK_DRIVER_JOIN_MB", raw)
        assert S.driver_join_bytes() == want
    for raw in ("-1", "lots", "nan"):
        monkeypatch.setenv("HARBORWATCH_SPARK_DRIVER_JOIN_MB", raw)
        with pytest.raises(HarborwatchError, match="HARBORWATCH_SPARK_DRIVER_JOIN_MB"):
            S.driver_join_bytes()


def test_local_spark_sends_task_results_with_their_status():
    """A task's blobs (a few MB) go straight to the driver, not through the block manager."""
    pytest.importorskip("pyspark", reason="the Spark engine needs the 'spark' extra")
    assert S._session(2).sparkContext.getConf().get("spark.task.maxDirectResultSize") == "64m"


def test_the_stages_leave_their_workers_little_for_the_collector(tmp_path):
    """PySpark's daemon runs a full ``gc.collect()`` after each task of a reused Python worker,
    before it takes the next one. After the engine's query, its workers' long-lived objects
    (imports, closures) are frozen, so that collection has next to nothing to walk."""
    pytest.importorskip("pyspark", reason="the Spark engine needs the 'spark' extra")

    _lake(tmp_path)
    ctx = _ctx()
    spark = S._session(2)
    S.events_from_lake(spark, tmp_path / "lake", ctx, cores=2)

    def probe(batches):
        import gc
        import os

        for _ in batches:
            pass
        yield pa.record_batch({"pid": [os.getpid()], "frozen": [gc.get_freeze_count()],
                               "tracked": [len(gc.get_objects())]})

    with S._no_pandas_notice():
        got = (spark.range(2, numPartitions=2)
               .mapInArrow(probe, schema="pid long, frozen long, tracked long").toArrow().to_pylist())
    assert got and all(r["frozen"] > 50_000 and r["tracked"] < 5_000 for r in got), got


def test_neither_the_session_nor_the_query_warns_about_pandas(tmp_path):
    """PySpark 4 warns, when a session starts and at every ``mapInArrow``, that it does not fully
    support pandas 3; the engine sends Arrow only, so that warning would only mislead a user. A
    fresh process (the session-start warning comes once a process) shows every warning."""
    pytest.importorskip("pyspark", reason="the Spark engine needs the 'spark' extra")
    _lake(tmp_path)
    script = f"""
from harborwatch.events import spark as S
from harborwatch.events.params import EventsConfig
from harborwatch.events.request import Request
from harborwatch.sites.catalogue import SiteCatalogue
ctx = Request(EventsConfig(), SiteCatalogue.default()).context()
spark = S._session(1)
print("rows", S.events_from_lake(spark, {str(tmp_path / "lake")!r}, ctx, cores=1).num_rows)
"""
    done = subprocess.run([sys.executable, "-W", "always", "-c", script], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "rows " in done.stdout
    assert "support pandas" not in done.stderr, done.stderr[-2000:]
