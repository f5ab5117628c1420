"""Dark calls: port calls made with the transponder off, inferred from the gaps that bracket them.

A vessel that switches AIS off on its way to a port and on again on the way back leaves a gap
whose two ends lie at sea, often near its home port, with the port it visited in between. For
every candidate gap (both ends away from port sites; by default only gaps flagged
``likely_disabling``, where reception was good) and every port site S, the likelihood that the
silence was a call at S combines:

* **time**: the vessel must reach S from where it went silent, stay, and come back to where it
  reappeared: with distances ``dA`` and ``dB`` to S's edge, the silence ``T`` must lie in
  ``[(dA + dB) / v_max + stay_min, (dA + dB) / v_min + stay_max]``; inside, the likelihood is
  uniform (1 / the window's length), outside it is 0;
* **heading**: the course of the last fix before the silence points to S, and the course of the
  first fix after it points away from S (von Mises densities of the angle between course and
  bearing; no course reported: uniform);

* **destination**: the destination the vessel last reported (within ``destination_window_h``
  before the silence) names S (a word of S's name of four letters or more, or its UN/LOCODE):
  likelihood ratio ``destination_lr`` for S (destinations can be stale or false, so it is a
  ratio, not a certainty);

against the **null** that the silence was no call at all (uniform in time over the longest
silence considered, and in heading). With prior ``null_prior`` on the null and the rest shared by
the sites the time allows, Bayes' rule gives each site's probability; the expected number of dark
calls at a site is the sum of its probabilities.

How the rest is shared (``site_prior``): ``"fitted"`` (default) estimates from all the silences
together where silences go, the mixture weights of an EM: start equal, then repeatedly set each
site's weight to its share of the expected dark calls and recompute every silence's probabilities
with those weights (renormalised over the sites its time allows), until they settle; every site
starts with ``site_pseudo_calls`` (1) calls of its own (MAP with a Dirichlet prior), so that ten
silences along a coast of fifty ports do not pile onto the one each leans to slightly. One silence
on a bearing shared by several ports is ambiguous; thirty silences that all lean the same way are
not, and the weights let the evidence of the others count. ``"uniform"`` shares equally (each
silence judged alone, as if no other silence existed). The fitted weights can only sharpen what
the silences' own evidence favours: a port that few silences favour keeps a small share, which is
wrong where two ports on one bearing both take dark calls (README: limits).

The parameters are physical assumptions, set before looking at any result (small cargo ships sail
at 6-14 kn and stay 2-96 h), not fitted: see README for how they do on the scenario's seeds.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from harborwatch.core.params import Params
from harborwatch.events.rules.gaps import likely_disabling
from harborwatch.geo.distance import bearing_deg_array, haversine_m_array

KN_M_H = 1852.0  # metres per hour at one knot

#: One row per (gap, site) with a probability of at least ``min_probability``.
DARK_CALLS = pa.schema([
    pa.field("gap_event_id", pa.string(), False),
    pa.field("mmsi", pa.uint32(), False),
    pa.field("start", pa.timestamp("ms", tz="UTC"), False, metadata={"doc": "the silence began"}),
    pa.field("end", pa.timestamp("ms", tz="UTC"), False, metadata={"doc": "the silence ended"}),
    pa.field("site_id", pa.string(), False),
    pa.field("probability", pa.float64(), False, metadata={"doc": "that the silence was a call at the site"}),
    pa.field("distance_out_m", pa.float64(), metadata={"doc": "from where it went silent to the site"}),
    pa.field("distance_back_m", pa.float64(), metadata={"doc": "from the site to where it reappeared"}),
    pa.field("site_share", pa.float64(), metadata={"doc": "the site's share of the prior (site_prior: fitted from "
                                                          "all the silences, or equal), so that the row can be "
                                                          "recomputed from its gap and the shares alone"}),
])


@dataclass(frozen=True)
class DarkCalls(Params):
    """Attributes:
        min_speed_kn, max_speed_kn: speeds a vessel sails between its silence and the port. 6, 14 kn.
        min_stay_h, max_stay_h: how long it stays in port. 2, 96 h.
        heading_kappa: concentration of the course around the bearing to the port (von Mises). 2.
        null_prior: prior probability that a silence is no call at all. 0.25.
        max_gap_h: longer silences are not considered (the null's time range). 336 h.
        only_likely_disabling: consider only gaps flagged likely disabling. True.
        min_probability: site probabilities below this are not listed. 0.01.
        destination_lr: likelihood ratio of a call at the site the last reported destination
            names (a ship reporting it is assumed about ten times likelier to go there than a
            ship going elsewhere is to report it). 10.
        destination_window_h: only destinations reported this long before the silence count. 48 h.
        site_prior: how the prior of a call is shared by the sites: "fitted" (EM over all the
            silences) or "uniform". "fitted".
        site_pseudo_calls: each site starts the EM's count with this many calls (a Dirichlet
            prior; MAP instead of maximum likelihood), so that a few silences spread over many
            ports cannot pile onto one of them. 1.
        max_iterations, tolerance: of the EM (the largest change of a weight). 500, 1e-6.
    """

    section = "dark_calls"

    min_speed_kn: float = 6.0
    max_speed_kn: float = 14.0
    min_stay_h: float = 2.0
    max_stay_h: float = 96.0
    heading_kappa: float = 2.0
    null_prior: float = 0.25
    max_gap_h: float = 336.0
    only_likely_disabling: bool = True
    min_probability: float = 0.01
    destination_lr: float = 10.0
    destination_window_h: float = 48.0
    site_prior: str = "fitted"
    site_pseudo_calls: float = 1.0
    max_iterations: int = 500
    tolerance: float = 1e-6

    def validate(self) -> None:
        self.positive("min_speed_kn", "max_gap_h", "destination_lr")
        self.non_negative("destination_window_h")
        self.at_least("max_speed_kn", self.min_speed_kn, "at least min_speed_kn")
        self.non_negative("min_stay_h", "heading_kappa", "min_probability")
        self.at_least("max_stay_h", self.min_stay_h, "at least min_stay_h")
        self.fraction("null_prior")
        self.one_of("site_prior", ("fitted", "uniform"))
        self.at_least("max_iterations", 1)
        self.positive("tolerance")
        self.non_negative("site_pseudo_calls")


def _vonmises(delta_deg: np.ndarray, kappa: float) -> np.ndarray:
    """von Mises density of angles (degrees) around 0, per radian; NaN (no course): uniform."""
    d = np.radians(np.asarray(delta_deg, np.float64))
    dens = np.exp(kappa * np.cos(d)) / (2 * math.pi * np.i0(kappa))
    return np.where(np.isnan(d), 1 / (2 * math.pi), dens)


def candidate_gaps(events: pa.Table, p: DarkCalls) -> pa.Table:
    """Gaps with both ends away from port sites (and likely disabling, unless told otherwise)."""
    gaps = events.filter(pc.equal(events["type"], "gap"))
    if gaps.num_rows == 0:
        return gaps
    attrs = gaps["attributes"].to_pylist()
    keep = []
    for a_text, flagged in zip(attrs, likely_disabling(gaps).to_pylist(), strict=True):
        a = json.loads(a_text)
        at_sea = a.get("off_site_id") is None and a.get("on_site_id") is None
        keep.append(at_sea and (flagged or not p.only_likely_disabling) and a["duration_h"] <= p.max_gap_h)
    return gaps.filter(pa.array(keep, pa.bool_()))


_GENERIC = {"PORT", "HARBOUR", "HARBOR", "TERMINAL", "ANCHORAGE", "BAY", "SCENARIO", "OIL", "RAIL"}


def site_words(ports: pa.Table) -> list[set[str]]:
    """The words a destination may use for each site: the words of its name of four letters or
    more (generic ones like PORT left out), and its UN/LOCODE with and without the space."""
    out = []
    names = ports["name"].to_pylist()
    codes = ports["unlocode"].to_pylist() if "unlocode" in ports.column_names else [None] * len(names)
    for name, code in zip(names, codes, strict=True):
        words = {w for w in re.findall(r"[A-Z]{4,}", (name or "").upper()) if w not in _GENERIC}
        if code:
            words |= {code.upper(), f"{code[:2]} {code[2:]}".upper()}
        out.append(words)
    return out


def names_site(destination: str | None, words: set[str]) -> bool:
    """Whether a reported destination names a site (one of its words, whole)."""
    if not destination or not words:
        return False
    dest = destination.upper()
    tokens = set(re.findall(r"[A-Z0-9]+", dest))
    return bool(tokens & words) or any(" " in w and w in dest for w in words)


def likelihoods(gaps: pa.Table, courses: dict[int, float], ports: pa.Table, p: DarkCalls,
                destinations: dict[str, str | None]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per candidate gap and port site: the likelihood of a call there (time, heading and
    destination; 0 where the time rules the site out), and the distances out and back (m)."""
    plat = ports["lat"].to_numpy(zero_copy_only=False).astype(float)
    plon = ports["lon"].to_numpy(zero_copy_only=False).astype(float)
    prad = np.nan_to_num(ports["radius_m"].to_numpy(zero_copy_only=False).astype(float))
    words = site_words(ports)
    n, m = gaps.num_rows, ports.num_rows
    lik, out_m, back_m = np.zeros((n, m)), np.zeros((n, m)), np.zeros((n, m))
    for i, g in enumerate(gaps.to_pylist()):
        a = json.loads(g["attributes"])
        la0, lo0, la1, lo1 = g["lat"], g["lon"], a["end_lat"], a["end_lon"]
        ev = g["evidence"] or []
        cog0 = courses.get(int(ev[0]), math.nan) if len(ev) > 0 else math.nan
        cog1 = courses.get(int(ev[-1]), math.nan) if len(ev) > 1 else math.nan
        out_m[i] = np.maximum(haversine_m_array(la0, lo0, plat, plon) - prad, 0.0)
        back_m[i] = np.maximum(haversine_m_array(plat, plon, la1, lo1) - prad, 0.0)
        sail = (out_m[i] + back_m[i]) / KN_M_H
        t_min = sail / p.max_speed_kn + p.min_stay_h
        t_max = sail / p.min_speed_kn + p.max_stay_h
        feasible = (a["duration_h"] >= t_min) & (a["duration_h"] <= t_max)
        l_time = np.where(feasible, 1.0 / np.maximum(t_max - t_min, 1e-9), 0.0)
        l_head = (_vonmises(cog0 - bearing_deg_array(la0, lo0, plat, plon), p.heading_kappa)
                  * _vonmises(cog1 - bearing_deg_array(plat, plon, la1, lo1), p.heading_kappa))
        dest = destinations.get(g["event_id"])
        l_dest = np.array([p.destination_lr if names_site(dest, w) else 1.0 for w in words])
        lik[i] = l_time * l_head * l_dest
    return lik, out_m, back_m


def posterior(lik: np.ndarray, weights: np.ndarray, p: DarkCalls) -> np.ndarray:
    """Per gap and site, the probability that the silence was a call there: the prior
    ``1 - null_prior`` shared by the sites the time allows in proportion to ``weights``."""
    feasible = lik > 0
    w = np.where(feasible, weights[None, :], 0.0)
    total = w.sum(axis=1, keepdims=True)
    prior = (1 - p.null_prior) * np.divide(w, total, out=np.zeros_like(w), where=total > 0)
    num = prior * lik
    null = p.null_prior * (1.0 / p.max_gap_h) / (2 * math.pi) ** 2
    return num / (null + num.sum(axis=1, keepdims=True))


def site_weights(lik: np.ndarray, p: DarkCalls) -> np.ndarray:
    """The sites' shares of the dark calls: equal (``uniform``), or the fixed point of the EM
    (``fitted``) that sets each weight to the site's share of the expected dark calls."""
    w = np.ones(lik.shape[1]) / max(lik.shape[1], 1)
    if p.site_prior == "uniform" or lik.shape[0] == 0:
        return w
    for _ in range(p.max_iterations):
        calls = posterior(lik, w, p).sum(axis=0) + p.site_pseudo_calls
        new = calls / calls.sum()
        done = float(np.abs(new - w).max()) < p.tolerance
        w = new
        if done:
            break
    return w


def dark_calls(gaps: pa.Table, courses: dict[int, float], ports: pa.Table, p: DarkCalls | None = None,
               destinations: dict[str, str | None] | None = None) -> pa.Table:
    """Site probabilities of every candidate gap (:func:`candidate_gaps`). ``courses``: course
    over ground (degrees) of the fixes by record hash (the gap's evidence: last fix before,
    first fix after); ``ports``: port sites (site_id, name, lat, lon, radius_m, unlocode);
    ``destinations``: the destination last reported before each gap, by gap event id."""
    p = p or DarkCalls()
    if gaps.num_rows == 0 or ports.num_rows == 0:
        return DARK_CALLS.empty_table()
    lik, out_m, back_m = likelihoods(gaps, courses, ports, p, destinations or {})
    weights = site_weights(lik, p)
    prob = posterior(lik, weights, p)
    pid = ports["site_id"].to_pylist()
    rows = []
    for i, g in enumerate(gaps.select(["event_id", "mmsi", "start", "end"]).to_pylist()):
        for k in np.flatnonzero(prob[i] >= p.min_probability):
            rows.append({"gap_event_id": g["event_id"], "mmsi": g["mmsi"], "start": g["start"], "end": g["end"],
                         "site_id": pid[k], "probability": float(prob[i, k]), "distance_out_m": float(out_m[i, k]),
                         "distance_back_m": float(back_m[i, k]), "site_share": float(weights[k])})
    return pa.Table.from_pylist(rows, schema=DARK_CALLS) if rows else DARK_CALLS.empty_table()


def courses_from_store(store, gaps: pa.Table) -> dict[int, float]:
    """Course over ground of the fixes bracketing each gap (its evidence), by record hash."""
    hashes = sorted({int(h) for ev in gaps["evidence"].to_pylist() for h in (ev or [])})
    if not hashes:
        return {}
    t = pa.table({"record_hash": pa.array(hashes, pa.uint64())})  # noqa: F841  (referenced in SQL)
    got = store.con.sql("SELECT p.record_hash, p.cog_deg FROM positions p JOIN t USING (record_hash)").to_arrow_table()
    return {int(h): (math.nan if c is None else float(c))
            for h, c in zip(got["record_hash"].to_pylist(), got["cog_deg"].to_pylist(), strict=True)}


def destinations_from_store(store, gaps: pa.Table, window_h: float) -> dict[str, str | None]:
    """The destination each gap's vessel last reported within ``window_h`` before the gap."""
    if gaps.num_rows == 0:
        return {}
    g = gaps.select(["event_id", "mmsi", "start"])  # noqa: F841  (referenced in SQL)
    got = store.con.sql(
        "SELECT g.event_id, arg_max(s.destination, s.timestamp) AS destination FROM g JOIN static s "
        "ON s.mmsi = g.mmsi AND s.timestamp <= g.start AND s.timestamp >= g.start - to_microseconds("
        f"CAST({int(window_h * 3_600_000_000)} AS BIGINT)) AND s.destination IS NOT NULL GROUP BY g.event_id"
    ).to_arrow_table()
    return dict(zip(got["event_id"].to_pylist(), got["destination"].to_pylist(), strict=True))


def expected_by_site(dark: pa.Table) -> dict[str, float]:
    """Expected dark calls per site (the sum of the probabilities)."""
    out: dict[str, float] = {}
    for s, q in zip(dark["site_id"].to_pylist(), dark["probability"].to_pylist(), strict=True):
        out[s] = out.get(s, 0.0) + q
    return out


__all__ = ["DARK_CALLS", "DarkCalls", "candidate_gaps", "courses_from_store", "dark_calls", "destinations_from_store",
           "expected_by_site", "likelihoods", "names_site", "posterior",
           "site_weights", "site_words"]
