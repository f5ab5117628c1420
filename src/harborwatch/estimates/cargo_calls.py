"""The calls whose cargo :mod:`~harborwatch.estimates.cargo` estimates, gathered from the store,
and their sums per site and period or week, with intervals."""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from harborwatch.analysis.periods import Period
from harborwatch.core.weeks import week_dates, week_index, week_start
from harborwatch.estimates.cargo import CALL_CARGO, Cargo, cargo_kind, draw, point, with_results

#: Sums per site and period (or week): one row per quantity.
QUANTITIES = ("tonnes_loaded", "tonnes_unloaded", "teu_loaded", "teu_unloaded", "barrels_loaded", "barrels_unloaded")

CARGO_WEEKLY = pa.schema([
    pa.field("site_id", pa.string(), False),
    pa.field("week", pa.date32(), False, metadata={"doc": "first day of the week (Monday, UTC)"}),
    pa.field("quantity", pa.string(), False, metadata={"doc": " | ".join(QUANTITIES)}),
    pa.field("estimate", pa.float64()),
    pa.field("low", pa.float64()),
    pa.field("high", pa.float64()),
    pa.field("calls", pa.float64(), False, metadata={"doc": "expected calls with an estimate"}),
    pa.field("calls_without_estimate", pa.int64(), False,
             metadata={"doc": "calls whose cargo cannot be estimated: no draught at an end, or no hull dimensions"}),
])


def particulars_from_store(store, mmsis: list[int]) -> dict[int, dict]:
    """Per MMSI: the ship type (code or text), length and beam most reported, and the largest
    deadweight reported."""
    if not mmsis:
        return {}
    m = pa.table({"mmsi": pa.array(sorted(set(mmsis)), pa.uint32())})  # noqa: F841  (referenced in SQL)
    got = store.con.sql(
        "SELECT s.mmsi, mode(s.ship_type) AS ship_type, mode(s.ship_type_text) AS ship_type_text, "
        "mode(s.length_m) AS length_m, mode(s.beam_m) AS beam_m, "
        "max(s.deadweight_t) AS deadweight_t FROM static s JOIN m USING (mmsi) GROUP BY s.mmsi").to_arrow_table()
    return {r["mmsi"]: r for r in got.to_pylist()}


def draughts_from_store(store, dark: pa.Table, window_h: float) -> dict[str, tuple[float | None, float | None]]:
    """Per gap: the draught its vessel last reported before the silence and first after it
    (within ``window_h``)."""
    if dark.num_rows == 0:
        return {}
    g = dark.select(["gap_event_id", "mmsi", "start", "end"]).group_by(  # noqa: F841  (referenced in SQL)
        ["gap_event_id", "mmsi", "start", "end"]).aggregate([])
    w = f"to_microseconds(CAST({int(window_h * 3_600_000_000)} AS BIGINT))"
    got = store.con.sql(
        "SELECT g.gap_event_id, "
        "(SELECT arg_max(s.draught_m, s.timestamp) FROM static s WHERE s.mmsi = g.mmsi AND s.timestamp <= g.start "
        f"AND s.timestamp >= g.start - {w} AND s.draught_m IS NOT NULL) AS before, "
        "(SELECT arg_min(s.draught_m, s.timestamp) FROM static s WHERE s.mmsi = g.mmsi AND s.timestamp >= g.\"end\" "
        f"AND s.timestamp <= g.\"end\" + {w} AND s.draught_m IS NOT NULL) AS after FROM g").to_arrow_table()
    return {r["gap_event_id"]: (r["before"], r["after"]) for r in got.to_pylist()}


def _hull(part: dict | None, p: Cargo) -> dict:
    """The hull of a call's vessel; the deadweight from the length prior where none is reported."""
    part = part or {}
    length, dwt = part.get("length_m"), part.get("deadweight_t")
    reported = dwt is not None
    if dwt is None and length:
        dwt = round(p.deadweight_per_l3 * float(length) ** 3, -1)
    return {"cargo": cargo_kind(part.get("ship_type"), part.get("ship_type_text")), "length_m": length,
            "beam_m": part.get("beam_m"), "deadweight_t": dwt, "deadweight_reported": reported}


def call_rows(events: pa.Table, dark: pa.Table, particulars: dict[int, dict],
              draughts: dict[str, tuple[float | None, float | None]], p: Cargo | None = None) -> list[dict]:
    """One row per call seen on AIS (``port_visit`` with a site) and per dark (gap, site)."""
    p = p or Cargo()
    rows = []
    visits = events.filter(pc.and_(pc.equal(events["type"], "port_visit"), pc.is_valid(events["site_id"])))
    for v in visits.select(["event_id", "site_id", "mmsi", "start", "end", "attributes"]).to_pylist():
        a = json.loads(v["attributes"] or "{}")
        rows.append({"call_id": v["event_id"], "source": "ais", "site_id": v["site_id"], "mmsi": v["mmsi"],
                     "start": v["start"], "end": v["end"], "probability": 1.0,
                     **_hull(particulars.get(v["mmsi"]), p), "arrival_draught_m": a.get("arrival_draught_m"),
                     "departure_draught_m": a.get("departure_draught_m"),
                     "method": "draught change over the call"})
    for d in dark.to_pylist():
        before, after = draughts.get(d["gap_event_id"], (None, None))
        rows.append({"call_id": d["gap_event_id"], "source": "dark", "site_id": d["site_id"], "mmsi": d["mmsi"],
                     "start": d["start"], "end": d["end"], "probability": d["probability"],
                     **_hull(particulars.get(d["mmsi"]), p), "arrival_draught_m": before, "departure_draught_m": after,
                     "method": "draught change over the silence"})
    return rows


def radar_rows(events: pa.Table, weights: dict) -> list[dict]:
    """One row per dark detection that no dark call explains (``weights``: per (scene, site) the
    calls each stands for, :func:`harborwatch.estimates.presences.detection_weights`): no identity,
    so no draught; the length the radar measured."""
    det = events.filter(pc.equal(events["type"], "dark_vessel"))
    rows = []
    for e in det.select(["event_id", "site_id", "start", "attributes"]).to_pylist():
        a = json.loads(e["attributes"] or "{}")
        w = weights.get((a.get("scene"), e["site_id"]))
        if not w:
            continue
        rows.append({"call_id": e["event_id"], "source": "radar", "site_id": e["site_id"], "mmsi": None,
                     "start": e["start"], "end": None, "probability": w, "cargo": "other",
                     "length_m": a.get("length_m"), "beam_m": a.get("width_m"), "deadweight_t": None,
                     "deadweight_reported": False, "arrival_draught_m": None, "departure_draught_m": None,
                     "method": "radar-only: length prior times the site's mean share of deadweight handled"})
    return rows


def calls_table(rows: list[dict]) -> pa.Table:
    """:data:`CALL_CARGO` rows without results (the estimator fills them)."""
    if not rows:
        return CALL_CARGO.empty_table()
    for r in rows:
        r.setdefault("method", "")
    return pa.Table.from_pylist(rows, schema=CALL_CARGO)


def handled_share(calls: pa.Table, p: Cargo) -> dict[str, np.ndarray]:
    """Per site: the shares of deadweight handled (|net tonnes| / deadweight) by the calls seen on
    AIS whose vessel's deadweight is known or follows from its length (radar-only calls draw from
    them: a call that moved nothing is as possible for them as it was for these)."""
    ais = calls.filter(pc.equal(calls["source"], "ais"))
    if ais.num_rows == 0:
        return {}
    t = np.abs(point(ais, p))
    length = np.asarray(ais["length_m"].to_numpy(zero_copy_only=False), np.float64)
    dwt = np.asarray(ais["deadweight_t"].to_numpy(zero_copy_only=False), np.float64)
    dwt = np.where(np.isnan(dwt), p.deadweight_per_l3 * length ** 3, dwt)
    share = t / dwt
    sites = np.array(ais["site_id"].to_pylist())
    out = {str(x): share[(sites == x) & np.isfinite(share)] for x in np.unique(sites)}
    return {k: v for k, v in out.items() if len(v)}


def estimate_calls(rows: list[dict], p: Cargo | None = None) -> tuple[pa.Table, Sums]:
    """The per-call cargo table and the draws to sum it with."""
    p = p or Cargo()
    calls = calls_table(rows)
    share = handled_share(calls, p)
    return with_results(calls, p, share), Sums(calls, draw(calls, p, share), point(calls, p, share), p)


class Sums:
    """Sums of the calls' net cargo over any selection of calls, with Monte Carlo intervals."""

    def __init__(self, calls: pa.Table, draws, est: np.ndarray, p: Cargo) -> None:
        self.p, self.d, self.est = p, draws, est
        self.site = np.array(calls["site_id"].to_pylist(), dtype=object)
        self.t = (pc.cast(calls["start"], pa.int64()).to_numpy(zero_copy_only=False) // 1000
                  if calls.num_rows else np.zeros(0, np.int64))
        self.kind = np.array(calls["cargo"].to_pylist(), dtype=object)
        self.prob = calls["probability"].to_numpy(zero_copy_only=False) if calls.num_rows else np.zeros(0)
        self.call_id = np.array(calls["call_id"].to_pylist(), dtype=object)

    def select(self, site_id: str, t0_s: int, t1_s: int) -> np.ndarray:
        """Calls at a site starting in [t0_s, t1_s) (seconds since the epoch)."""
        return (self.site == site_id) & (self.t >= t0_s) & (self.t < t1_s)

    def quantity(self, sel: np.ndarray, quantity: str) -> tuple[dict, list[str]]:
        """The sum of one quantity (:data:`QUANTITIES`) over the calls ``sel``, and the ids of the
        calls that carry it, largest first."""
        row = next(r for r in self.rows(sel) if r["quantity"] == quantity)
        unit, way = quantity.split("_")
        sign = 1.0 if way == "loaded" else -1.0
        kind = (self.kind == "dry") if unit == "teu" else (self.kind == "petroleum") if unit == "barrels" else True
        s = sel & kind & ~np.isnan(self.est) & (sign * np.nan_to_num(self.est) > 0)
        order = np.argsort(-(self.prob[s] * sign * self.est[s]), kind="stable")
        return row, [str(x) for x in self.call_id[s][order]]

    def rows(self, sel: np.ndarray) -> list[dict]:
        """One dict per quantity for the calls ``sel``: estimate (expected), low, high."""
        a = (1 - self.p.level) / 2
        known = sel & ~np.isnan(self.est)
        out = []
        for q in QUANTITIES:
            unit, way = q.split("_")
            s = known & ((self.kind == "dry") if unit == "teu" else (self.kind == "petroleum") if unit == "barrels"
                         else True)
            sign = 1.0 if way == "loaded" else -1.0
            e = self.prob[s] * np.maximum(sign * self.est[s], 0)
            dr = np.maximum(sign * np.nan_to_num(self.d.tonnes[:, s]), 0).sum(axis=1)
            f_e, f_d = self._factor(unit)
            tot = dr * f_d
            out.append({"quantity": q, "estimate": round(float(e.sum() * f_e), 1),
                        "low": round(float(np.quantile(tot, a)), 1), "high": round(float(np.quantile(tot, 1 - a)), 1),
                        "calls": round(float(self.prob[s].sum()), 2),
                        "calls_without_estimate": int((sel & np.isnan(self.est)).sum())})
        return out

    def _factor(self, unit: str) -> tuple[float, np.ndarray | float]:
        if unit == "teu":
            return 1 / self.p.tonnes_per_teu, 1 / self.d.tonnes_per_teu
        if unit == "barrels":
            return (self.p.barrels_per_tonne_low + self.p.barrels_per_tonne_high) / 2, self.d.barrels_per_tonne
        return 1.0, 1.0

    def per_period(self, site_id: str, spans: tuple[Period, ...], t0: int, t1: int) -> list[dict]:
        out = []
        for name, a, b in spans:
            a, b = (t0 if a is None else a), (t1 if b is None else b)
            sel = (self.site == site_id) & (self.t >= a) & (self.t < b)
            out += [{"site": site_id, "period": name, **r} for r in self.rows(sel)]
        return out

    def weekly(self) -> pa.Table:
        if len(self.t) == 0:
            return CARGO_WEEKLY.empty_table()
        w0 = week_start(int(self.t.min()))
        wk = week_index(self.t * 1000, w0)
        n = int(wk.max()) + 1
        days = week_dates(w0, n)
        rows = []
        for s in sorted(set(self.site.tolist())):
            for k in np.unique(wk[self.site == s]):
                sel = (self.site == s) & (wk == k)
                rows += [{"site_id": s, "week": days[int(k)].date(), **r} for r in self.rows(sel)]
        return pa.Table.from_pylist(rows, schema=CARGO_WEEKLY)


__all__ = ["CARGO_WEEKLY", "QUANTITIES", "Sums", "call_rows", "calls_table", "draughts_from_store", "estimate_calls",
           "handled_share", "particulars_from_store"]
