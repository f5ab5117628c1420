"""Calls per period between calendar dates."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from harborwatch.analysis.calendar import CalendarEntry
from harborwatch.analysis.periods import RASON_PERIODS, per_period, periods

DAY = 86_400


def test_periods_are_cut_at_the_chosen_dates():
    cuts = [CalendarEntry("2023-09-13", "b", "s", "b"), CalendarEntry("2023-07-26", "a", "s", "a")]
    got = periods(cuts)
    assert [p.name for p in got] == ["before_2023-07-26", "2023-07-26_to_2023-09-13", "after_2023-09-13"]
    assert got[0].start_s is None and got[-1].end_s is None and got[1].start_s == got[0].end_s
    assert [p.name for p in RASON_PERIODS] == [p.name for p in got]


def test_calls_per_week_in_each_period():
    a = CalendarEntry("1970-01-15", "cut", "s", "cut")
    spans = periods([a])
    ts = pa.timestamp("ms", tz="UTC")
    # the data runs from day 0 to day 28: 2 calls in the 2 weeks before the cut (day 14), 1 in the 2 after
    visits = pa.table({"start": pa.array(np.array([2, 10, 20]) * DAY * 1000, ts)})
    whole = pa.table({"start": pa.array([0], ts), "end": pa.array([28 * DAY * 1000], ts)})
    got = per_period(visits, whole, spans, dark=np.array([False, True, True]))
    assert got["before_1970-01-15"] == {"calls": 2, "weeks": 2.0, "per_week": 1.0, "dark_calls": 1}
    assert got["after_1970-01-15"] == {"calls": 1, "weeks": 2.0, "per_week": 0.5, "dark_calls": 1}
