"""Rail cars per day, week and period from hand-made counts, with gaps in coverage."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pyarrow as pa
import pytest

from harborwatch.analysis.calendar import CalendarEntry
from harborwatch.analysis.changes import StepTest
from harborwatch.analysis.periods import Period
from harborwatch.estimates.rail import Rail, daily, dispersion, per_period, rail_changes, source_spread, weekly

SITE = "kp-ru-tumangang-khasan"
MON = datetime(2023, 1, 2, tzinfo=UTC)  # a Monday


def _counts(days: list[int], values: list[int], site: str = SITE, source: str | None = None) -> pa.Table:
    return pa.table({"site_id": [site] * len(days),
                     "observed_at": pa.array([MON + timedelta(days=d) for d in days], pa.timestamp("ms", "UTC")),
                     "count": pa.array(values, pa.int64()), "source": pa.array([source] * len(days), pa.string())})


def test_a_day_counted_twice_is_the_mean_of_its_counts():
    d = daily(_counts([0, 0, 1], [10, 20, 7]), "rail_cars")
    assert d["count"].to_pylist() == [15.0, 7.0] and d["n_counts"].to_pylist() == [2, 1]


def test_weeks_without_counts_are_gaps_not_zeros():
    w = weekly(daily(_counts([0, 2, 15], [10, 20, 30]), "rail_cars"))
    assert w["days_observed"].to_pylist() == [2, 0, 1]
    assert w["estimate"].to_pylist() == [105.0, None, 210.0]
    assert w["low"][1].as_py() is None
    assert w["low"][0].as_py() < 105.0 < w["high"][0].as_py()


def test_dispersion_is_at_least_one_and_grows_with_spread():
    days = np.array([0, 1, 2, 3]) * 86_400
    assert dispersion(days, np.array([10.0, 10.0, 10.0, 10.0]), 0) == 1.0
    assert dispersion(days, np.array([0.0, 40.0, 0.0, 40.0]), 0) > 10


def test_a_period_rate_is_the_mean_per_observed_day_times_seven():
    t = daily(_counts([0, 3, 10, 20], [10, 20, 30, 40]), "rail_cars")
    cut = int((MON + timedelta(days=7)).timestamp())
    rows = per_period(t, SITE, (Period("before", None, cut), Period("after", cut, None)), Rail())
    assert [r["estimate"] for r in rows] == [105.0, 245.0]
    assert [r["days_observed"] for r in rows] == [2, 2]
    assert rows[0]["low"] <= 105.0 <= rows[0]["high"]


def test_a_step_in_the_rail_series_is_found_at_the_calendar_date():
    rng = np.random.default_rng(3)
    days = list(range(0, 52 * 7, 3))
    values = [int(rng.poisson(18 if d < 26 * 7 else 35)) for d in days]
    w = weekly(daily(_counts(days, values), "rail_cars"))
    date = MON + timedelta(days=26 * 7)
    cal = (CalendarEntry(id="visit", date=date.date().isoformat(), label="the visit", source="test"),)
    rows = rail_changes(w, cal, StepTest())
    assert len(rows) == 1 and rows[0]["series"] == "rail_cars_per_week"
    assert rows[0]["effect"] == pytest.approx(17 * 7, rel=0.3)
    assert rows[0]["p_value"] <= 0.05 and "Rail cars per week" in rows[0]["finding"]


def _two_sources(shared: int) -> pa.Table:
    """An analyst who misses a tenth of the cars every day, and a counter that gets them all on
    ``shared`` of the analyst's days and on days of its own."""
    rng = np.random.default_rng(5)
    days = list(range(0, 120, 2))
    truth = [int(rng.poisson(30)) for _ in days]
    analyst = _counts(days, [round(0.9 * t) for t in truth], source="analyst")
    own = list(range(1, 120, 6))
    counter = _counts(days[:shared] + own, truth[:shared] + [int(rng.poisson(30)) for _ in own], source="imagery")
    return pa.concat_tables([analyst, counter])


def test_the_spread_of_two_sources_is_measured_on_the_days_they_share():
    assert source_spread(_two_sources(6))[SITE] == pytest.approx(np.log(1 / 0.9), abs=0.02)
    assert source_spread(_two_sources(2), min_shared_days=3)[SITE] == 0.0  # too few days to tell
    one = _counts([0, 1, 2, 3], [10, 12, 11, 9], source="analyst")
    assert source_spread(one) == {} and source_spread(one.drop_columns(["source"])) == {}


def test_the_sources_spread_widens_the_intervals_not_the_estimate():
    c = _two_sources(6)
    spread = source_spread(c)
    days = daily(c, "rail_cars")
    spans = (Period("all", None, None),)
    plain, wide = per_period(days, SITE, spans, Rail()), per_period(days, SITE, spans, Rail(), spread[SITE])
    assert wide[0]["estimate"] == plain[0]["estimate"] and wide[0]["source_spread"] > 0.1
    assert wide[0]["low"] < plain[0]["low"] and wide[0]["high"] > plain[0]["high"]
    assert plain[0]["source_spread"] == 0.0
    w0, w1 = weekly(days), weekly(days, spread=spread)
    assert w1["estimate"].equals(w0["estimate"])
    k = w0["low"].to_pylist().index(next(x for x in w0["low"].to_pylist() if x))
    assert w1["low"][k].as_py() < w0["low"][k].as_py() and w1["high"][k].as_py() > w0["high"][k].as_py()
