"""Trade statistics against each other and against measured activity.

- **Mirror statistics** (:func:`mirror`): what A reports exporting to B against what B reports
  importing from A, and the reverse, per year (or month). A country that stops publishing still
  shows in its partners' reports: the mirror row carries the figure, the own-report cell is null
  and ``status`` says ``reporter_silent``.
- **Reconciliation** (:func:`reconcile`): barrels unloaded at a site as measured (tanker calls x
  estimated barrels, with the Monte Carlo interval) against the deliveries reported for the
  same months.
- **Cap tracker** (:func:`cap_tracker`): reported and measured barrels summed through a year
  against the UN Security Council cap on refined petroleum to the DPRK (500,000 barrels a year,
  resolution 2397 (2017)), and the month each passes it.
"""

from __future__ import annotations

from collections import defaultdict

import pyarrow as pa

#: UN Security Council resolution 2397 (2017), paragraph 5: refined petroleum products to the
#: DPRK, barrels per year.
UN_CAP_BARRELS = 500_000.0


def _period(year: int, month: int | None, by: str) -> str:
    return f"{year}" if by == "year" or month is None else f"{year}-{month:02d}"


def mirror(trade: pa.Table, a: str, b: str, hs_prefix: str = "", by: str = "year") -> list[dict]:
    """Rows per period and direction (A -> B, B -> A): ``exporter_reported_usd`` (the exporter's
    own report), ``importer_reported_usd`` (its partner's mirror figure), net weights, the ratio
    importer / exporter (imports are valued CIF, exports FOB: about 1.1 is normal) and ``status``:
    ``both``, ``exporter_silent`` or ``importer_silent``."""
    sums: dict[tuple, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    seen: dict[tuple, set[str]] = defaultdict(set)
    for r in trade.to_pylist():
        if not str(r["hs_code"]).startswith(hs_prefix):
            continue
        rep, par, flow = r["reporter"], r["partner"], r["flow"]
        if {rep, par} != {a, b} or flow not in ("export", "import"):
            continue
        exporter, importer = (rep, par) if flow == "export" else (par, rep)
        key = (_period(r["year"], r["month"], by), exporter, importer)
        side = "exporter" if flow == "export" else "importer"
        sums[key][f"{side}_reported_usd"] += r["value_usd"] or 0.0
        sums[key][f"{side}_reported_kg"] += r["net_weight_kg"] or 0.0
        seen[key].add(side)
    out = []
    for key in sorted(sums):
        s, have = sums[key], seen[key]
        row = {"period": key[0], "exporter": key[1], "importer": key[2], "hs_prefix": hs_prefix or "all"}
        for side in ("exporter", "importer"):
            row[f"{side}_reported_usd"] = s[f"{side}_reported_usd"] if side in have else None
            row[f"{side}_reported_kg"] = s[f"{side}_reported_kg"] if side in have else None
        e, i = row["exporter_reported_usd"], row["importer_reported_usd"]
        row["ratio"] = round(i / e, 3) if e and i is not None else None
        row["status"] = "both" if len(have) == 2 else ("exporter_silent" if "exporter" not in have
                                                       else "importer_silent")
        out.append(row)
    return out


def _monthly_reported(deliveries: pa.Table) -> dict[str, float]:
    out: dict[str, float] = defaultdict(float)
    for r in deliveries.to_pylist():
        out[r["date"].strftime("%Y-%m")] += r["barrels"]
    return out


def reconcile(cargo_months: list[dict], deliveries: pa.Table, site: str) -> list[dict]:
    """Per month: barrels unloaded at ``site`` as measured (estimate, low, high, calls) against
    the barrels reported delivered; ``status``: ``above_reported`` when even the interval's low
    end exceeds the reports, ``below_reported`` when its high end falls short, else ``consistent``."""
    measured = {r["period"]: r for r in cargo_months if r["site"] == site and r["quantity"] == "barrels_unloaded"}
    reported = _monthly_reported(deliveries)
    out = []
    for month in sorted(set(measured) | set(reported)):
        m = measured.get(month)
        rep = reported.get(month, 0.0)
        row = {"month": month, "site": site, "reported_barrels": rep,
               "measured_barrels": m["estimate"] if m else None, "low": m["low"] if m else None,
               "high": m["high"] if m else None, "tanker_calls": m["calls"] if m else None}
        if m is None:
            row["status"] = "not_measured"
        elif m["low"] > rep:
            row["status"] = "above_reported"
        elif m["high"] < rep:
            row["status"] = "below_reported"
        else:
            row["status"] = "consistent"
        out.append(row)
    return out


def cap_tracker(rows: list[dict], year: int, cap_barrels: float = UN_CAP_BARRELS) -> dict:
    """Cumulative reported and measured barrels through ``year`` (rows of :func:`reconcile`)
    against the cap; the first month each series (reported, measured, measured low end) passes it."""
    cum = {"reported": 0.0, "measured": 0.0, "measured_low": 0.0, "measured_high": 0.0}
    months, passed = [], dict.fromkeys(cum)
    for r in sorted(rows, key=lambda r: r["month"]):
        if not r["month"].startswith(str(year)):
            continue
        cum["reported"] += r["reported_barrels"] or 0.0
        cum["measured"] += r["measured_barrels"] or 0.0
        cum["measured_low"] += r["low"] or 0.0
        cum["measured_high"] += r["high"] or 0.0
        for k, v in cum.items():
            if passed[k] is None and v > cap_barrels:
                passed[k] = r["month"]
        months.append({"month": r["month"], **{f"cumulative_{k}": round(v, 1) for k, v in cum.items()}})
    return {"year": year, "cap_barrels": cap_barrels, "months": months,
            "share_of_cap": {k: round(v / cap_barrels, 4) for k, v in cum.items()},
            "cap_passed_in": passed,
            "note": "monthly low and high ends are summed: a conservative band, wider than the interval of the sum"}


__all__ = ["UN_CAP_BARRELS", "cap_tracker", "mirror", "reconcile"]
