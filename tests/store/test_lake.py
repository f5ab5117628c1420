"""The Parquet lake: GeoParquet by day and MMSI bucket, every row once, geometry readable."""

from __future__ import annotations

import json
import struct

import numpy as np
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from harborwatch.core.errors import StoreError
from harborwatch.core.schema import POSITIONS
from harborwatch.store import Store, lake
from harborwatch.store.lake import export_lake, write_lake_table


def test_lake_holds_every_row_once_partitioned_by_day_and_bucket(small_store, tmp_path):
    with Store.open(small_store, read_only=True) as st:
        n = {t: st.sql(f"SELECT count(*) AS n FROM {t}")["n"][0].as_py() for t in ("positions", "static")}
        written = export_lake(st, tmp_path / "lake", buckets=4)
        hashes = sorted(st.sql("SELECT record_hash FROM positions")["record_hash"].to_pylist())
    assert written["positions"] == n["positions"] and written["static"] == n["static"]
    files = sorted((tmp_path / "lake" / "positions").rglob("*.parquet"))
    assert files and all(f.parent.name.startswith("mmsi_bucket=") and f.parent.parent.name.startswith("day=")
                         for f in files)
    t = ds.dataset(tmp_path / "lake" / "positions", format="parquet", partitioning="hive").to_table()
    assert sorted(t["record_hash"].to_pylist()) == hashes
    assert all(int(b) == m % 4 for b, m in zip(t["mmsi_bucket"].to_pylist(), t["mmsi"].to_pylist()))
    assert all(str(ts.date()) == d for ts, d in zip(t["timestamp"].to_pylist(), t["day"].to_pylist()))
    geo = json.loads(pq.read_schema(files[0]).metadata[b"geo"])
    assert geo["columns"]["geometry"]["encoding"] == "WKB"
    row = t.slice(0, 1).to_pylist()[0]
    assert struct.unpack("<BIdd", row["geometry"]) == (1, 1, row["lon"], row["lat"])
    # a second export replaces the first
    with Store.open(small_store, read_only=True) as st:
        export_lake(st, tmp_path / "lake", buckets=4)
    assert sorted((tmp_path / "lake" / "positions").rglob("*.parquet")) == files


def test_a_lake_by_month_holds_the_same_rows_as_by_day(small_store, tmp_path):
    """``period="month"`` (regional feeds): month folders, the same rows; from a store or a table."""
    with Store.open(small_store, read_only=True) as st:
        export_lake(st, tmp_path / "day", buckets=3)
        written = export_lake(st, tmp_path / "month", buckets=3, period="month")
        pos = st.sql("SELECT * FROM positions")
    files = sorted((tmp_path / "month" / "positions").rglob("*.parquet"))
    assert files and all(f.parent.parent.name.startswith("month=") for f in files)
    by_day = ds.dataset(tmp_path / "day" / "positions", format="parquet", partitioning="hive").to_table()
    by_month = ds.dataset(tmp_path / "month" / "positions", format="parquet", partitioning="hive").to_table()
    assert written["positions"] == by_month.num_rows == by_day.num_rows
    assert sorted(by_month["record_hash"].to_pylist()) == sorted(by_day["record_hash"].to_pylist())
    assert all(str(ts.date())[:7] == m for ts, m in zip(by_month["timestamp"].to_pylist(),
                                                        by_month["month"].to_pylist(), strict=True))
    # the same table written from memory: the same folders and rows
    assert write_lake_table(pos, tmp_path / "mem", buckets=3, period="month") == pos.num_rows
    assert sorted(p.relative_to(tmp_path / "mem").parent for p in (tmp_path / "mem").rglob("*.parquet")) == \
        sorted(p.relative_to(tmp_path / "month" / "positions").parent for p in files)
    with pytest.raises(StoreError, match="unknown lake period"):
        write_lake_table(pos, tmp_path / "x", buckets=3, period="week")


def test_a_lake_goes_to_s3_as_to_a_folder_and_replaces_what_was_there(small_store, tmp_path, s3, parquet_tree):
    """``export_lake`` to an ``s3://`` URI (an S3 API on localhost) writes the files it writes to a
    folder, byte for byte; a second export replaces the first (no bucket of the first is left)."""
    with Store.open(small_store, read_only=True) as st:
        export_lake(st, tmp_path / "lake", buckets=4)
        export_lake(st, "s3://lake/a/", buckets=5)
        written = export_lake(st, "s3://lake/a", buckets=4)
    local = parquet_tree(tmp_path / "lake")
    assert local and parquet_tree("s3://lake/a") == local
    assert written["positions"] == sum(pq.read_metadata(tmp_path / "lake" / k).num_rows for k in local
                                       if k.startswith("positions/")) > 0


def test_lake_files_hold_full_row_groups(monkeypatch, tmp_path):
    """Row groups of ``ROW_GROUP_ROWS`` rows, the last of a file holding the rest, in the store's
    order. pyarrow's dataset writer, used before, cut its input into 32k-row batches and made each
    batch's share of a bucket a row group (3-5k rows in a lake of 8 buckets)."""
    monkeypatch.setattr(lake, "ROW_GROUP_ROWS", 50_000)
    n = 120_000  # more than the dataset writer's 32k-row batches, and three row groups
    mmsi = np.repeat(np.array([211000002, 211000004], np.uint32), n // 2)  # both in bucket 0 of 2
    ts = np.datetime64("2024-05-01T00:00:00", "ms") + np.tile(np.arange(n // 2), 2) * 1000
    cols = {f.name: pa.nulls(n, f.type) for f in POSITIONS}
    cols.update(mmsi=pa.array(mmsi), timestamp=pa.array(ts, POSITIONS.field("timestamp").type),
                lat=pa.array(np.full(n, 50.0)), lon=pa.array(np.full(n, 1.0)),
                source_file=pa.array(["hand-made"] * n), source_ref=pa.array(np.arange(n)),
                record_hash=pa.array(np.arange(n, dtype=np.uint64)))
    t = pa.table(cols, schema=POSITIONS)
    assert lake.write_lake_table(t, tmp_path / "lake", buckets=2) == n
    files = list((tmp_path / "lake").rglob("*.parquet"))
    assert len(files) == 1
    md = pq.ParquetFile(files[0]).metadata
    assert [md.row_group(i).num_rows for i in range(md.num_row_groups)] == [50_000, 50_000, 20_000]
    back = pq.read_table(files[0])
    assert back["record_hash"].to_pylist() == list(range(n))
