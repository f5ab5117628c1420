"""Estimates against a scenario's ground truth: calls per week per period, changes at the
calendar's dates, and how often the change test fires where nothing is known to change."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from harborwatch.analysis.calendar import RASON_2023
from harborwatch.analysis.changes import placebo_rate
from harborwatch.analysis.periods import periods, truth_calls_per_period


def _truth_effect(truth: pa.Table, site: str, date: str) -> float | None:
    """Truth calls per week after the date minus before it (the whole series on each side)."""
    e = next((x for x in RASON_2023 if x.date == date), None)
    if e is None:
        return None
    tr = truth_calls_per_period(truth, site, periods([e]))
    before, after = tr[f"before_{date}"]["per_week"], tr[f"after_{date}"]["per_week"]
    return None if before is None or after is None else round(after - before, 2)


def evaluate_estimates(est, truth: pa.Table) -> dict:
    """``estimates``: calls per week per period with the truth; ``changes``: each change test
    with the truth's effect; ``placebo``: the change test's false-positive rate away from the
    calendar's dates (:func:`~harborwatch.analysis.changes.placebo_rate`)."""
    rows = []
    by_site: dict[str, dict] = {}
    for r in est.periods:
        tr = by_site.setdefault(r["site"], truth_calls_per_period(truth, r["site"]))
        t = tr[r["period"]]
        rows.append({k: r[k] for k in ("quantity", "site", "period", "estimate", "low", "high")}
                    | {"truth": t["per_week"], "ais_calls": r["ais_calls"],
                       "dark_calls_expected": r["dark_calls_expected"], "truth_dark_calls": t["dark_calls"]})
    changes = [{"series": c["series"], "site": c["site"], "calendar_event": c["calendar_event"],
                "calendar_date": c["calendar_date"], "found_date": c["found_date"], "p_value": c["p_value"],
                "effect": round(c["effect"], 2), "low": round(c["low"], 2), "high": round(c["high"], 2),
                "truth_effect": _truth_effect(truth, c["site"], c["calendar_date"]), "finding": c["finding"]}
               for c in est.changes]
    placebo: dict = {"n_dates": 0, "false_positive_rate": None}
    act = est.activity
    if act.num_rows and changes:
        site = changes[0]["site"]
        a = act.filter(pc.equal(act["site_id"], site))
        weeks = pc.cast(pc.cast(a["week"], pa.timestamp("s")), pa.int64()).to_numpy()
        placebo = placebo_rate(a["calls"].to_numpy().astype(np.float64), weeks, [e.epoch_s for e in RASON_2023])
    return {"estimates": rows, "changes": changes, "placebo": placebo}


__all__ = ["evaluate_estimates"]
