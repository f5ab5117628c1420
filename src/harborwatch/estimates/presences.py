"""Radar-only presences: vessels a radar scene saw at a site with no AIS, that no dark call
explains, turned into calls per week by a revisit and dwell-time model.

A scene every 6-12 days samples who is *present*, not who *called*. By Little's law the mean
number of vessels present equals the arrival rate times the mean stay, so

    calls per week = mean over scenes of the unexplained vessels present / mean stay (weeks)

The mean stay is that of the calls seen on AIS at the site (``port_visit`` durations). A dark
detection (``dark_vessel`` event) at the site is *explained* when a dark call (a gap-bracketed
silence, :mod:`~harborwatch.estimates.dark_calls`) could have put its vessel in port at the scene
time: the scene falls between the silence's start plus the sailing time to the site and its end
less the sailing time back (at ``speed_kn``); each such dark call explains its probability's
worth of a detection. What is left (never below 0) is radar-only.

The scenes come from the store's ``scenes`` table (written by fusion), so that scenes in which
no dark vessel was seen count too. Intervals: the unexplained presences of a period's scenes are
a Poisson count (their mean per scene drawn from its Jeffreys posterior, Gamma(sum + 1/2) / scenes,
so that five scenes with nobody unexplained still leave room for a hull that happened to be away
at each pass; a bootstrap over so few scenes gives an interval of width zero), and the mean stay
is bootstrapped over the AIS stays.
Each unexplained detection stands for ``revisit / mean stay`` calls, where ``revisit`` is the time
its scene represents (half-way to the scenes before and after); cargo uses that weight.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from harborwatch.analysis.periods import Period
from harborwatch.core.params import Params

KN_M_H = 1852.0
H_PER_WEEK = 168.0

#: One row per (scene, site) whose footprint covers the site.
PRESENCES = pa.schema([
    pa.field("scene_id", pa.string(), False),
    pa.field("time", pa.timestamp("ms", tz="UTC"), False),
    pa.field("site_id", pa.string(), False),
    pa.field("dark_detections", pa.int64(), False),
    pa.field("explained", pa.float64(), False, metadata={"doc": "expected dark calls in port at the scene time"}),
    pa.field("unexplained", pa.float64(), False, metadata={"doc": "radar-only presences"}),
    pa.field("revisit_h", pa.float64(), False, metadata={"doc": "time the scene stands for"}),
])


@dataclass(frozen=True)
class Presences(Params):
    """Attributes:
        speed_kn: speed between a silence's ends and the site (explaining detections). 10 kn.
        min_scenes: fewer scenes of a site in a period give no estimate. 3.
        min_visits: fewer AIS stays at a site give no mean stay (no estimate). 3.
        level: coverage of the intervals. 0.9.
        n_boot: draws for the intervals. 2000.
        seed: of the draws. 0.
    """

    section = "presences"

    speed_kn: float = 10.0
    min_scenes: int = 3
    min_visits: int = 3
    level: float = 0.9
    n_boot: int = 2000
    seed: int = 0

    def validate(self) -> None:
        self.positive("speed_kn")
        self.at_least("min_scenes", 1)
        self.at_least("min_visits", 1)
        self.coverage("level")
        self.at_least("n_boot", 100)


def scenes_from_store(store) -> pa.Table:
    """The store's scenes (none in a store without radar)."""
    if "scenes" not in store.tables():
        return pa.table({"scene_id": pa.array([], pa.string()), "time": pa.array([], pa.timestamp("ms", "UTC")),
                         "footprint": pa.array([], pa.string())})
    return store.sql("SELECT scene_id, time, footprint FROM scenes ORDER BY time, scene_id")


def epoch_ms(col) -> np.ndarray:
    """Milliseconds since the epoch of a timestamp column of any unit."""
    return pc.cast(pc.cast(col, pa.timestamp("ms", tz="UTC")), pa.int64()).to_numpy(zero_copy_only=False)


def presences(events: pa.Table, scenes: pa.Table, dark: pa.Table, sites: pa.Table,
              p: Presences | None = None) -> pa.Table:
    """:data:`PRESENCES`: per scene and covered site, the dark detections, how many dark calls
    explain, and the rest. ``sites``: site_id, lat, lon."""
    import shapely

    p = p or Presences()
    if scenes.num_rows == 0:
        return PRESENCES.empty_table()
    det = events.filter(pc.equal(events["type"], "dark_vessel"))
    det_scene = [json.loads(a).get("scene") for a in det["attributes"].to_pylist()]
    det_site = det["site_id"].to_pylist()
    st = epoch_ms(scenes["time"])
    order = np.argsort(st, kind="stable")
    rows = []
    for site, la, lo in zip(sites["site_id"].to_pylist(), sites["lat"].to_pylist(), sites["lon"].to_pylist(),
                            strict=True):
        pt = shapely.Point(lo, la)
        cover = [int(j) for j in order
                 if shapely.geometry.shape(json.loads(scenes["footprint"][int(j)].as_py())).contains(pt)]
        if not cover:
            continue
        t = st[cover]
        mid = (t[1:] + t[:-1]) / 2
        revisit_h = (np.append(mid, t[-1]) - np.insert(mid, 0, t[0])) / 3.6e6
        d = dark.filter(pc.equal(dark["site_id"], site)) if dark.num_rows else dark
        for k, j in enumerate(cover):
            sid = scenes["scene_id"][j].as_py()
            n = sum(1 for s, x in zip(det_scene, det_site, strict=True) if s == sid and x == site)
            e = _explained(d, int(t[k]), p)
            rows.append({"scene_id": sid, "time": int(t[k]), "site_id": site, "dark_detections": n, "explained": e,
                         "unexplained": max(0.0, n - e), "revisit_h": float(revisit_h[k])})
    return pa.Table.from_pylist(rows, schema=PRESENCES) if rows else PRESENCES.empty_table()


def _explained(dark: pa.Table, t_ms: int, p: Presences) -> float:
    """Expected dark calls whose vessel could be in port at ``t_ms``."""
    if dark.num_rows == 0:
        return 0.0
    v = p.speed_kn * KN_M_H / 3.6e6  # metres per ms
    a = epoch_ms(dark["start"]) + np.nan_to_num(dark["distance_out_m"].to_numpy(zero_copy_only=False)) / v
    b = epoch_ms(dark["end"]) - np.nan_to_num(dark["distance_back_m"].to_numpy(zero_copy_only=False)) / v
    q = dark["probability"].to_numpy(zero_copy_only=False)
    return float(q[(a <= t_ms) & (t_ms <= b)].sum())


def mean_stays_h(events: pa.Table) -> dict[str, np.ndarray]:
    """The AIS stays (hours) of each site's port visits."""
    v = events.filter(pc.and_(pc.equal(events["type"], "port_visit"), pc.is_valid(events["site_id"])))
    h = (epoch_ms(v["end"]) - epoch_ms(v["start"])) / 3.6e6
    s = np.array(v["site_id"].to_pylist())
    return {x: h[s == x] for x in np.unique(s)}


def rate(pres: pa.Table, stays: np.ndarray, p: Presences, rng: np.random.Generator) -> dict | None:
    """Radar-only calls per week from these scene rows and AIS stays, with an interval (the
    presences' Jeffreys posterior, the stays bootstrapped)."""
    u = pres["unexplained"].to_numpy(zero_copy_only=False)
    if len(u) < p.min_scenes or len(stays) < p.min_visits:
        return None
    w = stays.mean() / H_PER_WEEK
    bu = rng.gamma(u.sum() + 0.5, 1.0, p.n_boot) / len(u)
    bw = rng.choice(stays, size=(p.n_boot, len(stays))).mean(axis=1) / H_PER_WEEK
    a = (1 - p.level) / 2
    draws = bu / bw
    return {"per_week": float(u.mean() / w), "low": float(np.quantile(draws, a)),
            "high": float(np.quantile(draws, 1 - a)), "draws": draws, "scenes": int(len(u)),
            "mean_stay_h": round(float(stays.mean()), 1), "unexplained": round(float(u.sum()), 2)}


def per_period(pres: pa.Table, stays: dict[str, np.ndarray], site: str, spans: tuple[Period, ...], t0: int, t1: int,
               p: Presences | None = None) -> dict[str, dict | None]:
    """Radar-only calls per week at a site in each period (None: too few scenes or stays)."""
    p = p or Presences()
    rng = np.random.default_rng(p.seed)
    sel = pres.filter(pc.equal(pres["site_id"], site)) if pres.num_rows else pres
    t = epoch_ms(sel["time"]) // 1000 if sel.num_rows else np.zeros(0, np.int64)
    out: dict[str, dict | None] = {}
    for name, a, b in spans:
        m = (t >= (t0 if a is None else a)) & (t < (t1 if b is None else b))
        out[name] = rate(sel.filter(pa.array(m)), stays.get(site, np.zeros(0)), p, rng) if sel.num_rows else None
    return out


def weekly(pres: pa.Table, stays: dict[str, np.ndarray], site: str, weeks_s: np.ndarray,
           p: Presences | None = None) -> np.ndarray:
    """Radar-only calls in each week (starting at ``weeks_s``): each scene's unexplained presences
    stand for ``unexplained * revisit / mean stay`` calls spread evenly over the time the scene
    stands for (half-way to the scenes before and after), so that nothing leaks across more than
    one revisit (a wider window would move a step in the series earlier than it happened)."""
    p = p or Presences()
    sel = pres.filter(pc.equal(pres["site_id"], site)) if pres.num_rows else pres
    out = np.zeros(len(weeks_s))
    st = stays.get(site, np.zeros(0))
    if sel.num_rows == 0 or len(st) < p.min_visits:
        return out
    t = epoch_ms(sel["time"]).astype(np.float64) / 1000
    u = sel["unexplained"].to_numpy(zero_copy_only=False)
    mid = (t[1:] + t[:-1]) / 2
    lo, hi = np.insert(mid, 0, t[0]), np.append(mid, t[-1])
    calls = u * (hi - lo) / 3600 / st.mean()
    w0 = np.asarray(weeks_s, np.float64)
    w1 = w0 + 7 * 86_400
    for c, a, b in zip(calls, lo, hi, strict=True):
        if c <= 0 or b <= a:
            continue
        out += c * np.clip(np.minimum(w1, b) - np.maximum(w0, a), 0, None) / (b - a)
    return out


def detection_weights(pres: pa.Table, stays: dict[str, np.ndarray], p: Presences | None = None) -> dict:
    """Per (scene, site): the calls each unexplained detection stands for (revisit / mean stay)."""
    p = p or Presences()
    out = {}
    for r in pres.to_pylist():
        st = stays.get(r["site_id"], np.zeros(0))
        if r["unexplained"] > 0 and len(st) >= p.min_visits:
            share = r["unexplained"] / r["dark_detections"]  # of each detection, what no dark call explains
            out[(r["scene_id"], r["site_id"])] = share * r["revisit_h"] / st.mean()
    return out


__all__ = ["H_PER_WEEK", "PRESENCES", "Presences", "detection_weights", "epoch_ms", "mean_stays_h", "per_period",
           "presences", "rate", "scenes_from_store", "weekly"]
