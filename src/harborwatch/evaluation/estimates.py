"""Estimates against a scenario's ground truth: calls per week per period (every call any hull
made: AIS, dark and radar-only estimates together aim at that), changes at the calendar's dates,
cargo and rail per period, and how often the change test fires where nothing is known to change."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from harborwatch.analysis.calendar import RASON_2023
from harborwatch.analysis.changes import placebo_rate
from harborwatch.analysis.periods import RASON_PERIODS, month_periods, periods, truth_calls_per_period
from harborwatch.estimates.changes import site_series


def _truth_effect(truth: pa.Table, site: str, date: str, all_hulls: bool = True) -> float | None:
    """Truth calls per week after the date minus before it (the whole series on each side)."""
    e = next((x for x in RASON_2023 if x.date == date), None)
    if e is None:
        return None
    tr = truth_calls_per_period(truth, site, periods([e]), all_hulls=all_hulls)
    before, after = tr[f"before_{date}"]["per_week"], tr[f"after_{date}"]["per_week"]
    return None if before is None or after is None else round(after - before, 2)


#: The cargo quantities compared with a scenario's truth (its cargo ledger, net per call).
CARGO_CHECKS = (("kp-rajin", "teu_loaded"), ("kp-rajin", "tonnes_loaded"), ("kp-chongjin", "barrels_unloaded"))


def truth_net_cargo(cargo: pa.Table, site: str, quantity: str, a: int, b: int) -> dict:
    """The truth of a cargo quantity at a site in [a, b) (seconds): the net of each call (what a
    draught change can show) summed over the calls where it goes that way, and the gross."""
    unit, way = quantity.split("_")
    t = pc.cast(pc.cast(cargo["time"], pa.timestamp("s", tz="UTC")), pa.int64()).to_numpy()
    sel = np.array([x == site for x in cargo["site_id"].to_pylist()]) & (t >= a) & (t < b)
    on = np.nan_to_num(cargo[f"{unit}_loaded"].to_numpy(zero_copy_only=False).astype(np.float64))[sel]
    off = np.nan_to_num(cargo[f"{unit}_unloaded"].to_numpy(zero_copy_only=False).astype(np.float64))[sel]
    net = on - off if way == "loaded" else off - on
    return {"truth_net": round(float(np.maximum(net, 0).sum()), 1),
            "truth_gross": round(float((on if way == "loaded" else off).sum()), 1)}


def _rail_truth_effect(rail: pa.Table | None, site: str, date: str) -> float | None:
    """Truth rail cars per week after the date minus before it."""
    if rail is None or rail.num_rows == 0:
        return None
    d = np.array(rail["date"].to_pylist())
    cars = rail["rail_cars"].to_numpy().astype(np.float64)
    sel = np.array(rail["site_id"].to_pylist()) == site
    before, after = cars[sel & (d < date)], cars[sel & (d >= date)]
    return round(float(after.mean() - before.mean()) * 7, 2) if len(before) and len(after) else None


def evaluate_cargo(est, cargo: pa.Table, events: pa.Table) -> list[dict]:
    """Cargo per period (:data:`CARGO_CHECKS`, the Rason periods) and TEU loaded per month at
    Rajin (``teu_per_month``) against the truth: the net of each call (``truth``) and the gross."""
    t0 = pc.cast(pc.min(events["start"]), pa.int64()).as_py() // 1000 if events.num_rows else 0
    t1 = pc.cast(pc.max(events["end"]), pa.int64()).as_py() // 1000 if events.num_rows else 0
    spans = {p.name: p for p in (*RASON_PERIODS, *month_periods(t0, t1))}
    monthly = [r | {"quantity": "teu_per_month"} for r in est.cargo_months
               if r["site"] == "kp-rajin" and r["quantity"] == "teu_loaded"]
    out = []
    for r in [r for r in est.cargo_periods if (r["site"], r["quantity"]) in CARGO_CHECKS] + monthly:
        if r["period"] not in spans:
            continue
        _, a, b = spans[r["period"]]
        q = "teu_loaded" if r["quantity"] == "teu_per_month" else r["quantity"]
        tr = truth_net_cargo(cargo, r["site"], q, t0 if a is None else a, t1 if b is None else b)
        out.append({k: r[k] for k in ("quantity", "site", "period", "estimate", "low", "high")}
                   | {"truth": tr["truth_net"], "truth_gross": tr["truth_gross"],
                      "covered": bool(r["low"] <= tr["truth_net"] <= r["high"])})
    return out


def evaluate_rail(est, rail: pa.Table) -> list[dict]:
    """Rail cars per week per period against the truth (every day's cars, not only the counted days)."""
    days = np.array(rail["date"].to_pylist(), dtype="datetime64[D]").astype("datetime64[s]").astype(np.int64)
    cars = rail["rail_cars"].to_numpy().astype(np.float64)
    sites = np.array(rail["site_id"].to_pylist())
    spans = {p.name: p for p in RASON_PERIODS}
    out = []
    for r in est.rail_periods:
        if r["period"] not in spans or r["estimate"] is None:
            continue
        _, a, b = spans[r["period"]]
        lo, hi = days.min() if a is None else a, days.max() + 1 if b is None else b
        sel = (sites == r["site"]) & (days >= lo) & (days < hi)
        truth = round(float(cars[sel].mean() * 7), 1) if sel.any() else None
        out.append({k: r[k] for k in ("quantity", "site", "period", "estimate", "low", "high", "days_observed")}
                   | {"truth": truth, "covered": truth is not None and bool(r["low"] <= truth <= r["high"])})
    return out


def _rel(rows: list[dict]) -> list[float]:
    return [abs(r["estimate"] - r["truth"]) / r["truth"] for r in rows if r["truth"] and r["estimate"] is not None]


def goals(rows: list[dict]) -> dict:
    """The figures the estimates are judged by: Rajin calls within 10 % of the truth, the median
    relative error of TEU per month and of rail cars per week, and the intervals' coverage."""
    calls = [r for r in rows if r["quantity"] == "calls_per_week" and r["site"] == "kp-rajin"]
    teu = _rel([r for r in rows if r["quantity"] == "teu_per_month"])
    rail = _rel([r for r in rows if r["quantity"] == "rail_cars_per_week"])
    return {"rajin_calls_within_10pct": sum(e <= 0.10 for e in _rel(calls)), "rajin_calls_rows": len(calls),
            "teu_per_month_median_rel_error": round(float(np.median(teu)), 3) if teu else None,
            "rail_cars_per_week_median_rel_error": round(float(np.median(rail)), 3) if rail else None,
            "covered": sum(bool(r.get("covered")) for r in rows), "rows": len(rows)}


def placebo_rates(activity: pa.Table) -> dict:
    """The change test's false-positive rate away from the calendar's dates
    (:func:`~harborwatch.analysis.changes.placebo_rate`), on every site's tested weekly series
    (:func:`~harborwatch.estimates.changes.site_series`), pooled: ``{n_dates,
    false_positive_rate, by_site: {site: {n_dates, fired, false_positive_rate}}}``.

    One site's series gives about 20 dates, too few to tell the test's rate: a calibrated test at
    p <= 0.05 (5 % of dates) fires on more than 10 % of them for about one series in seven (0.153
    of 300 simulated Poisson series of 52 weeks). Every site is a null series once the calendar
    periods' means are taken out, so the rate is counted over all of them."""
    weeks_s, series = site_series(activity)
    by_site = {site: placebo_rate(y, weeks_s, [e.epoch_s for e in RASON_2023]) for site, y in series.items()}
    n = sum(r["n_dates"] for r in by_site.values())
    fired = sum(r["fired"] for r in by_site.values())
    return {"n_dates": n, "false_positive_rate": fired / n if n else None, "by_site": by_site}


def evaluate_estimates(est, truth: pa.Table, cargo: pa.Table | None = None, rail: pa.Table | None = None) -> dict:
    """``estimates``: rows ``{quantity, site, period, estimate, low, high, truth, covered, ...}``:
    calls per week per period, and (when ``cargo`` / ``rail`` truth is given) cargo per period,
    TEU per month and rail cars per week per period; ``goals``: :func:`goals`; ``changes``: each
    change test with the truth's effect; ``placebo``: the change test's false-positive rate away
    from the calendar's dates, over every site (:func:`placebo_rates`)."""
    rows = []
    by_site: dict[str, dict] = {}
    seen = set(est.presences["site_id"].to_pylist()) if est.presences is not None else set()
    for r in est.periods:
        # where radar scenes cover the site the estimate aims at every hull's calls; elsewhere a
        # hull that never transmits is invisible, so it aims at the calls of hulls on AIS
        tr = by_site.setdefault(r["site"], truth_calls_per_period(truth, r["site"], all_hulls=r["site"] in seen,
                                                                  twin_on_ais=True))
        t = tr[r["period"]]
        rows.append({k: r[k] for k in ("quantity", "site", "period", "estimate", "low", "high")}
                    | {"truth": t["per_week"], "truth_of": "every hull" if r["site"] in seen else "on AIS or dark",
                       "ais_calls": r["ais_calls"],
                       "dark_calls_expected": r["dark_calls_expected"],
                       "radar_only_per_week": r.get("radar_only_per_week"), "truth_dark_calls": t["dark_calls"],
                       "covered": bool(r["low"] <= t["per_week"] <= r["high"]) if r["low"] is not None else False})
    changes = [{"series": c["series"], "site": c["site"], "calendar_event": c["calendar_event"],
                "calendar_date": c["calendar_date"], "found_date": c["found_date"], "p_value": c["p_value"],
                "effect": round(c["effect"], 2), "low": round(c["low"], 2), "high": round(c["high"], 2),
                "truth_effect": (_truth_effect(truth, c["site"], c["calendar_date"], c["site"] in seen)
                                 if c["series"] == "calls_per_week"
                                 else _rail_truth_effect(rail, c["site"], c["calendar_date"])),
                "finding": c["finding"]}
               for c in est.changes]
    tested = est.activity.num_rows and any(c["series"] == "calls_per_week" for c in changes)
    placebo = placebo_rates(est.activity) if tested else {"n_dates": 0, "false_positive_rate": None, "by_site": {}}
    if cargo is not None:
        rows += evaluate_cargo(est, cargo, truth)
    if rail is not None and rail.num_rows:
        rows += evaluate_rail(est, rail)
    return {"estimates": rows, "goals": goals(rows), "changes": changes, "placebo": placebo}


__all__ = ["CARGO_CHECKS", "evaluate_cargo", "evaluate_estimates", "evaluate_rail", "goals", "placebo_rates",
           "truth_net_cargo"]
