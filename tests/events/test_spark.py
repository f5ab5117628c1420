"""The Spark engine's plan and transport, without Spark: tasks by bucket, IPC blobs."""

from __future__ import annotations

import re

import numpy as np
import pyarrow as pa
import pytest

from harborwatch.core.errors import HarborwatchError
from harborwatch.events import spark as S
from harborwatch.events.schema import POINTS
from harborwatch.store.lake import write_lake_table

from .helpers import fixes


def _lake(tmp_path, vessels: int = 12, buckets: int = 5):
    pos = pa.concat_tables([fixes(211_000_000 + v, [(m * 600 * (1 + v % 3), 0.0, 10.0, 5.0)
                                                    for m in range(20 + 10 * v)]) for v in range(vessels)])
    write_lake_table(pos, tmp_path / "lake" / "positions", buckets, period="day")
    return pos


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
        rows = [S._read(str(tmp_path / "lake"), p["positions"], pos.schema).num_rows for p in plan]
        assert sum(rows) == pos.num_rows
    with pytest.raises(HarborwatchError, match="no positions files"):
        S.lake_tasks(tmp_path / "nothing", 2)


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
