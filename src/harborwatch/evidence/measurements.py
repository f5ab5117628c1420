"""Named measurements a claim can be bound to, each with an interval and the evidence behind it.

- ``port_calls``: port visits seen on AIS at the site starting in the period (an exact count);
  evidence: the visits.
- ``dark_calls``: expected calls with AIS off (the sum of the dark-call probabilities), with the
  90 % interval of that Poisson-binomial sum; evidence: the gaps, most probable first.
- ``tonnes_loaded``, ``teu_loaded``, ``barrels_unloaded``...: the cargo of the calls in the
  period, with the estimates' Monte Carlo interval; evidence: the calls that carry it.
- ``change``: the step change of a weekly series (``series``) at a calendar date
  (``calendar_event``), with its bootstrap interval and placebo p-value; evidence: the calls, or
  the count rows (``file#line N``).
- ``new_structures``: structures first seen at the site in the period (an exact count);
  evidence: the ``new_structure`` events.

``flag`` (ISO 3166 alpha-2) keeps vessels whose MMSI's country (its MID) is that one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import numpy as np

from harborwatch.core.errors import DataError
from harborwatch.estimates.cargo_calls import QUANTITIES
from harborwatch.estimates.run import Estimates
from harborwatch.store.store import Store

MEASUREMENTS = ("port_calls", "dark_calls", "change", "new_structures", *QUANTITIES)
#: A count row's evidence reference, ``<source file>#line <n>`` (SQL over the counts table).
COUNT_REF = "source_file || '#line ' || source_ref"
#: Coverage of the intervals computed here.
LEVEL = 0.9


@dataclass(frozen=True)
class Measured:
    """A measurement: value, interval, evidence (event ids, or ``file#line`` of count rows)."""

    value: float | None
    low: float | None
    high: float | None
    evidence: list[str] = field(default_factory=list)
    p_value: float | None = None
    note: str = ""


def _epoch(d: date | datetime | None, default: int) -> int:
    if d is None:
        return default
    if not isinstance(d, datetime):
        d = datetime(d.year, d.month, d.day, tzinfo=UTC)
    return int(d.timestamp())


def _flag_mmsis(store: Store, flag: str | None) -> set[int] | None:
    if not flag:
        return None
    rows = store.sql("SELECT DISTINCT mmsi FROM positions WHERE CAST(mmsi // 1000000 AS INTEGER) IN "
                     "(SELECT mid FROM mid WHERE iso2 = ?)", [flag.upper()])
    return {int(m) for m in rows["mmsi"].to_pylist()}


def _port_calls(store: Store, site: str, t0: int, t1: int, mmsis: set[int] | None) -> Measured:
    t = store.sql("SELECT event_id, mmsi FROM events WHERE type = 'port_visit' AND site_id = ? AND "
                  "epoch(start) >= ? AND epoch(start) < ? ORDER BY start, event_id", [site, t0, t1])
    ids = [e for e, m in zip(t["event_id"].to_pylist(), t["mmsi"].to_pylist()) if mmsis is None or m in mmsis]
    return Measured(float(len(ids)), float(len(ids)), float(len(ids)), ids, note="port visits seen on AIS")


def _dark_calls(est: Estimates, site: str, t0: int, t1: int, mmsis: set[int] | None, seed: int) -> Measured:
    dk = est.dark_calls.to_pylist()
    rows = [r for r in dk if r["site_id"] == site and t0 <= r["start"].timestamp() < t1
            and (mmsis is None or r["mmsi"] in mmsis) and r["probability"] > 0]
    p = np.array([r["probability"] for r in rows])
    draws = (np.random.default_rng(seed).random((4000, len(p))) < p).sum(axis=1) if len(p) else np.zeros(1)
    a = (1 - LEVEL) / 2
    rows.sort(key=lambda r: -r["probability"])
    return Measured(round(float(p.sum()), 2), float(np.quantile(draws, a)), float(np.quantile(draws, 1 - a)),
                    [r["gap_event_id"] for r in rows],
                    note=f"{len(rows)} gap-bracketed calls, {int((p >= 0.5).sum())} of them with probability >= 0.5")


def _cargo(est: Estimates, quantity: str, site: str, t0: int, t1: int) -> Measured:
    if est.cargo_sums is None:
        return Measured(None, None, None, note="no cargo estimates")
    row, ids = est.cargo_sums.quantity(est.cargo_sums.select(site, t0, t1), quantity)
    return Measured(row["estimate"], row["low"], row["high"], ids,
                    note=f"{row['calls']} calls with an estimate, {row['calls_without_estimate']} without")


def _change(store: Store, est: Estimates, claim: dict, site: str) -> Measured:
    series = claim.get("series", "calls_per_week")
    event = claim.get("calendar_event")
    rows = [c for c in est.changes if c["site"] == site and c["series"] == series and c["calendar_event"] == event]
    if not rows:
        return Measured(None, None, None, note=f"no change test of {series} at {site} for {event}")
    c = rows[0]
    if series.startswith("rail"):
        ev = store.sql(f"SELECT {COUNT_REF} AS ref FROM counts WHERE site_id = ? "
                       "ORDER BY observed_at", [site])["ref"].to_pylist()
    else:
        ev = store.sql("SELECT event_id FROM events WHERE type = 'port_visit' AND site_id = ? ORDER BY start",
                       [site])["event_id"].to_pylist()
        ev += [r["gap_event_id"] for r in est.dark_calls.to_pylist()
               if r["site_id"] == site and r["probability"] >= 0.5]
    return Measured(c["effect"], c["low"], c["high"], ev, c.get("p_value"), c.get("finding", ""))


def _structures(store: Store, site: str, t0: int, t1: int) -> Measured:
    t = store.sql("SELECT event_id FROM events WHERE type = 'new_structure' AND site_id = ? AND epoch(start) >= ? "
                  "AND epoch(start) < ? ORDER BY start", [site, t0, t1])
    n = float(t.num_rows)
    return Measured(n, n, n, t["event_id"].to_pylist(), note="new structures found in the radar stack")


def measure(store: Store, est: Estimates, claim: dict, seed: int = 0) -> Measured:
    """The claim's named measurement (``quantity``) at its ``site`` over its ``period``."""
    q, site = claim["quantity"], claim["site"]
    period = claim.get("period", {})
    t0, t1 = _epoch(period.get("start"), -(2**40)), _epoch(period.get("end"), 2**40)
    mmsis = _flag_mmsis(store, claim.get("flag"))
    if q == "port_calls":
        return _port_calls(store, site, t0, t1, mmsis)
    if q == "dark_calls":
        return _dark_calls(est, site, t0, t1, mmsis, seed)
    if q in QUANTITIES:
        return _cargo(est, q, site, t0, t1)
    if q == "change":
        return _change(store, est, claim, site)
    if q == "new_structures":
        return _structures(store, site, t0, t1)
    raise DataError(f"unknown quantity {q!r}; expected one of {', '.join(MEASUREMENTS)}", field="quantity")


__all__ = ["COUNT_REF", "LEVEL", "MEASUREMENTS", "Measured", "measure"]
