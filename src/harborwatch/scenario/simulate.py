"""Run the scenario: transmissions, reception, NMEA files and ground truth.

Transmission follows ITU-R M.1371 reporting intervals: class A every 10 s under way (3 1/3 s
when changing course; 6 s above 14 kn, 2 s when also changing course; 2 s above 23 kn), every
3 min moored or at anchor below 3 kn; class B every 30 s.
Static reports (type 5, or 24 for class B) go out every ``static_interval_h`` here (the
standard's 6 min would only add identical lines).

Reception: terrestrial stations on the Russian coast hear each message with probability
``(1 - message_loss) * (1 - (d / range_m)^2)`` at distance d; satellites pass at irregular
intervals (``satellite_gap_h``) for ``satellite_pass_min`` minutes and hear each message with
``satellite_p``. Like commercial feeds, each feed (terrestrial, satellite) keeps the first
message it received per vessel in every ``feed_interval_s`` window, so instead of simulating
every 10 s transmission the time of the first success is drawn from the geometric law. Then a
``duplicate_rate`` of lines is repeated and a ``corrupt_rate`` of lines gets a damaged payload
(its checksum fails at ingest).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv
import pyarrow.parquet as pq

from harborwatch.geo.distance import haversine_m_array as _hav
from harborwatch.scenario import nmea
from harborwatch.scenario.config import Scenario, default_sites, scenario_sites
from harborwatch.scenario.model import Sail, Vessel
from harborwatch.scenario.routes import SeaGrid
from harborwatch.scenario.story import Fleet, Sites, analyst_counts, build, facility_geojson, rail_cars
from harborwatch.scenario.truth import TRUTH, ground_truth

#: Terrestrial AIS stations (lat, lon): synthetic, placed at real coastal towns.
STATIONS = {
    "RU-VLADIVOSTOK": (43.12, 131.90),
    "RU-NAKHODKA": (42.80, 132.89),
    "RU-POSYET": (42.65, 130.80),
    "RU-KHASAN": (42.43, 130.70),
}
#: Areas that the simulated Sentinel-1 acquisitions cover (lat_min, lat_max, lon_min, lon_max).
FOOTPRINTS = {
    "rason": (41.70, 42.75, 129.60, 131.00),
    "vladivostok-nakhodka": (42.50, 43.30, 131.20, 133.40),
}


def _intervals(status: np.ndarray, sog: np.ndarray, ais_class: str,
               turning: np.ndarray | None = None) -> np.ndarray:
    """Seconds between reports (ITU-R M.1371-5 table 1; class B "SO" every 30 s)."""
    if ais_class == "B":
        return np.full(len(sog), 30.0)
    s = np.nan_to_num(sog)
    turn = np.zeros(len(s), bool) if turning is None else turning
    underway = np.where(s <= 14, np.where(turn, 10.0 / 3.0, 10.0), np.where(s <= 23, np.where(turn, 2.0, 6.0), 2.0))
    return np.where(((status == 1) | (status == 5)) & (s < 3), 180.0, underway)


def _first_success(rng: np.random.Generator, p: np.ndarray, interval: np.ndarray, length: np.ndarray):
    """Offset (s) of the first heard message in a window, NaN when none: failures ~ geometric."""
    phase = rng.uniform(0, 1, len(p)) * interval
    u = rng.uniform(1e-12, 1.0, len(p))
    with np.errstate(divide="ignore", invalid="ignore"):
        k = np.where(p >= 1, 0, np.floor(np.log(u) / np.log1p(-np.minimum(p, 1 - 1e-12))))
    off = phase + k * interval
    return np.where((p > 0) & (off < length), off, np.nan)


def _satellite_passes(rng: np.random.Generator, cfg: Scenario) -> np.ndarray:
    out, t = [], cfg.t_start
    while t < cfg.t_end:
        t += int(rng.uniform(*cfg.satellite_gap_h) * 3600)
        out.append((t, t + int(cfg.satellite_pass_min * 60)))
    return np.array(out, np.int64)


def receptions(v: Vessel, cfg: Scenario, rng: np.random.Generator, passes: np.ndarray) -> dict[str, np.ndarray]:
    """Messages of vessel ``v`` the two feeds keep: time (s), feed (0 terrestrial, 1 satellite), station."""
    w = np.arange(cfg.t_start, cfg.t_end, cfg.feed_interval_s, dtype=np.int64)
    first = v.segments[0].t0
    w = w[w >= first]
    lat, lon, sog, cog, status = v.state(w)
    ok = ~np.isnan(lat)
    w, lat, lon, sog, status = w[ok], lat[ok], lon[ok], sog[ok], status[ok]
    # changing course: more than 5 degrees in the next minute
    _, _, _, cog_next, _ = v.state(w + 60)
    dcog = np.abs((cog_next - cog[ok] + 180.0) % 360.0 - 180.0)
    interval = _intervals(status, sog, v.ais_class, turning=np.nan_to_num(dcog) > 5.0)
    length = np.full(len(w), float(cfg.feed_interval_s))
    best, best_st = np.full(len(w), np.nan), np.full(len(w), -1)
    for k, (sla, slo) in enumerate(STATIONS.values()):
        d = _hav(lat, lon, sla, slo)
        p = (1 - cfg.message_loss) * np.clip(1 - (d / cfg.range_m) ** 2, 0, 1)
        off = _first_success(rng, p, interval, length)
        take = ~np.isnan(off) & ~(off >= best)
        best[take], best_st[take] = off[take], k
    # satellites: windows that start inside a pass, heard until the pass ends
    i = np.searchsorted(passes[:, 0], w, side="right") - 1
    inside = (i >= 0) & (w < passes[np.maximum(i, 0), 1])
    sat_len = np.where(inside, np.minimum(length, passes[np.maximum(i, 0), 1] - w), 0)
    sat = _first_success(rng, np.where(inside, cfg.satellite_p, 0.0), interval, sat_len.astype(np.float64))
    t_ter = w + np.nan_to_num(best).astype(np.int64)
    t_sat = w + np.nan_to_num(sat).astype(np.int64)
    tt = np.concatenate([t_ter[~np.isnan(best)], t_sat[~np.isnan(sat)]])
    feed = np.concatenate([np.zeros((~np.isnan(best)).sum(), np.int8), np.ones((~np.isnan(sat)).sum(), np.int8)])
    station = np.concatenate([best_st[~np.isnan(best)], np.full((~np.isnan(sat)).sum(), -1)])
    on = v.transmitting(tt)
    order = np.argsort(tt[on], kind="stable")
    return {"t": tt[on][order], "feed": feed[on][order], "station": station[on][order]}


def _static_fields(v: Vessel, ident, t: int, draught: float, dest: str) -> dict:
    bow = round(v.length_m * 0.8)
    port = round(v.beam_m / 2)
    eta = datetime.fromtimestamp(t + 86_400, UTC)
    base = {"mmsi": ident.mmsi, "shipname": ident.name, "callsign": ident.callsign, "ship_type": v.ship_type,
            "to_bow": bow, "to_stern": round(v.length_m) - bow, "to_port": port,
            "to_starboard": round(v.beam_m) - port}
    if v.ais_class == "B":
        return dict(base, type=24)
    return dict(base, type=5, imo=ident.imo or 0, draught=draught, destination=dest[:20],
                month=eta.month, day=eta.day, hour=eta.hour, minute=0, ais_version=0, epfd=1)


@dataclass
class Result:
    cfg: Scenario
    fleet: Fleet
    sites: Sites
    messages: pa.Table  # every kept position message, before duplicates and corruption
    truth: pa.Table
    files: dict[str, Path]


def simulate(cfg: Scenario, out: Path, progress=None) -> Result:
    """Simulate and write the NMEA files and the ground truth into ``out``."""
    say = progress or (lambda stage, done, total: None)
    rng = np.random.default_rng(cfg.seed)
    sites = default_sites()
    say("fleet", 0, 1)
    fleet = build(rng, sites, SeaGrid(), cfg.t_start, cfg.t_end, max(cfg.vessels, 14))
    say("fleet", 1, 1)
    passes = _satellite_passes(rng, cfg)
    out.mkdir(parents=True, exist_ok=True)
    station_names = list(STATIONS)
    cols: dict[str, list] = {k: [] for k in ("vessel", "mmsi", "t", "feed", "station", "lat", "lon", "sog", "cog",
                                             "heading", "status", "msg_type")}
    statics: list[tuple[int, int, str, dict]] = []  # (t, feed, station, fields)
    for n, v in enumerate(fleet.vessels):
        r = receptions(v, cfg, rng, passes)
        t = r["t"]
        lat, lon, sog, cog, status = v.state(t)
        slat, slon = v.shown_position(t, lat, lon)
        ids = v.identity_at(t)
        mm = np.array([i.mmsi for i in v.identities], np.int64)[ids]
        cols["vessel"] += [v.key] * len(t)
        cols["mmsi"].append(mm)
        cols["t"].append(t)
        cols["feed"].append(r["feed"])
        cols["station"].append(r["station"])
        cols["lat"].append(slat)
        cols["lon"].append(slon)
        cols["sog"].append(np.round(sog + rng.normal(0, 0.1, len(t)).clip(-0.3, 0.3) * (sog > 0.5), 1).clip(0))
        cols["cog"].append(cog)
        cols["heading"].append(np.round(cog + rng.normal(0, 2, len(t))) % 360)
        cols["status"].append(status)
        cols["msg_type"].append(np.full(len(t), 18 if v.ais_class == "B" else 1) +
                                (2 * ((status == 1) | (status == 5)) if v.ais_class == "A" else 0))
        # static reports: the first kept message of every static interval
        if len(t):
            slot = (t - cfg.t_start) // int(cfg.static_interval_h * 3600)
            firsts = np.flatnonzero(np.concatenate([[True], slot[1:] != slot[:-1]]))
            dr = v.draught_at(t[firsts])
            for j, k in enumerate(firsts):
                ident = v.identities[int(ids[k])]
                nxt = _next_destination(v, int(t[k]))
                st = "SAT" if r["feed"][k] == 1 else station_names[int(r["station"][k])]
                statics.append((int(t[k]) + 1, int(r["feed"][k]), st,
                                _static_fields(v, ident, int(t[k]), float(dr[j]), nxt)))
        say("vessels", n + 1, len(fleet.vessels))
    msgs = pa.table({
        "vessel": pa.array(cols["vessel"], pa.string()),
        "mmsi": pa.array(np.concatenate(cols["mmsi"]), pa.uint32()),
        "t": pa.array(np.concatenate(cols["t"]), pa.int64()),
        "feed": pa.array(np.concatenate(cols["feed"]), pa.int8()),
        "station": pa.array(np.concatenate(cols["station"]), pa.int16()),
        **{k: pa.array(np.concatenate(cols[k]), pa.float64()) for k in ("lat", "lon", "sog", "cog", "heading")},
        "status": pa.array(np.concatenate(cols["status"]), pa.int8()),
        "msg_type": pa.array(np.concatenate(cols["msg_type"]), pa.int8()),
    })
    say("nmea", 0, 1)
    files = _write_nmea(msgs, statics, out, rng, cfg)
    say("nmea", 1, 1)
    truth = ground_truth(fleet, sites, msgs, cfg)
    files.update(_write_truth(cfg, fleet, truth, out, rng))
    return Result(cfg, fleet, sites, msgs, truth, files)


def _next_destination(v: Vessel, t: int) -> str:
    for s in v.segments:
        if isinstance(s, Sail) and s.t1 > t and s.dest_site:
            return s.dest_site.split("-", 1)[-1].upper().replace("-", " ")
    return ""


def _write_nmea(msgs: pa.Table, statics: list, out: Path, rng: np.random.Generator, cfg: Scenario) -> dict:
    names = list(STATIONS)
    files = {}
    for feed, fname in ((0, "terrestrial.nmea"), (1, "satellite.nmea")):
        sel = np.flatnonzero(msgs["feed"].to_numpy() == feed)
        st = msgs["station"].to_numpy()[sel]
        lines: list[tuple[int, bytes]] = []
        for k in np.unique(st):
            rows = sel[st == k]
            name = "SAT" if feed == 1 else names[int(k)]
            col = {c: msgs[c].to_numpy()[rows] for c in ("mmsi", "t", "lat", "lon", "sog", "cog", "heading",
                                                          "status", "msg_type")}
            pay = nmea.position_payloads(col["msg_type"], col["mmsi"], col["t"], col["lat"], col["lon"], col["sog"],
                                         col["cog"], col["heading"], col["status"])
            chan = np.where(rng.random(len(rows)) < 0.5, "A", "B")
            blob = nmea.position_lines(name, col["t"], pay, chan)
            width = len(blob) // len(rows)
            arr = np.frombuffer(blob, np.uint8).reshape(len(rows), width)
            lines += [(int(tt), arr[i].tobytes()) for i, tt in enumerate(col["t"])]
        for j, (ts, f, name, fields) in enumerate(statics):
            if f == feed:
                for s in nmea.static_lines(name, ts, fields, j):
                    lines.append((ts, (s + "\n").encode()))
        lines.sort(key=lambda x: x[0])
        body = [b for _, b in lines]
        # repeats and damaged payloads, as real feeds have
        dup = set(np.flatnonzero(rng.random(len(body)) < cfg.duplicate_rate).tolist())
        bad = set(np.flatnonzero(rng.random(len(body)) < cfg.corrupt_rate).tolist())
        path = out / fname
        with open(path, "wb") as fh:
            for i, b in enumerate(body):
                if i in bad:
                    b = _damage(b)
                fh.write(b)
                if i in dup:
                    fh.write(b)
        files[fname.replace(".nmea", "")] = path
    return files


def _damage(line: bytes) -> bytes:
    """Change one payload character (the checksum then fails)."""
    s = bytearray(line)
    k = s.rfind(b",", 0, s.rfind(b"*")) - 3
    s[k] = ord("0") if s[k] != ord("0") else ord("1")
    return bytes(s)


def _write_truth(cfg: Scenario, fleet: Fleet, truth: pa.Table, out: Path, rng: np.random.Generator) -> dict[str, Path]:
    files = {}
    meta = {b"harborwatch": json.dumps({"simulated": True, "scenario": asdict(cfg)}).encode()}
    p = out / "truth_events.parquet"
    pq.write_table(truth.replace_schema_metadata(meta), p)
    files["truth_events"] = p
    truth.to_pandas().to_csv(out / "truth_events.csv", index=False)
    # vessels
    vrows = []
    for v in fleet.vessels:
        for k, i in enumerate(v.identities):
            vrows.append({"vessel": v.key, "role": v.role, "identity": k, "from": datetime.fromtimestamp(i.t, UTC),
                          "mmsi": i.mmsi, "imo": i.imo, "name": i.name, "callsign": i.callsign,
                          "ship_type": v.ship_type, "length_m": v.length_m, "beam_m": v.beam_m,
                          "deadweight_t": v.deadweight_t, "design_draught_m": v.design_draught_m,
                          "block_coefficient": v.block_coefficient,
                          "ais_class": v.ais_class, "simulated": True})
    pq.write_table(pa.Table.from_pylist(vrows), out / "truth_vessels.parquet")
    files["truth_vessels"] = out / "truth_vessels.parquet"
    # a SIMULATED watchlist (OpenSanctions FollowTheMoney lines): the storyline's listed vessels
    p = out / "simulated_watchlist.ftm.jsonl"
    p.write_text("".join(json.dumps(e, sort_keys=True) + "\n" for e in simulated_watchlist(fleet)))
    files["simulated_watchlist"] = p
    # cargo (containers, petroleum) and rail cars
    pq.write_table(fleet.cargo.table(), out / "truth_cargo.parquet")
    files["truth_cargo"] = out / "truth_cargo.parquet"
    rail = rail_cars(rng, cfg.t_start, cfg.days)
    pq.write_table(pa.Table.from_pylist(rail), out / "truth_rail.parquet")
    files["truth_rail"] = out / "truth_rail.parquet"
    # what an analyst counting cars on images has (its own random stream: the rest does not move)
    counts = analyst_counts(rail, np.random.default_rng([cfg.seed, 2]))
    pa.csv.write_csv(pa.Table.from_pylist(counts), out / "rail_counts.csv")
    files["rail_counts"] = out / "rail_counts.csv"
    (out / "truth_facilities.geojson").write_text(json.dumps(facility_geojson(cfg.seed)))
    files["truth_facilities"] = out / "truth_facilities.geojson"
    # satellite overpasses with the true state of every vessel in each footprint
    scenes, seen = _overpasses(cfg, fleet, rng)
    pq.write_table(scenes, out / "truth_overpasses.parquet")
    pq.write_table(seen, out / "truth_overpass_vessels.parquet")
    files["truth_overpasses"] = out / "truth_overpasses.parquet"
    files["truth_overpass_vessels"] = out / "truth_overpass_vessels.parquet"
    # the site catalogue the scenario uses: the default one plus Busan
    cat_out = scenario_sites().write(out / "sites.geojson")
    files["sites"] = cat_out
    (out / "SIMULATED.txt").write_text(
        "Everything in this folder is SIMULATED by harborwatch's scenario generator: synthetic vessels, "
        "identities and movements. No real vessel is described.\n" + json.dumps(asdict(cfg), indent=1) + "\n")
    return files


def simulated_watchlist(fleet: Fleet) -> list[dict]:
    """FtM ``Vessel`` entities for the shuttles, the DPRK tanker and the renamed vessel (listed
    under its latest identity, its earlier names as ``pastNames``). All SIMULATED."""
    from harborwatch.core.identifiers import mmsi_flag

    out = []
    for v in fleet.vessels:
        if not (v.role in ("shuttle", "renamed") or (v.role == "sts" and v.identities[0].mmsi // 1_000_000 == 445)):
            continue
        cur = v.identities[-1]
        flag = mmsi_flag(np.array([cur.mmsi], np.int64))[0]
        props = {"name": [cur.name], "pastNames": [i.name for i in v.identities[:-1]],
                 "callSign": [cur.callsign], "mmsi": [str(cur.mmsi)], "flag": [flag.lower()] if flag else [],
                 "programId": ["SIMULATED-RASON"], "notes": ["SIMULATED entry of harborwatch's scenario"]}
        if cur.imo:
            props["imoNumber"] = [f"IMO{cur.imo}"]
        out.append({"id": f"sim-{v.key}", "schema": "Vessel", "datasets": ["simulated_watchlist"],
                    "first_seen": "2022-12-01T00:00:00", "properties": props})
    return out


def _overpasses(cfg: Scenario, fleet: Fleet, rng: np.random.Generator) -> tuple[pa.Table, pa.Table]:
    scenes, seen = [], []
    t = cfg.t_start + int(rng.uniform(0, 6)) * 86_400 + 21 * 3600 + 20 * 60  # descending pass, ~21:20 UTC
    k = 0
    while t < cfg.t_end:
        for name, (la0, la1, lo0, lo1) in FOOTPRINTS.items():
            sid = f"SIM-S1-{datetime.fromtimestamp(t, UTC):%Y%m%dT%H%M%S}-{name}"
            scenes.append({"scene_id": sid, "time": datetime.fromtimestamp(t, UTC), "footprint": name,
                           "lat_min": la0, "lat_max": la1, "lon_min": lo0, "lon_max": lo1, "simulated": True})
            for v in fleet.vessels:
                lat, lon, sog, cog, _ = v.state(np.array([t]))
                if np.isnan(lat[0]) or not (la0 <= lat[0] <= la1 and lo0 <= lon[0] <= lo1):
                    continue
                i = v.identities[int(v.identity_at(np.array([t]))[0])]
                seen.append({"scene_id": sid, "vessel": v.key, "mmsi": i.mmsi, "lat": float(lat[0]),
                             "lon": float(lon[0]), "length_m": v.length_m, "beam_m": v.beam_m,
                             "heading_deg": float(cog[0]), "speed_kn": float(sog[0]),
                             "ais_on": bool(v.transmitting(np.array([t]))[0])})
        t += cfg.overpass_days[k % 2] * 86_400
        k += 1
    return pa.Table.from_pylist(scenes), pa.Table.from_pylist(seen)


__all__ = ["STATIONS", "TRUTH", "Result", "Scenario", "ground_truth", "simulate"]
