"""Port activity per site and week: calls seen on AIS, with intervals.

A call is a ``port_visit`` event at the site, counted in the week (Monday 00:00 UTC) it starts.
A week's count is one draw of a Poisson process, so its interval is the exact (Garwood) Poisson
interval of the count; a period's calls per week use the interval of the period's total divided
by its weeks. Three kinds of call are added up, each counted once: calls seen on AIS, dark calls
(gap-bracketed silences, :mod:`~harborwatch.estimates.dark_calls`, as expected values) and
radar-only calls (dark detections no dark call explains, through a revisit and dwell model,
:mod:`~harborwatch.estimates.presences`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from harborwatch.analysis.periods import Period, per_period, site_visits
from harborwatch.analysis.series import weeks_between
from harborwatch.core.params import Params
from harborwatch.core.weeks import WEEK_S, week_dates, week_index, week_start

#: One row per site and week.
ACTIVITY = pa.schema([
    pa.field("site_id", pa.string(), False),
    pa.field("week", pa.date32(), False, metadata={"doc": "first day of the week (Monday, UTC)"}),
    pa.field("days", pa.int8(), False,
             metadata={"doc": "days of the week (UTC dates) inside the events' span: under 7 at its ends"}),
    pa.field("ais_calls", pa.int64(), False, metadata={"doc": "port visits seen on AIS starting that week"}),
    pa.field("low", pa.float64(), metadata={"doc": "lower end of the interval of the week's AIS call rate"}),
    pa.field("high", pa.float64(), metadata={"doc": "upper end"}),
    pa.field("dark_calls", pa.float64(), False,
             metadata={"doc": "expected dark calls whose silence began that week (sum of probabilities)"}),
    pa.field("radar_calls", pa.float64(), False,
             metadata={"doc": "radar-only calls (revisit and dwell model over the scenes near the week)"}),
    pa.field("calls", pa.float64(), False, metadata={"doc": "ais_calls + dark_calls + radar_calls"}),
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
        self.coverage("level")
        self.at_least("min_calls", 1)


def poisson_interval(n: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    """Exact (Garwood) interval of a Poisson mean from counts ``n``."""
    from scipy.stats import chi2

    n = np.asarray(n, np.float64)
    a = 1 - level
    low = np.where(n > 0, chi2.ppf(a / 2, 2 * n) / 2, 0.0)
    high = chi2.ppf(1 - a / 2, 2 * n + 2) / 2
    return low, high


def _days_covered(w0_s: int, nweeks: int, t0_s: int, t1_s: int) -> np.ndarray:
    """UTC dates of each week from ``w0_s`` that fall within the span ``[t0_s, t1_s]`` (int8)."""
    first = (w0_s + np.arange(nweeks) * WEEK_S) // 86_400  # each week's first day, days since 1970
    d0, d1 = t0_s // 86_400, t1_s // 86_400
    return (np.minimum(first + 6, d1) - np.maximum(first, d0) + 1).clip(0, 7).astype(np.int8)


def weekly_calls(events: pa.Table, p: Activity | None = None, dark: pa.Table | None = None,
                 radar: Callable[[str, np.ndarray], np.ndarray] | None = None) -> pa.Table:
    """Calls seen on AIS per site and week over the events' whole span (weeks without calls
    are rows with 0; ``days``: the week's days inside the span, under 7 at its ends), with
    intervals, the expected dark calls (``dark``:
    :data:`~harborwatch.estimates.dark_calls.DARK_CALLS`) and the radar-only calls
    (``radar(site, week starts in seconds)``) (:data:`ACTIVITY`)."""
    p = p or Activity()
    if events.num_rows == 0:
        return ACTIVITY.empty_table()
    start = pc.cast(events["start"], pa.int64()).to_numpy(zero_copy_only=False)
    w0 = week_start(int(start.min()) // 1000)
    nweeks = int(week_index(np.array([start.max()]), w0)[0]) + 1
    covered = _days_covered(w0, nweeks, int(start.min()) // 1000,
                            int(pc.cast(pc.max(events["end"]), pa.int64()).as_py()) // 1000)
    visits = events.filter(pc.equal(events["type"], "port_visit"))
    sites = visits["site_id"].drop_null().to_numpy(zero_copy_only=False)
    vt = pc.cast(visits.filter(pc.is_valid(visits["site_id"]))["start"], pa.int64()).to_numpy(zero_copy_only=False)
    days = np.array([d.date() for d in week_dates(w0, nweeks)], dtype="datetime64[D]")
    dsite = dark["site_id"].to_numpy(zero_copy_only=False) if dark is not None and dark.num_rows else np.zeros(0)
    dweek = (week_index(pc.cast(dark["start"], pa.int64()).to_numpy(zero_copy_only=False), w0)
             if dark is not None and dark.num_rows else np.zeros(0, np.int64))
    dprob = dark["probability"].to_numpy(zero_copy_only=False) if dark is not None and dark.num_rows else np.zeros(0)
    parts = []
    for s in sorted(set(sites.tolist()) | set(dsite.tolist())):
        counts = np.bincount(week_index(vt[sites == s], w0), minlength=nweeks)[:nweeks]
        sel = (dsite == s) & (dweek >= 0) & (dweek < nweeks)
        dk = np.bincount(dweek[sel], weights=dprob[sel], minlength=nweeks)[:nweeks]
        if counts.sum() + dk.sum() < p.min_calls:
            continue
        low, high = poisson_interval(counts, p.level)
        rd = radar(s, w0 + np.arange(nweeks) * WEEK_S) if radar is not None else np.zeros(nweeks)
        parts.append(pa.table({"site_id": [s] * nweeks, "week": pa.array(days, pa.date32()), "days": covered,
                               "ais_calls": counts.astype(np.int64), "low": low, "high": high,
                               "dark_calls": dk.astype(np.float64), "radar_calls": rd, "calls": counts + dk + rd},
                              schema=ACTIVITY))
    return pa.concat_tables(parts) if parts else ACTIVITY.empty_table()


def calls_per_period(events: pa.Table, dark: pa.Table, site_id: str, spans: tuple[Period, ...],
                     p: Activity | None = None, n_sim: int = 4000, seed: int = 0,
                     radar: dict[str, dict | None] | None = None) -> list[dict]:
    """Calls per week at a site in each period: calls seen on AIS plus the expected dark calls
    (:mod:`harborwatch.estimates.dark_calls`) starting in the period plus the radar-only calls
    (``radar``: per period, :func:`harborwatch.estimates.presences.rate` or None). The interval
    is that of the number of calls made: the AIS calls, plus dark calls drawn as independent
    Bernoulli trials with their probabilities (Monte Carlo, ``n_sim`` draws, fixed ``seed``), plus
    the radar-only rate's bootstrap draws times the period's weeks. The estimate is an expected
    value and the draws are whole calls, so when nearly every dark call is certain (nine calls
    of probability 0.999 are 8.99 expected, and 9 in nearly every draw) the interval could
    exclude its own estimate; it is widened to include it."""
    p = p or Activity()
    ais = per_period(site_visits(events, site_id), events, spans)
    d = dark.filter(pc.equal(dark["site_id"], site_id)) if dark.num_rows else dark
    dt = pc.cast(d["start"], pa.int64()).to_numpy(zero_copy_only=False) // 1000 if d.num_rows else np.zeros(0)
    dp = d["probability"].to_numpy(zero_copy_only=False) if d.num_rows else np.zeros(0)
    t0 = pc.cast(pc.min(events["start"]), pa.int64()).as_py() // 1000 if events.num_rows else 0
    t1 = pc.cast(pc.max(events["end"]), pa.int64()).as_py() // 1000 if events.num_rows else 0
    rng = np.random.default_rng(seed)
    lo_q, hi_q = (1 - p.level) / 2, 1 - (1 - p.level) / 2
    out = []
    for name, a, b in spans:
        a, b = (t0 if a is None else a), (t1 if b is None else b)
        v = ais[name]
        w = weeks_between(a, b)  # exact (the period table rounds to 0.1 week)
        q = dp[(dt >= a) & (dt < b)]
        draws = v["calls"] + (rng.random((n_sim, len(q))) < q).sum(axis=1).astype(np.float64)
        r = (radar or {}).get(name)
        if r is not None:
            draws += rng.choice(r["draws"], n_sim) * w
        total = v["calls"] + float(q.sum()) + (r["per_week"] * w if r is not None else 0.0)
        low, high = min(float(np.quantile(draws, lo_q)), total), max(float(np.quantile(draws, hi_q)), total)
        out.append({"quantity": "calls_per_week", "site": site_id, "period": name,
                    "estimate": round(total / w, 2) if w else None,
                    "low": round(low / w, 2) if w else None, "high": round(high / w, 2) if w else None,
                    "ais_calls": v["calls"], "dark_calls_expected": round(float(q.sum()), 2),
                    "radar_only_per_week": None if r is None else round(r["per_week"], 2),
                    "radar_scenes": 0 if r is None else r["scenes"], "weeks": v["weeks"]})
    return out


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


__all__ = ["ACTIVITY", "Activity", "calls_per_period", "period_calls", "poisson_interval", "weekly_calls"]
