"""Ground truth of the simulated scenario: every event it contains, by type.

Where the truth is a definition it uses the event rules' own parameters (port visits from the
true track with the entry / exit hysteresis, so passing by counts; loitering = holds of at
least the rule's duration away from ports; gaps = silences in what the feeds delivered); where
it is intent it comes from the storyline (transponder-off periods, transfers, renames,
spoofing, the second hull). What the feeds cannot show is marked ambiguous.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa

from harborwatch.core.ids import content_id
from harborwatch.events.params import EventsConfig
from harborwatch.geo.distance import haversine_m_array as _hav
from harborwatch.scenario.model import Drift, Hold, Vessel
from harborwatch.scenario.story import Fleet, Sites
from harborwatch.sites.catalogue import PORT_KINDS

if TYPE_CHECKING:  # pragma: no cover
    from harborwatch.scenario.config import Scenario

#: One row per true event; ``attributes`` JSON (``ais`` on/off/partial, ``ambiguous``, ``role``...).
TRUTH = pa.schema([
    pa.field("truth_id", pa.string(), False),
    pa.field("type", pa.string(), False),
    pa.field("vessel", pa.string(), False),
    pa.field("mmsi", pa.uint32()),
    pa.field("mmsi_2", pa.uint32()),
    pa.field("start", pa.timestamp("ms", tz="UTC"), False),
    pa.field("end", pa.timestamp("ms", tz="UTC"), False),
    pa.field("lat", pa.float64()),
    pa.field("lon", pa.float64()),
    pa.field("site_id", pa.string()),
    pa.field("attributes", pa.string()),
])


class _Truth:
    """Truth rows of one scenario, added in a fixed order (vessels, then encounters, then gaps)."""

    def __init__(self, fleet: Fleet, sites: Sites, cfg: Scenario) -> None:
        self.fleet, self.sites, self.cfg = fleet, sites, cfg
        self.ev = EventsConfig()
        self.rows: list[dict] = []
        self.port_ids = list(sites.pos)
        self.plat = np.array([sites.pos[s][0] for s in self.port_ids])
        self.plon = np.array([sites.pos[s][1] for s in self.port_ids])
        self.prad = np.array([sites.radius[s] for s in self.port_ids])
        self.is_port = np.array([sites.kind.get(s, "port") in PORT_KINDS for s in self.port_ids])

    def port_distance(self, la: float, lo: float) -> float:
        d = _hav(la, lo, self.plat, self.plon) - self.prad
        return float(np.maximum(d, 0)[self.is_port].min())

    def add(self, type_, v: Vessel, t0: int, t1: int, la=None, lo=None, site=None, mmsi=None, mmsi_2=None,
            **attrs) -> None:
        m = mmsi if mmsi is not None else v.identities[int(v.identity_at(np.array([t0]))[0])].mmsi
        self.rows.append({"type": type_, "vessel": v.key, "mmsi": m, "mmsi_2": mmsi_2, "start": t0 * 1000,
                          "end": t1 * 1000, "lat": la, "lon": lo, "site_id": site, "attributes": attrs})

    @staticmethod
    def ais(v: Vessel, a: int, b: int) -> str:
        """on: transmitting the whole time (true position); off: not at all; partial: in between."""
        tt = np.arange(a, b + 1, 600)
        on = v.transmitting(tt)
        for s0, s1, _, _ in v.spoof:
            on &= ~((tt >= s0) & (tt < s1))
        return "on" if on.all() else "off" if not on.any() else "partial"

    def visits_and_voyages(self, v: Vessel) -> None:
        """Port visits from the true track (every 2 min): entry within entry_distance of a port
        site's edge, exit beyond exit_distance; passing by counts, as in the rule. Voyages
        between consecutive visits seen on AIS under one MMSI."""
        cfg, sites, pv = self.cfg, self.sites, self.ev.port_visits
        ports = [s for s, k in zip(self.port_ids, self.is_port, strict=True) if k]
        visits = _true_visits(v, sites, ports, cfg, pv.entry_distance_m, pv.exit_distance_m)
        visits = [x for x in visits if x[1] < cfg.t_end and x[2] > cfg.t_start]
        seen = []
        for site, a, b in visits:
            state = self.ais(v, a, b)
            la, lo = sites.pos[site]
            extra = {"role": v.role}
            if v.role == "twin":
                state = "partial" if state != "off" else state  # shares an MMSI: which track is which is moot
            self.add("port_visit", v, a, b, la, lo, site, ais=state, **extra)
            if state == "off" and v.role != "twin":
                self.add("dark_call", v, a, b, la, lo, site, role=v.role)
            if state == "on":
                seen.append((site, a, b))
        for (s1, _, b1), (s2, a2, _) in zip(seen, seen[1:], strict=False):
            m1 = v.identities[int(v.identity_at(np.array([b1]))[0])].mmsi
            m2 = v.identities[int(v.identity_at(np.array([a2]))[0])].mmsi
            dark_between = self.ais(v, b1, a2) != "on"
            self.add("voyage", v, b1, a2, *sites.pos[s1], s2, from_site_id=s1, to_site_id=s2,
                     ambiguous=bool(m1 != m2 or dark_between), role=v.role)

    def behaviour(self, v: Vessel) -> None:
        """Loitering (stationary or drifting >= 4 h away from ports), identity changes, dark
        periods, spoofing and the twin's shared MMSI."""
        cfg, ev = self.cfg, self.ev
        lo_p = ev.loitering
        for s in v.segments:
            a, b = max(s.t0, cfg.t_start), min(s.t1, cfg.t_end)
            if isinstance(s, Hold | Drift) and b - a >= lo_p.min_duration_h * 3600:
                if self.port_distance(s.lat, s.lon) >= lo_p.min_port_distance_m:
                    self.add("loitering", v, a, b, s.lat, s.lon, None, ais=self.ais(v, a, b), role=v.role)
        for old, new in zip(v.identities, v.identities[1:], strict=False):
            self.add("identity_change", v, new.t, new.t, mmsi=old.mmsi, mmsi_2=new.mmsi,
                     old_name=old.name, new_name=new.name, old_mmsi=old.mmsi, new_mmsi=new.mmsi)
        if v.role != "twin":  # the twin hull is silent except when it uses another vessel's MMSI
            for a, b in v.dark:
                if b - a >= ev.gaps.min_duration_h * 3600:
                    self.add("dark", v, a, min(b, cfg.t_end), None, None, None, role=v.role)
        for a, b, sla, slo in v.spoof:
            self.add("spoofing", v, a, b, sla, slo, None, shown_lat=sla, shown_lon=slo)
        if v.role == "twin":
            for a, b in _on_intervals(v, cfg):
                self.add("shared_mmsi", v, a, b, None, None, None)

    def encounters(self) -> None:
        """The ship-to-ship holds of the sts pair."""
        t_end = self.cfg.t_end
        sts = [v for v in self.fleet.vessels if v.role == "sts"]
        if len(sts) != 2:
            return
        a_holds = [s for s in sts[0].segments if isinstance(s, Hold) and s.status == 0]
        b_holds = [s for s in sts[1].segments if isinstance(s, Hold) and s.status == 0]
        for ha, hb in zip(a_holds, b_holds, strict=False):
            a, b = max(ha.t0, hb.t0), min(ha.t1, hb.t1)
            if b - a >= self.ev.encounters.min_duration_h * 3600 and a < t_end:
                m0 = sts[0].identities[0].mmsi
                m1 = sts[1].identities[0].mmsi
                self.add("encounter", sts[0], a, min(b, t_end), ha.lat, ha.lon, None, mmsi=min(m0, m1),
                         mmsi_2=max(m0, m1))

    def gaps(self, msgs: pa.Table) -> None:
        """Silences >= min_duration_h in what the feeds delivered, per vessel and MMSI."""
        g = self.ev.gaps
        fleet = self.fleet
        v_of = {v.key: v for v in fleet.vessels}
        vk = np.array(msgs["vessel"].to_pylist())
        tt = msgs["t"].to_numpy()
        mmc = msgs["mmsi"].to_numpy()
        order = np.lexsort((tt, mmc, vk))
        vk, tt, mmc = vk[order], tt[order], mmc[order]
        lat, lon = msgs["lat"].to_numpy()[order], msgs["lon"].to_numpy()[order]
        same = (vk[1:] == vk[:-1]) & (mmc[1:] == mmc[:-1])
        dt = np.diff(tt)
        for i in np.flatnonzero(same & (dt >= g.min_duration_h * 3600)):
            v = v_of[vk[i]]
            dark = any(a < tt[i + 1] and b > tt[i] for a, b in v.dark)
            self.add("gap", v, int(tt[i]), int(tt[i + 1]), float(lat[i]), float(lon[i]), None, mmsi=int(mmc[i]),
                     intentional=bool(dark), ambiguous=v.role in ("twin", "spoofer") or bool(
                         v.role == "coastal" and any(x.role == "twin" and x.identities[0].mmsi == int(mmc[i])
                                                     for x in fleet.vessels)), role=v.role)


def ground_truth(fleet: Fleet, sites: Sites, msgs: pa.Table, cfg: Scenario) -> pa.Table:
    """Every event the scenario contains, by type, with the definitions of the events rules."""
    truth = _Truth(fleet, sites, cfg)
    for v in fleet.vessels:
        truth.visits_and_voyages(v)
        truth.behaviour(v)
    truth.encounters()
    truth.gaps(msgs)
    rows = [r for r in truth.rows if r["start"] < cfg.t_end * 1000 and r["end"] > cfg.t_start * 1000]
    return _truth_table(rows)


def _true_visits(v: Vessel, sites: Sites, ports: list[str], cfg: Scenario, entry_m: float,
                 exit_m: float) -> list[tuple[str, int, int]]:
    t = np.arange(max(cfg.t_start, v.segments[0].t0), cfg.t_end, 120, dtype=np.int64)
    if len(t) == 0:  # enters service after the simulated period
        return []
    lat, lon, *_ = v.state(t)
    out = []
    for site in ports:
        sla, slo = sites.pos[site]
        d = _hav(lat, lon, sla, slo) - sites.radius[site]
        state = np.where(d <= entry_m, 1.0, np.where(d > exit_m, 0.0, np.nan))
        state[0] = 1.0 if d[0] <= exit_m else 0.0  # a vessel starting in port is in its visit
        idx = np.where(~np.isnan(state), np.arange(len(state)), 0)
        np.maximum.accumulate(idx, out=idx)
        inside = state[idx] == 1.0
        edges = np.diff(np.concatenate([[False], inside, [False]]).astype(np.int8))
        for a, b in zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1) - 1, strict=True):
            out.append((site, int(t[a]), int(t[b])))
    return sorted(out, key=lambda x: x[1])


def _on_intervals(v: Vessel, cfg: Scenario) -> list[tuple[int, int]]:
    t = np.arange(cfg.t_start, cfg.t_end, 600)
    on = v.transmitting(t)
    out, i = [], 0
    while i < len(t):
        if not on[i]:
            i += 1
            continue
        j = i
        while j + 1 < len(t) and on[j + 1]:
            j += 1
        out.append((int(t[i]), int(t[j])))
        i = j + 1
    return out


def _truth_table(rows: list[dict]) -> pa.Table:
    for r in rows:
        r["attributes"] = json.dumps(r["attributes"], sort_keys=True)
        r["truth_id"] = content_id(r["type"], r["vessel"], r["mmsi"], r["mmsi_2"], r["start"], r["end"], digits=16)
    t = pa.Table.from_pylist(rows, schema=TRUTH)
    return t.sort_by([("start", "ascending"), ("type", "ascending"), ("vessel", "ascending")])


__all__ = ["TRUTH", "ground_truth"]
