"""Weekly calls seen on AIS, their intervals, and `harborwatch estimate` on a small store."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import numpy as np
import pyarrow as pa
import pytest

from harborwatch.analysis.calendar import CalendarEntry
from harborwatch.analysis.periods import periods
from harborwatch.estimates import weekly_calls
from harborwatch.estimates.activity import calls_per_period, period_calls, poisson_interval
from harborwatch.events.schema import events_from_rows

DAY_MS = 86_400_000
T0 = int(datetime(2023, 1, 2, tzinfo=UTC).timestamp() * 1000)  # a Monday


def _visits(per_week: list[int], site: str, mmsi: int = 273312980) -> list[dict]:
    rows = []
    for w, n in enumerate(per_week):
        for k in range(n):
            start = T0 + w * 7 * DAY_MS + k * DAY_MS
            rows.append({"event_id": f"{site}-{w}-{k}", "type": "port_visit", "mmsi": mmsi, "start": start,
                         "end": start + 3_600_000, "lat": 42.2, "lon": 130.3, "site_id": site, "confidence": 4,
                         "attributes": "{}", "parameters": "{}", "evidence_count": 1, "evidence": [1]})
    return rows


def test_garwood_intervals():
    low, high = poisson_interval(np.array([0, 10]), 0.9)
    assert low[0] == 0 and high[0] == pytest.approx(2.9957, abs=1e-3)
    assert (low[1], high[1]) == (pytest.approx(5.4254, abs=1e-3), pytest.approx(16.9622, abs=1e-3))


def test_weekly_calls_count_every_week_of_the_span():
    ev = events_from_rows(_visits([2, 0, 3], "kp-rajin") + _visits([1, 1, 1], "ru-vostochny"))
    act = weekly_calls(ev)
    rajin = act.filter(pa.compute.equal(act["site_id"], "kp-rajin"))
    assert rajin["ais_calls"].to_pylist() == [2, 0, 3]
    assert [d.isoformat() for d in rajin["week"].to_pylist()] == ["2023-01-02", "2023-01-09", "2023-01-16"]
    assert all(lo <= n <= hi for lo, n, hi in zip(rajin["low"].to_pylist(), rajin["ais_calls"].to_pylist(),
                                                  rajin["high"].to_pylist(), strict=True))


def test_period_rates_with_intervals():
    ev = events_from_rows(_visits([2] * 4 + [4] * 4, "kp-rajin"))
    spans = periods([CalendarEntry("2023-01-30", "cut", "s", "cut")])
    rows = {r["period"]: r for r in period_calls(ev, "kp-rajin", spans)}
    before = rows["before_2023-01-30"]
    assert before["calls"] == 8 and before["estimate"] == 2.0 and before["low"] < 2.0 < before["high"]


def test_estimate_command_writes_activity_and_changes(tmp_path):
    from typer.testing import CliRunner

    from harborwatch.cli.main import app
    from harborwatch.store import Store

    rng = np.random.default_rng(3)
    # 60 weeks (a p-value below 0.05 needs at least 19 placebo dates); the step is in week 30
    rajin = list(rng.poisson(2, 30)) + list(rng.poisson(6, 30))
    ctrl = list(rng.poisson(3, 60))
    with Store.open(tmp_path / "s") as st:
        st.put_rows("events", events_from_rows(_visits(rajin, "kp-rajin") + _visits(ctrl, "ru-vostochny", 273000001)),
                    "event_id")
    cal = tmp_path / "cal.toml"
    cal.write_text('[[event]]\nid = "step"\ndate = "2023-08-02"\nlabel = "the step"\nsource = "test"\n')
    r = CliRunner().invoke(app, ["estimate", "--store", str(tmp_path / "s"), "--out", str(tmp_path / "e"),
                                 "--calendar", str(cal)])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "e" / "activity.parquet").exists() and (tmp_path / "e" / "activity.csv").exists()
    rows = {x["site"]: x for x in json.loads((tmp_path / "e" / "changes.json").read_text())}
    assert rows["kp-rajin"]["p_value"] <= 0.05 and rows["kp-rajin"]["effect"] > 2
    assert rows["kp-rajin"]["did"]["low"] > 0  # net of the control port, which did not change
    assert rows["ru-vostochny"]["p_value"] > 0.05
    assert "rose from" in rows["kp-rajin"]["finding"]


def test_a_period_interval_holds_its_estimate_when_dark_calls_are_near_certain():
    """Forty dark calls of probability 0.999 are 39.96 expected but 40 in 96 % of draws: the
    draws alone would put the interval above the estimate."""
    ev = events_from_rows(_visits([2] * 4, "kp-rajin"))
    ts = pa.timestamp("ms", tz="UTC")
    dark = pa.table({"site_id": ["kp-rajin"] * 40, "probability": [0.999] * 40,
                     "start": pa.array([T0 + k * DAY_MS // 2 for k in range(40)], pa.int64()).cast(ts)})
    spans = periods([CalendarEntry("2023-01-30", "cut", "s", "cut")])
    r = calls_per_period(ev, dark, "kp-rajin", spans)[0]
    assert (r["dark_calls_expected"], r["estimate"]) == (39.96, 11.99)  # 8 AIS calls in 4 weeks
    assert r["low"] <= r["estimate"] <= r["high"] == 12.0  # 48 calls in nearly every draw
