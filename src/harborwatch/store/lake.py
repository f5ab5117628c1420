"""The store as a Parquet lake for Spark (or DuckDB, pandas, QGIS): GeoParquet files partitioned
Hive-style by UTC day and MMSI bucket, ``<dir>/<table>/day=YYYY-MM-DD/mmsi_bucket=K/*.parquet``.

A cluster reads a day or a bucket without opening the rest, and the Spark engine groups vessels
by the same bucket (``mmsi % buckets``), so a bucket's files feed one task. Each file holds the
table's columns (times in UTC), a WKB ``geometry`` point column and the GeoParquet ``geo``
metadata. The export goes a day at a time, so memory stays bounded by one day of the table.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Sequence
from datetime import timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds

from harborwatch.core.errors import StoreError
from harborwatch.core.geoparquet import with_points
from harborwatch.store.store import Store

#: Tables a lake holds, with positions (``lat``/``lon``) for the geometry column.
LAKE_TABLES = ("positions", "static", "stations")


def export_lake(store: Store, out_dir: str | Path, buckets: int = 16, tables: Sequence[str] = LAKE_TABLES,
                progress: Callable[[str, int, int], None] | None = None) -> dict[str, int]:
    """Write the lake; returns rows written per table. An existing folder of a table is replaced."""
    if buckets < 1:
        raise StoreError(f"buckets must be at least 1, not {buckets}")
    say = progress or (lambda stage, done, total: None)
    out = Path(out_dir)
    written = {}
    for name in tables:
        target = out / name
        if target.exists():
            shutil.rmtree(target)
        days = [r[0] for r in store.con.execute(
            f"SELECT DISTINCT CAST(timestamp AS DATE) FROM {name} ORDER BY 1").fetchall()]
        n = 0
        for k, day in enumerate(days):
            t = store.sql(f"SELECT * FROM {name} WHERE timestamp >= ? AND timestamp < ? ORDER BY mmsi, timestamp",
                          [day, day + timedelta(days=1)])
            n += _write_day(t, target, day.isoformat(), buckets)
            say(f"export {name}", k + 1, len(days))
        written[name] = n
    return written


def _write_day(t: pa.Table, target: Path, day: str, buckets: int) -> int:
    if t.num_rows == 0:
        return 0
    if "lat" in t.column_names and "lon" in t.column_names:
        t = with_points(t)
    t = t.append_column("day", pa.array([day] * t.num_rows, pa.string()))
    t = t.append_column("mmsi_bucket", pc.cast(pc.remainder(pc.cast(t["mmsi"], pa.int64()), buckets), pa.int32()))
    ds.write_dataset(t, target, format="parquet", partitioning=["day", "mmsi_bucket"], partitioning_flavor="hive",
                     basename_template=f"part-{day}-{{i}}.parquet", existing_data_behavior="overwrite_or_ignore",
                     file_options=ds.ParquetFileFormat().make_write_options(compression="zstd"))
    return t.num_rows


__all__ = ["LAKE_TABLES", "export_lake"]
