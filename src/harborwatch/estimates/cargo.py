"""Cargo per call from draught changes, after the method of IMF PortWatch.

PortWatch (Arslanalp, Koepke and Verschuur, *Tracking Trade from Space*, IMF WP/21/4) turns a
port call into tonnes handled from the draughts a vessel reports on arrival and on departure:
the payload on board is the deadweight times the payload share the draught implies, and the
cargo handled is the change of payload over the call. With the displacement law
``displacement = rho * Cb * L * B * T`` (sea water ``rho``, block coefficient ``Cb``, length ``L``,
beam ``B``, draught ``T``) the payload share is ``(displacement(T) - lightship - consumables) /
deadweight``, so the change over a call is

    tonnes = rho * Cb * L * B * (T_departure - T_arrival)

clipped to +- the deadweight (the upper end of its prior where none is reported): positive
means loaded, negative unloaded. Only the *net* change shows: a call that unloads and loads as
much shows nothing, and ballast water taken in or pumped out reads as cargo
(PortWatch's own caveats; the simulated scenario has no ballast).

Conversions: containers at ``tonnes_per_teu`` (log-normal, median 12 t, 90 % range about
9-16 t gross per TEU), petroleum at ``barrels_per_tonne`` (uniform 7.0-8.5, the range from fuel oil
to gasoline). Cargo ships (AIS type 70-79) get TEU, tankers (80-89) barrels; both get tonnes.

Calls:

* **seen on AIS**: ``port_visit`` events, with the arrival and departure draughts the events
  rule records; the vessel's length and beam from its static reports;
* **dark** (gap-bracketed, :mod:`~harborwatch.estimates.dark_calls`): the identity is known, so
  the vessel's own dimensions, and the draught it last reported before the silence and first
  after it; the call counts with its probability;
* **radar-only** (:mod:`~harborwatch.estimates.presences`): no draught; the deadweight from a
  length prior (``deadweight_per_l3`` * L^3, log-normal) times the mean share of deadweight
  handled by the calls seen on AIS at the site (in the draws: the share of one of those calls,
  drawn at random per draw and site, so that moving nothing is as likely as it was on AIS); each detection
  stands for ``revisit / mean stay`` calls (drawn as a Poisson count).

Intervals are Monte Carlo (``n_sim`` draws, fixed ``seed``): the block coefficient per vessel
(normal around its type's value), each draught within its 0.1 m AIS resolution, one tonnes per
TEU and one barrels per tonne per draw, and each dark call made or not with its probability.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pyarrow as pa

from harborwatch.core.params import Params

RHO_T_M3 = 1.025

#: One row per call (seen on AIS, dark or radar-only) with its net cargo.
CALL_CARGO = pa.schema([
    pa.field("call_id", pa.string(), False, metadata={"doc": "event_id, gap event id or detection id"}),
    pa.field("source", pa.string(), False, metadata={"doc": "ais | dark | radar"}),
    pa.field("site_id", pa.string(), False),
    pa.field("mmsi", pa.uint32()),
    pa.field("start", pa.timestamp("ms", tz="UTC"), False),
    pa.field("end", pa.timestamp("ms", tz="UTC")),
    pa.field("probability", pa.float64(), False, metadata={
        "doc": "expected calls the row stands for: 1 on AIS, a dark call's probability, revisit / mean stay for a "
               "radar-only detection"}),
    pa.field("cargo", pa.string(), False, metadata={"doc": "dry (cargo ships) | petroleum (tankers) | other"}),
    pa.field("length_m", pa.float64()),
    pa.field("beam_m", pa.float64()),
    pa.field("deadweight_t", pa.float64(), metadata={"doc": "reported, or the length prior's median"}),
    pa.field("deadweight_reported", pa.bool_(), metadata={"doc": "false: deadweight_t is the length prior"}),
    pa.field("arrival_draught_m", pa.float64()),
    pa.field("departure_draught_m", pa.float64()),
    pa.field("tonnes", pa.float64(), metadata={"doc": "net tonnes, + loaded / - unloaded (if the call was made)"}),
    pa.field("tonnes_low", pa.float64()),
    pa.field("tonnes_high", pa.float64()),
    pa.field("teu", pa.float64(), metadata={"doc": "net TEU (dry cargo), + loaded / - unloaded"}),
    pa.field("barrels", pa.float64(), metadata={"doc": "net barrels (petroleum), + loaded / - unloaded"}),
    pa.field("method", pa.string(), False),
])


@dataclass(frozen=True)
class Cargo(Params):
    """Attributes:
        level: coverage of the intervals. 0.9.
        cb_dry, cb_tanker, cb_other: block coefficients of cargo ships, tankers, others. 0.72, 0.80, 0.70.
        cb_sd: standard deviation of a vessel's block coefficient around its type's. 0.04.
        draught_resolution_m: a reported draught is the true one rounded to this. 0.1 m.
        tonnes_per_teu: median gross tonnes per TEU. 12.
        tonnes_per_teu_sd: its log-normal spread (log units). 0.175.
        barrels_per_tonne_low, barrels_per_tonne_high: uniform range. 7.0, 8.5.
        deadweight_per_l3: deadweight prior of a hull of length L: this * L^3 tonnes. 0.0057.
        deadweight_sd: its log-normal spread (log units). 0.3.
        n_sim: Monte Carlo draws. 2000.
        seed: of the draws. 0.
    """

    section = "cargo"

    level: float = 0.9
    cb_dry: float = 0.72
    cb_tanker: float = 0.80
    cb_other: float = 0.70
    cb_sd: float = 0.04
    draught_resolution_m: float = 0.1
    tonnes_per_teu: float = 12.0
    tonnes_per_teu_sd: float = 0.175
    barrels_per_tonne_low: float = 7.0
    barrels_per_tonne_high: float = 8.5
    deadweight_per_l3: float = 0.0057
    deadweight_sd: float = 0.3
    n_sim: int = 2000
    seed: int = 0

    def validate(self) -> None:
        self.coverage("level")
        self.positive("cb_dry", "cb_tanker", "cb_other", "tonnes_per_teu", "barrels_per_tonne_low",
                      "deadweight_per_l3")
        self.non_negative("cb_sd", "draught_resolution_m", "tonnes_per_teu_sd", "deadweight_sd", "seed")
        self.at_least("barrels_per_tonne_high", self.barrels_per_tonne_low, "at least barrels_per_tonne_low")
        self.at_least("n_sim", 100)

    def cb(self, cargo: str) -> float:
        return {"dry": self.cb_dry, "petroleum": self.cb_tanker}.get(cargo, self.cb_other)


def cargo_kind(ship_type: int | None, text: str | None = None) -> str:
    """dry for AIS ship types 70-79, petroleum for 80-89, other otherwise; without a code, from
    the exporter's text ("Cargo", "Tanker"...)."""
    if ship_type is not None:
        return {7: "dry", 8: "petroleum"}.get(int(ship_type) // 10, "other")
    t = (text or "").upper()
    return "petroleum" if "TANKER" in t else "dry" if "CARGO" in t or "CONTAINER" in t else "other"


class Draws(NamedTuple):
    """Monte Carlo draws of the net tonnes of each call (n_sim x calls; 0 where a dark call was
    not made, NaN where there is no estimate) and the conversion factors (n_sim)."""

    tonnes: np.ndarray
    tonnes_per_teu: np.ndarray
    barrels_per_tonne: np.ndarray


def _cap(calls: pa.Table, dwt: np.ndarray, p: Cargo) -> np.ndarray:
    """The bound of a call's net cargo: the deadweight when reported, else the prior's upper end."""
    rep = np.asarray(calls["deadweight_reported"].fill_null(False).to_numpy(zero_copy_only=False), bool)
    return np.where(rep, dwt, dwt * np.exp(1.645 * p.deadweight_sd))


def draw(calls: pa.Table, p: Cargo, share: dict[str, np.ndarray] | None = None, made_only: bool = False) -> Draws:
    """Draws of the net tonnes of every call of ``calls`` (:data:`CALL_CARGO` without the results).
    ``share``: the shares of deadweight handled by the AIS calls at each site (radar-only calls);
    ``made_only``: draw each row's cargo given that its call was made (no count drawn)."""
    rng = np.random.default_rng(p.seed)
    n, m = p.n_sim, calls.num_rows
    col = {k: calls[k].to_numpy(zero_copy_only=False) for k in ("length_m", "beam_m", "deadweight_t",
                                                                "arrival_draught_m", "departure_draught_m")}
    col = {k: np.asarray(v, np.float64) for k, v in col.items()}
    kinds = calls["cargo"].to_pylist()
    mmsi = calls["mmsi"].to_pylist()
    keys = [f"m{x}" if x is not None else f"c{i}" for i, x in enumerate(mmsi)]  # one hull per MMSI
    uniq, hull = np.unique(np.array(keys, dtype=object), return_inverse=True)
    cb_mean = np.array([p.cb(k) for k in kinds])
    z = rng.standard_normal((n, len(uniq)))[:, hull]
    cb = np.clip(cb_mean + p.cb_sd * z, 0.4, 0.95)
    half = p.draught_resolution_m / 2
    dt = (col["departure_draught_m"] + rng.uniform(-half, half, (n, m))
          - col["arrival_draught_m"] - rng.uniform(-half, half, (n, m)))
    tonnes = RHO_T_M3 * cb * col["length_m"] * col["beam_m"] * dt
    cap = _cap(calls, col["deadweight_t"], p)
    tonnes = np.clip(tonnes, -cap, cap)
    radar = np.array([s == "radar" for s in calls["source"].to_pylist()])
    if radar.any():
        sh = _drawn_shares(calls["site_id"].to_pylist(), radar, share or {}, rng, n)
        dwt = p.deadweight_per_l3 * col["length_m"] ** 3 * np.exp(p.deadweight_sd * rng.standard_normal((n, m)))
        tonnes = np.where(radar, sh * dwt, tonnes)
    if not made_only:
        prob = calls["probability"].to_numpy(zero_copy_only=False)
        made = np.where(radar, rng.poisson(prob, (n, m)), rng.random((n, m)) < prob)  # radar: expected calls
        tonnes = tonnes * made
    tpt = p.tonnes_per_teu * np.exp(p.tonnes_per_teu_sd * rng.standard_normal(n))
    bpt = rng.uniform(p.barrels_per_tonne_low, p.barrels_per_tonne_high, n)
    return Draws(tonnes, tpt, bpt)


def _drawn_shares(sites: list[str], radar: np.ndarray, share: dict[str, np.ndarray], rng: np.random.Generator,
                  n: int) -> np.ndarray:
    """(draws, calls): for the radar-only calls, the share of an AIS call at their site drawn at
    random, one per draw and site (NaN where the site has none; 0 for the other calls, which do not
    use it). One per site, not per call: the radar-only calls at a site are often the same few
    hulls again, whose loads go together (a hull that comes and goes empty does so every time)."""
    out = np.zeros((n, len(sites)))
    names = np.array(sites, dtype=object)
    for site in sorted({sites[k] for k in np.flatnonzero(radar)}):
        cols = np.flatnonzero(radar & (names == site))
        pool = share.get(site)
        out[:, cols] = (rng.choice(pool, n) if pool is not None and len(pool) else np.full(n, np.nan))[:, None]
    return out


def point(calls: pa.Table, p: Cargo, share: dict[str, np.ndarray] | None = None) -> np.ndarray:
    """Net tonnes of each call at the central values, if the call was made (NaN: no estimate)."""
    g = {k: np.asarray(calls[k].to_numpy(zero_copy_only=False), np.float64)
         for k in ("length_m", "beam_m", "deadweight_t", "arrival_draught_m", "departure_draught_m")}
    cb = np.array([p.cb(k) for k in calls["cargo"].to_pylist()])
    t = RHO_T_M3 * cb * g["length_m"] * g["beam_m"] * (g["departure_draught_m"] - g["arrival_draught_m"])
    cap = _cap(calls, g["deadweight_t"], p)
    t = np.clip(t, -cap, cap)
    radar = np.array([s == "radar" for s in calls["source"].to_pylist()])
    if radar.any():
        pools = share or {}
        sh = np.array([float(np.mean(pools[s])) if s in pools else np.nan for s in calls["site_id"].to_pylist()])
        dwt = p.deadweight_per_l3 * g["length_m"] ** 3
        t = np.where(radar, sh * dwt, t)
    return t


def with_results(calls: pa.Table, p: Cargo, share: dict[str, np.ndarray] | None = None) -> pa.Table:
    """``calls`` with net tonnes, their interval (given the call was made), TEU and barrels."""
    if calls.num_rows == 0:
        return CALL_CARGO.empty_table()
    est = point(calls, p, share)
    d = draw(calls, p, share, made_only=True)
    a = (1 - p.level) / 2
    low = np.quantile(d.tonnes, a, axis=0) if d.tonnes.size else est
    high = np.quantile(d.tonnes, 1 - a, axis=0) if d.tonnes.size else est
    kinds = np.array(calls["cargo"].to_pylist())
    teu = np.where(kinds == "dry", est / p.tonnes_per_teu, np.nan)
    bbl = np.where(kinds == "petroleum", est * (p.barrels_per_tonne_low + p.barrels_per_tonne_high) / 2, np.nan)
    out = {f.name: calls[f.name] for f in CALL_CARGO if f.name in calls.column_names}
    out.update(tonnes=_f(est), tonnes_low=_f(low), tonnes_high=_f(high), teu=_f(teu), barrels=_f(bbl))
    return pa.table({f.name: out[f.name] for f in CALL_CARGO}, schema=CALL_CARGO)


def _f(x: np.ndarray) -> pa.Array:
    return pa.array(np.round(x, 1), pa.float64(), mask=np.isnan(x))


__all__ = ["CALL_CARGO", "RHO_T_M3", "Cargo", "Draws", "cargo_kind", "draw", "point", "with_results"]
