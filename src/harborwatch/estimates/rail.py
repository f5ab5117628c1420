"""Rail cars per day and week at rail-crossing sites, from the counts in the store.

Counts come on the days an image (or an analyst) saw the sidings, every few days and with gaps
(clouds, no acquisition). A day's count is the mean of the counts made that day. A week's
estimate is the mean per observed day times 7; its interval is quasi-Poisson: the exact
(Garwood) Poisson interval of the week's total, widened by the series' dispersion (variance over
mean of the daily counts around their weekly means, at least 1). Weeks with no count are rows
with ``days_observed`` 0 and no estimate: a gap in coverage is shown, not filled. A period's
rate is the mean per observed day times 7, with a bootstrap interval over its observed days.
The weekly series (observed weeks only) gets the same change tests as port calls.

Counts from several sources (an analyst's, the imagery counter's) need not agree: an analyst
misses cars, a counter may count a wagon twice. Where two or more sources counted the same days
(at least ``min_shared_days`` each), :func:`source_spread` measures how far apart they run: the
range of each source's median log ratio to the day's mean. Which source is right is not known,
so the intervals carry it: each bootstrap draw of a period is scaled by a factor drawn uniformly
within the spread (the estimate stays the mean of the days), and a week's interval is widened by
half the spread each side.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from harborwatch.analysis.calendar import CalendarEntry
from harborwatch.analysis.changes import StepTest, finding, step_test
from harborwatch.analysis.periods import Period
from harborwatch.core.params import Params
from harborwatch.core.weeks import WEEK_S, week_dates, week_start
from harborwatch.estimates.activity import poisson_interval

DAY_S = 86_400

RAIL_DAILY = pa.schema([
    pa.field("site_id", pa.string(), False),
    pa.field("date", pa.date32(), False),
    pa.field("quantity", pa.string(), False),
    pa.field("count", pa.float64(), False, metadata={"doc": "mean of the counts made that day"}),
    pa.field("n_counts", pa.int64(), False),
])

RAIL_WEEKLY = pa.schema([
    pa.field("site_id", pa.string(), False),
    pa.field("week", pa.date32(), False, metadata={"doc": "first day of the week (Monday, UTC)"}),
    pa.field("quantity", pa.string(), False),
    pa.field("days_observed", pa.int64(), False, metadata={"doc": "0: a gap in coverage (no estimate)"}),
    pa.field("per_day", pa.float64()),
    pa.field("estimate", pa.float64(), metadata={"doc": "per week: per_day * 7"}),
    pa.field("low", pa.float64()),
    pa.field("high", pa.float64()),
])


@dataclass(frozen=True)
class Rail(Params):
    """Attributes:
        quantity: what the counts count. rail_cars.
        level: coverage of the intervals. 0.9.
        min_shared_days: days a source must share with another before their spread counts. 3.
        n_boot: bootstrap draws of a period's rate. 2000.
        seed: of the draws. 0.
    """

    section = "rail"

    quantity: str = "rail_cars"
    level: float = 0.9
    min_shared_days: int = 3
    n_boot: int = 2000
    seed: int = 0

    def validate(self) -> None:
        self.coverage("level")
        self.at_least("n_boot", 100)
        self.at_least("min_shared_days", 1)


def counts_from_store(store, quantity: str) -> pa.Table:
    """The counts of a quantity, by site and time (none in a store made before counts existed)."""
    if "counts" not in store.tables():
        return pa.table({"site_id": pa.array([], pa.string()), "observed_at": pa.array([], pa.timestamp("ms", "UTC")),
                         "count": pa.array([], pa.int64()), "source": pa.array([], pa.string())})
    return store.sql("SELECT site_id, observed_at, count, source FROM counts WHERE quantity = ? "
                     "ORDER BY site_id, observed_at", [quantity])


def source_spread(counts: pa.Table, min_shared_days: int = 3) -> dict[str, float]:
    """Per site, how far apart its count sources run (log units): over the days two or more
    sources counted (each source's counts of a day averaged, days with a zero left out), each
    source's median of log(its count / the day's mean of the sources), and the range of those
    medians over the sources with at least ``min_shared_days`` such days. A site with one source
    or too few shared days gets 0 or no entry; counts without a ``source`` column give none."""
    if counts.num_rows == 0 or "source" not in counts.column_names:
        return {}
    t = counts.append_column("date", pc.cast(counts["observed_at"], pa.date32()))
    t = t.set_column(t.schema.get_field_index("source"), "source", pc.fill_null(t["source"], ""))
    g = t.group_by(["site_id", "date", "source"]).aggregate([("count", "mean")]).to_pylist()
    by_day: dict[tuple, dict[str, float]] = {}
    for r in g:
        by_day.setdefault((r["site_id"], r["date"]), {})[r["source"]] = float(r["count_mean"])
    ratios: dict[str, dict[str, list[float]]] = {}
    for (site, _), per in by_day.items():
        if len(per) < 2 or min(per.values()) <= 0:
            continue
        m = sum(per.values()) / len(per)
        for src, c in per.items():
            ratios.setdefault(site, {}).setdefault(src, []).append(float(np.log(c / m)))
    out = {}
    for site, per_src in ratios.items():
        med = [float(np.median(v)) for v in per_src.values() if len(v) >= min_shared_days]
        out[site] = max(med) - min(med) if len(med) >= 2 else 0.0
    return out


def daily(counts: pa.Table, quantity: str) -> pa.Table:
    """One row per site and day with counts (:data:`RAIL_DAILY`)."""
    if counts.num_rows == 0:
        return RAIL_DAILY.empty_table()
    t = counts.append_column("date", pc.cast(counts["observed_at"], pa.date32()))
    g = t.group_by(["site_id", "date"]).aggregate([("count", "mean"), ("count", "count")])
    g = g.sort_by([("site_id", "ascending"), ("date", "ascending")])
    return pa.table({"site_id": g["site_id"], "date": g["date"], "quantity": [quantity] * g.num_rows,
                     "count": pc.cast(g["count_mean"], pa.float64()), "n_counts": g["count_count"]},
                    schema=RAIL_DAILY)


def _days_s(d: pa.Table) -> np.ndarray:
    return pc.cast(pc.cast(d["date"], pa.timestamp("s")), pa.int64()).to_numpy(zero_copy_only=False)


def dispersion(day_s: np.ndarray, y: np.ndarray, w0: int) -> float:
    """Variance over mean of daily counts around their weekly means (at least 1)."""
    wk = (day_s - w0) // WEEK_S
    resid, n = 0.0, 0
    for k in np.unique(wk):
        v = y[wk == k]
        resid += float(((v - v.mean()) ** 2).sum())
        n += len(v) - 1
    mean = float(y.mean()) if len(y) else 0.0
    return max(1.0, resid / n / mean) if n > 0 and mean > 0 else 1.0


def weekly(days: pa.Table, p: Rail | None = None, spread: dict[str, float] | None = None) -> pa.Table:
    """Rail cars per week per site (:data:`RAIL_WEEKLY`), every week of the counts' span; each
    interval widened by half the site's :func:`source_spread` each side."""
    p = p or Rail()
    parts = []
    for s in sorted(set(days["site_id"].to_pylist())):
        widen = float(np.exp((spread or {}).get(s, 0.0) / 2))
        d = days.filter(pc.equal(days["site_id"], s))
        day_s, y = _days_s(d), d["count"].to_numpy(zero_copy_only=False)
        w0 = week_start(int(day_s.min()))
        n = int((day_s.max() - w0) // WEEK_S) + 1
        wk = (day_s - w0) // WEEK_S
        phi = dispersion(day_s, y, w0)
        k = np.bincount(wk, minlength=n)
        tot = np.bincount(wk, weights=y, minlength=n)
        lo, hi = poisson_interval(tot / phi, p.level)
        with np.errstate(invalid="ignore", divide="ignore"):
            per_day = np.where(k > 0, tot / k, np.nan)
            f = np.where(k > 0, 7.0 * phi / np.maximum(k, 1), np.nan)
        parts.append(pa.table({
            "site_id": [s] * n, "week": pa.array([x.date() for x in week_dates(w0, n)], pa.date32()),
            "quantity": [p.quantity] * n, "days_observed": k.astype(np.int64),
            "per_day": _opt(per_day), "estimate": _opt(per_day * 7),
            "low": _opt(np.where(k > 0, lo * f / widen, np.nan)),
            "high": _opt(np.where(k > 0, hi * f * widen, np.nan))}, schema=RAIL_WEEKLY))
    return pa.concat_tables(parts) if parts else RAIL_WEEKLY.empty_table()


def _opt(x: np.ndarray) -> pa.Array:
    return pa.array(np.round(x, 2), pa.float64(), mask=np.isnan(x))


def per_period(days: pa.Table, site_id: str, spans: tuple[Period, ...], p: Rail | None = None,
               spread: float = 0.0) -> list[dict]:
    """Rail cars per week at a site in each period: mean per observed day times 7, bootstrap
    interval, each draw scaled within the sources' ``spread`` (:func:`source_spread`)."""
    p = p or Rail()
    d = days.filter(pc.equal(days["site_id"], site_id))
    if d.num_rows == 0:
        return []
    day_s, y = _days_s(d), d["count"].to_numpy(zero_copy_only=False)
    t0, t1 = int(day_s.min()), int(day_s.max()) + DAY_S
    rng = np.random.default_rng(p.seed)
    a = (1 - p.level) / 2
    out = []
    for name, lo_s, hi_s in spans:
        sel = (day_s >= (t0 if lo_s is None else lo_s)) & (day_s < (t1 if hi_s is None else hi_s))
        v = y[sel]
        row = {"quantity": f"{p.quantity}_per_week", "site": site_id, "period": name, "days_observed": int(len(v)),
               "estimate": None, "low": None, "high": None, "source_spread": round(spread, 4)}
        if len(v):
            boot = rng.choice(v, size=(p.n_boot, len(v))).mean(axis=1) * 7
            if spread > 0:  # (no draw without: one source gives the same intervals as before)
                boot = boot * np.exp(rng.uniform(-spread / 2, spread / 2, p.n_boot))
            row.update(estimate=round(float(v.mean() * 7), 1), low=round(float(np.quantile(boot, a)), 1),
                       high=round(float(np.quantile(boot, 1 - a)), 1))
        out.append(row)
    return out


def rail_changes(week_table: pa.Table, calendar: tuple[CalendarEntry, ...], test: StepTest | None = None,
                 names: dict[str, str] | None = None) -> list[dict]:
    """Step tests of each site's weekly rail series (observed weeks only) at the calendar's dates."""
    names = names or {}
    rows = []
    for s in sorted(set(week_table["site_id"].to_pylist())):
        w = week_table.filter(pc.and_(pc.equal(week_table["site_id"], s), pc.is_valid(week_table["estimate"])))
        y = w["estimate"].to_numpy(zero_copy_only=False).astype(float)
        weeks_s = pc.cast(pc.cast(w["week"], pa.timestamp("s")), pa.int64()).to_numpy(zero_copy_only=False)
        for e in calendar:
            r = step_test(y, weeks_s, e.epoch_s, test)
            if r is None:
                continue
            rows.append({"series": "rail_cars_per_week", "site": s, "calendar_event": e.id, "calendar_date": e.date,
                         **r.as_dict(), "did": None,
                         "finding": finding("Rail cars per week", names.get(s, s), e.label, r)})
    return rows


__all__ = ["RAIL_DAILY", "RAIL_WEEKLY", "Rail", "counts_from_store", "daily", "dispersion", "per_period",
           "rail_changes", "source_spread", "weekly"]
