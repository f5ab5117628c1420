"""Keyset cursors and event queries, without the web layer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from harborwatch.core.errors import DataError
from harborwatch.serve.queries import EventQuery, decode_cursor, encode_cursor

times = st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2100, 1, 1)).map(
    lambda t: t.replace(microsecond=(t.microsecond // 1000) * 1000, tzinfo=UTC))


@given(times, st.text("0123456789abcdef", min_size=1, max_size=64))
def test_cursor_round_trip(t, event_id):
    assert decode_cursor(encode_cursor(t, event_id)) == (t, event_id)


@pytest.mark.parametrize("bad", ["", "x", "bm90LWEtY3Vyc29y", encode_cursor(datetime(2023, 1, 1, tzinfo=UTC), "a")[:-3]
                                 + "!!!", "MTI6WFla"])
def test_bad_cursors_are_data_errors(bad):
    with pytest.raises(DataError, match="cursor"):
        decode_cursor(bad)


def test_query_validation_names_the_field():
    t = datetime(2023, 1, 1, tzinfo=UTC)
    for kw, field in (({"limit": 0}, "limit"), ({"bbox": (0, 10, 1, 5)}, "bbox"), ({"bbox": (200, 0, 1, 1)}, "bbox"),
                      ({"since": t, "until": t - timedelta(days=1)}, "since")):
        with pytest.raises(DataError) as e:
            EventQuery(**kw)
        assert e.value.field == field


def test_antimeridian_bbox_uses_or():
    cond, params = EventQuery(bbox=(170.0, -10.0, -170.0, 10.0)).where()
    assert "lon >= ? OR lon <= ?" in cond and params == [-10.0, 10.0, 170.0, -170.0]


def test_paging_over_the_store_visits_each_event_once(small_store):
    from harborwatch.serve.queries import events_page
    from harborwatch.store import Store

    with Store.open(small_store, read_only=True) as s:
        ids, cursor = [], None
        while True:
            page = events_page(s, EventQuery(limit=2, cursor=cursor))
            ids += [f["id"] for f in page["features"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        n = s.con.execute("SELECT count(*) FROM events").fetchall()[0][0]
    assert len(ids) == len(set(ids)) == n
