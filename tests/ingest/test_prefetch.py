"""The ingest's read-ahead thread: order kept, errors raised at their item, stops when closed."""

from __future__ import annotations

import threading

import pytest

from harborwatch.core.errors import DataError
from harborwatch.ingest.prefetch import prefetch


def test_items_come_in_order_with_their_results():
    assert list(prefetch(range(50), lambda x: x * x)) == [(x, x * x) for x in range(50)]
    assert list(prefetch([], lambda x: x)) == []


def test_an_error_in_the_worker_is_raised_at_its_item():
    def fn(x):
        if x == 3:
            raise DataError("bad record", source="f.csv", ref=4)
        return x

    got = []
    with pytest.raises(DataError, match="f.csv:4"):
        for x, _ in prefetch(range(10), fn):
            got.append(x)
    assert got == [0, 1, 2]


def test_closing_early_stops_the_worker_and_reads_at_most_depth_ahead():
    seen = []

    def items():
        for k in range(1000):
            seen.append(k)
            yield k

    g = prefetch(items(), lambda x: x, depth=2)
    assert next(g) == (0, 0)
    g.close()
    assert not any(t.name == "harborwatch-prefetch" for t in threading.enumerate())
    assert len(seen) <= 5
