"""Weeks start on Monday 00:00 UTC; counts fall in the week of their time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from harborwatch.analysis.series import WEEK_S, week_dates, week_index, week_start, weekly_counts, weeks_between


@given(st.integers(0, 4_000_000_000))
def test_week_start_is_the_monday_on_or_before(t):
    w = week_start(t)
    d = datetime.fromtimestamp(w, UTC)
    assert d.weekday() == 0 and (d.hour, d.minute, d.second) == (0, 0, 0)
    assert w <= t < w + WEEK_S


def test_weekly_counts_and_dates():
    w0 = week_start(int(datetime(2023, 7, 26, tzinfo=UTC).timestamp()))
    assert datetime.fromtimestamp(w0, UTC).date().isoformat() == "2023-07-24"
    ms = np.array([w0, w0 + 1, w0 + WEEK_S - 1, w0 + WEEK_S, w0 + 3 * WEEK_S]) * 1000
    assert week_index(ms, w0).tolist() == [0, 0, 0, 1, 3]
    assert weekly_counts(ms, w0, 3).tolist() == [3, 1, 0]  # the fourth week is outside the series
    assert week_dates(w0, 2)[1] - week_dates(w0, 2)[0] == timedelta(days=7)
    assert weeks_between(0, WEEK_S // 2) == 0.5 and weeks_between(5, 1) == 0
