"""The Parquet lake: GeoParquet by day and MMSI bucket, every row once, geometry readable."""

from __future__ import annotations

import json
import struct

import pyarrow.dataset as ds
import pyarrow.parquet as pq

from harborwatch.store import Store
from harborwatch.store.lake import export_lake


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
