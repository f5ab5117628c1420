"""The partitioned GeoParquet dataset of events: layout, contents, replacement, URIs."""

from __future__ import annotations

import json

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from harborwatch.core.errors import HarborwatchError
from harborwatch.events.engine import detect
from harborwatch.events.export import is_dataset, write_event_dataset, write_events
from harborwatch.events.params import EventsConfig
from harborwatch.events.request import Request

from .helpers import fixes, north_m, port


def _two_months() -> pa.Table:
    """A vessel in port on 26 July 2023 and again ten days later (5 August), at sea between."""
    rows = [(m, 0.0, 10.0, 0.0) for m in range(0, 240, 10)]  # 4 h in port
    rows += [(240 + m, north_m(2_000 + 150 * m), 10.0, 10.0) for m in range(0, 600, 10)]
    back = 10 * 24 * 60
    rows += [(back + m, 0.0, 10.0, 0.0) for m in range(0, 240, 10)]
    return detect(fixes(211_000_001, rows), None, Request(EventsConfig(), port(radius_m=500.0)), workers=1)


def test_events_are_partitioned_by_type_and_month(tmp_path):
    ev = _two_months()
    visits = ev.filter(pa.compute.equal(ev["type"], "port_visit"))
    assert visits.num_rows == 2
    parts = write_event_dataset(ev, tmp_path / "ev")
    assert parts["type=port_visit/month=2023-07"] == 1 and parts["type=port_visit/month=2023-08"] == 1
    assert sum(parts.values()) == ev.num_rows
    for key in parts:
        assert (tmp_path / "ev" / key / "events.parquet").is_file()
    back = duckdb.sql(f"SELECT event_id, type, month FROM read_parquet('{tmp_path}/ev/**/*.parquet', "
                      "hive_partitioning = true) ORDER BY event_id").fetchall()
    assert [r[0] for r in back] == sorted(ev["event_id"].to_pylist())
    assert {(r[1], r[2]) for r in back} >= {("port_visit", "2023-07"), ("port_visit", "2023-08")}
    f = pq.read_table(tmp_path / "ev" / "type=port_visit" / "month=2023-07" / "events.parquet")
    geo = json.loads(f.schema.metadata[b"geo"])
    assert geo["primary_column"] == "geometry" and "type" not in f.column_names


def test_writing_again_replaces_what_the_folder_held(tmp_path):
    ev = _two_months()
    write_event_dataset(ev, tmp_path / "ev")
    july = ev.filter(pa.compute.less(ev["start"], pa.scalar(1_690_848_000_000, pa.timestamp("ms", tz="UTC"))))
    parts = write_event_dataset(july, tmp_path / "ev")
    assert all(k.endswith("2023-07") for k in parts)
    assert sorted(str(p.relative_to(tmp_path / "ev").parent) for p in (tmp_path / "ev").rglob("*.parquet")) \
        == sorted(parts)


def test_same_events_in_any_order_give_the_same_bytes(tmp_path):
    ev = _two_months()
    write_event_dataset(ev, tmp_path / "a")
    write_event_dataset(ev.take(pa.array(list(range(ev.num_rows))[::-1])), tmp_path / "b")
    for p in (tmp_path / "a").rglob("*.parquet"):
        assert p.read_bytes() == (tmp_path / "b" / p.relative_to(tmp_path / "a")).read_bytes()


def test_a_path_without_suffix_or_a_uri_is_a_dataset(tmp_path):
    assert is_dataset(tmp_path / "events") and is_dataset("s3a://bucket/events")
    assert not is_dataset(tmp_path / "events.parquet")
    write_events(_two_months(), tmp_path / "events")
    assert (tmp_path / "events" / "type=port_visit").is_dir()
    with pytest.raises(HarborwatchError, match="cannot write events to nosuchscheme"):
        write_event_dataset(_two_months(), "nosuchscheme://bucket/events")
    with pytest.raises(HarborwatchError, match="event files are"):
        write_events(_two_months(), tmp_path / "events.txt")


def test_a_folder_holding_other_files_is_refused(tmp_path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me")
    with pytest.raises(HarborwatchError, match="not part of an event dataset"):
        write_event_dataset(_two_months(), tmp_path / "mine")
    assert (tmp_path / "mine" / "notes.txt").read_text() == "keep me"
