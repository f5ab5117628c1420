"""Port activity per site and week: calls seen on AIS, with intervals.

A call is a ``port_visit`` event at the site, counted in the week (Monday 00:00 UTC) it starts.
A week's count is one draw of a Poisson process, so its interval is the exact (Garwood) Poisson
interval of the count; a period's calls per week use the interval of the period's total divided
by its weeks. These are calls *seen on AIS*: dark calls (gap-bracketed visits) and radar-only
presences are not counted yet, so at a port where ships switch their transponders off this is a
lower bound (the Rason scenario shows how much lower).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from harborwatch.analysis.periods import Period, per_period, site_visits
from harborwatch.core.params import Params
from harborwatch.core.weeks import week_dates, week_index, week_start

#: One row per site and week.
ACTIVITY = pa.schema([
    pa.field("site_id", pa.string(), False),
    pa.field("week", pa.date32(), False, metadata={"doc": "first day of the week (Monday, UTC)"}),
    pa.field("ais_calls", pa.int64(), False, metadata={"doc": "port visits seen on AIS starting that week"}),
    pa.field("low", pa.float64(), metadata={"doc": "lower end of the interval of the week's call rate"}),
    pa.field("high", pa.float64(), metadata={"doc": "upper end"}),
])


@dataclass(frozen=True)
class Activity(Params):
    """Attributes:
        level: coverage of the intervals. 0.9.
        min_calls: sites with fewer calls in the whole series are left out. 1.
    """

    section = "activity"

    level: float = 0.9
    min_calls: int = 1

    def validate(self) -> None:
        if not 0.5 <= self.level < 1:
            self._fail("level", "in [0.5, 1)")
        self.at_least("min_calls", 1)


def poisson_interval(n: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    """Exact (Garwood) interval of a Poisson mean from counts ``n``."""
    from scipy.stats import chi2

    n = np.asarray(n, np.float64)
    a = 1 - level
    low = np.where(n > 0, chi2.ppf(a / 2, 2 * n) / 2, 0.0)
    high = chi2.ppf(1 - a / 2, 2 * n + 2) / 2
    return low, high


def weekly_calls(events: pa.Table, p: Activity | None = None) -> pa.Table:
    """Calls seen on AIS per site and week over the events' whole span (weeks without calls
    are rows with 0), with intervals (:data:`ACTIVITY`)."""
    p = p or Activity()
    if events.num_rows == 0:
        return ACTIVITY.empty_table()
    start = pc.cast(events["start"], pa.int64()).to_numpy(zero_copy_only=False)
    w0 = week_start(int(start.min()) // 1000)
    nweeks = int(week_index(np.array([start.max()]), w0)[0]) + 1
    visits = events.filter(pc.equal(events["type"], "port_visit"))
    sites = visits["site_id"].drop_null().to_numpy(zero_copy_only=False)
    vt = pc.cast(visits.filter(pc.is_valid(visits["site_id"]))["start"], pa.int64()).to_numpy(zero_copy_only=False)
    days = np.array([d.date() for d in week_dates(w0, nweeks)], dtype="datetime64[D]")
    parts = []
    for s in sorted(set(sites.tolist())):
        counts = np.bincount(week_index(vt[sites == s], w0), minlength=nweeks)[:nweeks]
        if counts.sum() < p.min_calls:
            continue
        low, high = poisson_interval(counts, p.level)
        parts.append(pa.table({"site_id": [s] * nweeks, "week": pa.array(days, pa.date32()),
                               "ais_calls": counts.astype(np.int64), "low": low, "high": high}, schema=ACTIVITY))
    return pa.concat_tables(parts) if parts else ACTIVITY.empty_table()


def period_calls(events: pa.Table, site_id: str, spans: tuple[Period, ...], p: Activity | None = None) -> list[dict]:
    """Calls per week seen on AIS at a site in each period, with the interval of the rate."""
    p = p or Activity()
    out = []
    for name, v in per_period(site_visits(events, site_id), events, spans).items():
        low, high = poisson_interval(np.array([v["calls"]]), p.level)
        w = v["weeks"] or None  # the period's length, to 0.1 week

        def rate(x: float, w: float | None = w) -> float | None:
            return round(x / w, 2) if w else None

        out.append({"quantity": "ais_calls_per_week", "site": site_id, "period": name, "estimate": v["per_week"],
                    "low": rate(float(low[0])), "high": rate(float(high[0])), "calls": v["calls"],
                    "weeks": v["weeks"]})
    return out


__all__ = ["ACTIVITY", "Activity", "period_calls", "poisson_interval", "weekly_calls"]
