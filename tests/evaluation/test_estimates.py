"""The estimates' evaluation: the change test's false-positive rate over every site."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa

from harborwatch.analysis.calendar import RASON_2023
from harborwatch.analysis.changes import placebo_rate
from harborwatch.evaluation.estimates import placebo_rates


def _activity(series: dict[str, np.ndarray]) -> pa.Table:
    monday = dt.date(2023, 1, 2)
    rows = [(site, monday + dt.timedelta(weeks=k), int(v)) for site, y in series.items() for k, v in enumerate(y)]
    return pa.table({"site_id": [r[0] for r in rows], "week": pa.array([r[1] for r in rows], pa.date32()),
                     "ais_calls": pa.array([r[2] for r in rows], pa.int64()),
                     "dark_calls": pa.array([0.25] * len(rows), pa.float64())})


def test_placebo_rates_pool_every_site_and_keep_each():
    """Every site's series is tested away from the calendar's dates; the pooled rate is the dates
    that fired over all dates, and a site with a step no event explains stands out in ``by_site``."""
    rng = np.random.default_rng(11)
    quiet = {f"site-{k}": rng.poisson(4, 53) for k in range(4)}
    stepped = np.r_[rng.poisson(1, 12), rng.poisson(9, 41)]  # a step in March: no calendar date near it
    r = placebo_rates(_activity(quiet | {"site-step": stepped}))
    assert set(r["by_site"]) == {*quiet, "site-step"}
    assert r["n_dates"] == sum(s["n_dates"] for s in r["by_site"].values()) >= 5 * 15
    assert r["false_positive_rate"] == sum(s["fired"] for s in r["by_site"].values()) / r["n_dates"]
    assert r["by_site"]["site-step"]["false_positive_rate"] > 0.1
    # each site's figure is the single-series test on calls seen on AIS plus expected dark calls
    weeks = np.array([int(dt.datetime(2023, 1, 2, tzinfo=dt.UTC).timestamp()) + k * 7 * 86_400 for k in range(53)])
    one = placebo_rate(quiet["site-0"] + 0.25, weeks, [e.epoch_s for e in RASON_2023])
    assert r["by_site"]["site-0"] == one


def test_a_calibrated_test_often_fires_on_over_a_tenth_of_one_series_dates():
    """Why the rate is pooled: on pure noise, about 5 % of dates fire, but one series' 20 dates
    put more than 10 % over the line for a sizeable share of series; pooled over sites it does not."""
    rng = np.random.default_rng(2)
    singles, pooled = [], []
    for _ in range(40):
        r = placebo_rates(_activity({f"s{k}": rng.poisson(4, 53) for k in range(8)}))
        singles += [s["false_positive_rate"] for s in r["by_site"].values()]
        pooled.append(r["false_positive_rate"])
    assert 0.02 < np.mean(singles) < 0.09
    assert np.mean(np.array(singles) > 0.10) > 0.05
    assert np.mean(np.array(pooled) > 0.10) < np.mean(np.array(singles) > 0.10) / 2


def test_weeks_the_data_covers_in_part_are_left_out_of_the_tests():
    """``days`` counts a week's dates inside the events' span; the change tests and the placebo
    rate use whole weeks only (a one-day first week would read as a drop in calls)."""
    from harborwatch.estimates.activity import weekly_calls
    from harborwatch.estimates.changes import full_weeks

    day = 86_400_000
    t0 = int(dt.datetime(2023, 1, 1, 6, tzinfo=dt.UTC).timestamp() * 1000)  # a Sunday
    starts = [t0 + k * day for k in range(0, 30)]
    ev = pa.table({"type": ["port_visit"] * len(starts), "site_id": ["x"] * len(starts),
                   "start": pa.array(starts, pa.timestamp("ms", "UTC")),
                   "end": pa.array([s + day // 2 for s in starts], pa.timestamp("ms", "UTC"))})
    act = weekly_calls(ev)
    assert act["week"][0].as_py() == dt.date(2022, 12, 26)
    # Sunday 1 January alone; then whole weeks; 30 January (a Monday) is the span's last day
    assert act["days"].to_pylist() == [1, 7, 7, 7, 7, 1]
    assert act["ais_calls"].to_pylist() == [1, 7, 7, 7, 7, 1]
    assert full_weeks(act)["days"].to_pylist() == [7, 7, 7, 7]
    # the placebo rate tests whole weeks only
    y = np.r_[0, np.full(52, 4)] + (np.arange(53) % 3 == 0)
    table = _activity({"x": y}).append_column("days", pa.array([1] + [7] * 52, pa.int8()))
    weeks = np.array([int(dt.datetime(2023, 1, 2, tzinfo=dt.UTC).timestamp()) + k * 7 * 86_400 for k in range(53)])
    whole = placebo_rate(y[1:] + 0.25, weeks[1:], [e.epoch_s for e in RASON_2023])
    assert placebo_rates(table)["by_site"]["x"] == whole
    assert placebo_rates(table.drop_columns(["days"]))["by_site"]["x"]["n_dates"] == whole["n_dates"] + 1
