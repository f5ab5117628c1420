"""The storyline of the simulated Rason 2023 scenario, with synthetic identities only.

Publicly reported for 2023: ship calls at Rajin from Vostochny and Dunay (several with AIS off),
more traffic after the Russian ministerial visit of 26 July and the summit of 13 September,
rail traffic over the Tumangang - Khasan bridge stepping up after July, and a new cargo
facility at Rajin in May. Every vessel here is invented: names, MMSIs (with the right MIDs)
and IMO numbers (valid check digits) are generated, and no real vessel is given movements.

Roles (``Vessel.role``): ``shuttle`` (Vostochny / Dunay <-> Rajin, containers; some dark on
the Rajin leg), ``coastal`` (Russian ports), ``longhaul`` (Busan -> Vostochny by searoute),
``sts`` (ship-to-ship transfers at sea), ``renamed`` (changes name, flag and MMSI),
``twin`` (a second hull broadcasting another vessel's MMSI), ``spoofer`` (broadcasts a false
position for days), ``loiterer`` (waits at sea), ``harbour`` (class B craft).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache

import numpy as np

from harborwatch.analysis.calendar import RASON_2023, entry
from harborwatch.core.identifiers import imo_check_digit
from harborwatch.core.ids import content_id
from harborwatch.geo.landmask import is_land
from harborwatch.scenario.cargo import Ledger, block_coefficient, deadweight_t
from harborwatch.scenario.model import Drift, Hold, Identity, Sail, Vessel
from harborwatch.scenario.routes import SeaGrid, searoute_leg

# the dates of the story come from the packaged event calendar (with their sources)
VISIT_2023_07_26 = entry(RASON_2023, "shoigu-pyongyang-2023-07-26").epoch_s
SUMMIT_2023_09_13 = entry(RASON_2023, "vostochny-summit-2023-09-13").epoch_s
FACILITY_2023_05 = entry(RASON_2023, "rajin-cargo-facility-2023-05").epoch_s
H = 3600
DAY = 86_400

#: Where ship-to-ship transfers happen (lat, lon): open sea, > 30 km from any port, within
#: reach of the Posyet station.
STS_POINT = (42.38, 131.40)
#: Where the loiterer waits.
LOITER_POINTS = ((42.35, 132.20), (42.25, 131.80))
#: Busan (outside the region; the long-haul leg comes from searoute).
BUSAN = (35.08, 129.06)
#: The gate where long-haul legs join the regional grid.
GATE = (42.30, 132.00)

#: Distance between neighbouring berths at a port (m). The scenario's longest hulls (160 m and
#: 126 m), moored bow to bow, keep 37 m of water between them: about two pixels of a 20 m radar
#: scene. (Drawn anywhere in a disc, as before the sixth session of 2026-11-30, hulls overlapped
#: at busy quays, which no port allows, and two or three of them showed as one radar blob.)
BERTH_SPACING_M = 180.0
#: How far off its berth a hull moors on a call (m), besides its wander while moored.
BERTH_JITTER_M = 10.0


@lru_cache(maxsize=64)
def berth_slots(radius_m: float, spacing_m: float = BERTH_SPACING_M) -> tuple[tuple[float, float], ...]:
    """A port's berths: the points of a hexagonal lattice of ``spacing_m`` within ``radius_m`` of
    its centre, as (north, east) metres, nearest the centre first. Each vessel keeps one berth
    at each port (shuttle and liner services use the same berth call after call); when a port
    has more vessels than berths, they share them in turn."""
    k = int(radius_m // spacing_m) + 1
    pts = [((j * np.sqrt(3) / 2) * spacing_m, (i + j / 2) * spacing_m)
           for j in range(-2 * k, 2 * k + 1) for i in range(-2 * k, 2 * k + 1)]
    pts = [(float(n), float(e)) for n, e in pts if np.hypot(n, e) <= radius_m + 1e-6]
    return tuple(sorted(pts, key=lambda p: (round(np.hypot(*p), 6), p)))


_MID = {"RU": 273, "KP": 445, "SL": 667, "CM": 613, "MN": 457, "TG": 671, "KR": 440, "PA": 352}
_SYL = ["AN", "BO", "DA", "GOR", "KA", "LI", "MA", "NO", "PO", "RA", "SE", "TA", "VO", "YU", "ZA", "KHO", "MI",
        "SO", "PYO", "RYONG", "SONG", "HWA", "CHON", "KUM", "MYO", "BAEK"]


@dataclass
class Sites:
    """Positions (lat, lon), radii (m) and kinds of the catalogue sites the scenario uses."""

    pos: dict[str, tuple[float, float]]
    radius: dict[str, float]
    kind: dict[str, str] = field(default_factory=dict)


class Fleet:
    """Builds the vessels, their plans and the storyline's side tables."""

    def __init__(self, rng: np.random.Generator, sites: Sites, grid: SeaGrid, t_start: int, t_end: int) -> None:
        self.rng, self.sites, self.grid = rng, sites, grid
        self.t_start, self.t_end = t_start, t_end
        self.vessels: list[Vessel] = []
        self._routes: dict[tuple, np.ndarray] = {}
        self._mmsis: set[int] = set()
        self._imos: set[int] = set()
        self._berths: dict[str, dict[str, int]] = {}  # site -> vessel key -> its berth there
        self.cargo = Ledger()  # per call: what was loaded and unloaded

    # -- identities -----------------------------------------------------------------------------
    def mmsi(self, flag: str) -> int:
        while True:
            m = _MID[flag] * 1_000_000 + int(self.rng.integers(100_000, 999_999))
            if m not in self._mmsis:
                self._mmsis.add(m)
                return m

    def imo(self) -> int:
        while True:
            # the 3xxxxxx block: not used for ship IMO numbers, so no real vessel is named
            stem = int(self.rng.integers(300_000, 399_999))
            imo = stem * 10 + imo_check_digit(stem)
            if imo not in self._imos:
                self._imos.add(imo)
                return imo

    def name(self) -> str:
        k = int(self.rng.integers(2, 4))
        base = "".join(self.rng.choice(_SYL, k))
        return base if self.rng.random() < 0.6 else f"{base} {int(self.rng.integers(1, 12))}"

    def callsign(self, flag: str) -> str:
        prefix = {"RU": "UB", "KP": "HM", "SL": "9L", "CM": "TJ", "MN": "JV", "TG": "5V", "KR": "DS", "PA": "3E"}[flag]
        return prefix + "".join(self.rng.choice(list("ABCDEFGHJKLMNPRSTUVWXYZ0123456789"), 3))

    def vessel(self, role: str, flag: str, ship_type: int, length: float, ais_class: str = "A") -> Vessel:
        beam = round(length * float(self.rng.uniform(0.14, 0.17)), 1)
        cb = block_coefficient(ship_type, float(self.rng.uniform(0.9, 1.1)))
        draught = round(2.0 + length * 0.055, 1)
        dwt = deadweight_t(length, beam, draught, cb)
        ident = Identity(self.t_start, self.mmsi(flag), self.name(), self.callsign(flag),
                         self.imo() if ais_class == "A" else None)
        v = Vessel(key=f"V{len(self.vessels) + 1:03d}", role=role, ship_type=ship_type, length_m=length,
                   beam_m=beam, deadweight_t=dwt, design_draught_m=draught, ais_class=ais_class,
                   identities=[ident], phase=float(self.rng.uniform(0, 2 * np.pi)), block_coefficient=cb)
        self.vessels.append(v)
        return v

    # -- movements -----------------------------------------------------------------------------
    def _berth(self, site: str, v: Vessel) -> tuple[float, float]:
        """Where ``v`` moors at ``site``: its own berth there (:func:`berth_slots`, given out in the
        order vessels first come), a few metres off it each call."""
        r = min(400.0, self.sites.radius.get(site, 500.0))
        a = float(self.rng.uniform(0, 2 * np.pi))
        d = float(self.rng.uniform(0, r)) / r * BERTH_JITTER_M
        return self.berth_point(site, v, d * np.sin(a), d * np.cos(a))

    def berth_point(self, site: str, v: Vessel, north_m: float = 0.0, east_m: float = 0.0) -> tuple[float, float]:
        """(lat, lon) of ``v``'s berth at ``site``, moved ``north_m`` and ``east_m``."""
        la, lo = self.sites.pos[site]
        slots = berth_slots(min(400.0, self.sites.radius.get(site, 500.0)))
        mine = self._berths.setdefault(site, {})
        north, east = slots[mine.setdefault(v.key, len(mine) % len(slots))]
        return (la + (north + north_m) / 111_195.0,
                lo + (east + east_m) / (111_195.0 * np.cos(np.radians(la))))

    def route(self, a: str | tuple, b: str | tuple) -> np.ndarray:
        key = (a, b)
        if key not in self._routes:
            pa_ = self.sites.pos[a] if isinstance(a, str) else a
            pb_ = self.sites.pos[b] if isinstance(b, str) else b
            self._routes[key] = self.grid.route(pa_, pb_)
        return self._routes[key]

    def start_at(self, v: Vessel, site: str, t: int | None = None) -> None:
        t = self.t_start if t is None else t
        la, lo = self._berth(site, v)
        v.segments.append(Hold(t, t + 1, la, lo))
        v.site = site  # type: ignore[attr-defined]

    def hold(self, v: Vessel, hours: float, status: int = 5) -> None:
        """Stay where the vessel is for ``hours``."""
        la, lo = v.position()
        t0 = v.now
        v.segments.append(Hold(t0, t0 + int(hours * H), la, lo, status=status))

    def sail(self, v: Vessel, dest: str | tuple, speed_kn: float) -> Sail:
        src = getattr(v, "site", None) or v.position()
        pts = self.route(src, dest).copy()
        pts[0] = v.position()
        if isinstance(dest, str):
            pts[-1] = self._berth(dest, v)
        s = Sail(v.now, pts, speed_kn, src_site=src if isinstance(src, str) else None,
                 dest_site=dest if isinstance(dest, str) else None)
        v.segments.append(s)
        v.site = dest if isinstance(dest, str) else None  # type: ignore[attr-defined]
        return s

    def round_trip(self, v: Vessel, home: str, away: str, home_h: tuple[float, float], away_h: tuple[float, float],
                   speed_kn: float) -> None:
        """Wait at home (hours drawn from ``home_h``), sail away, wait there, sail home."""
        self.hold(v, float(self.rng.uniform(*home_h)))
        self.sail(v, away, speed_kn)
        self.hold(v, float(self.rng.uniform(*away_h)))
        self.sail(v, home, speed_kn)

    def drift(self, v: Vessel, hours: float, speed_kn: float = 0.6, radius_m: float = 800.0) -> None:
        la, lo = v.position()
        v.segments.append(Drift(v.now, v.now + int(hours * H), la, lo, speed_kn, radius_m))

    def load(self, v: Vessel, site: str, teu_on: int, teu_off: int) -> None:
        """Unload up to ``teu_off`` TEU and load ``teu_on`` halfway through the present hold."""
        here = v.segments[-1]
        self.cargo.containers(v, site, (here.t0 + here.t1) // 2, teu_on, teu_off)

    def done(self, v: Vessel) -> bool:
        return v.now >= self.t_end


def _shuttle(f: Fleet, v: Vessel, home: str, start: int, turn_days: float, dark: bool) -> None:
    """Home port <-> Rajin with containers; AIS off from 40 km out of home until back if ``dark``.

    Loads: 40-120 TEU leave Rajin per call and 0-25 TEU arrive, on general cargo ships of 89-126 m:
    with six shuttles this puts a few thousand TEU through Rajin from August to December, the
    order of the "about 2,000 containers" exported to Russia from August to October 2023 in
    open-source reporting (the project brief; ships calling from Vostochny and Dunay, several
    with AIS off). The numbers are the scenario's assumption."""
    f.start_at(v, home, start)
    f.hold(v, float(f.rng.uniform(6, 30)))
    while not f.done(v):
        f.load(v, home, int(f.rng.integers(0, 25)), int(f.rng.integers(30, 120)))
        out = f.sail(v, "kp-rajin", float(f.rng.uniform(9, 12)))
        off = out.time_at_distance(40_000) if dark else None
        f.hold(v, float(f.rng.uniform(20, 60)))
        f.load(v, "kp-rajin", int(f.rng.integers(40, 120)), int(f.rng.integers(0, 30)))
        back = f.sail(v, home, float(f.rng.uniform(9, 12)))
        if dark and off is not None:
            v.dark.append((off, back.time_at_distance(float(back.cum[-1]) - 40_000)))
        f.hold(v, max(8.0, turn_days * 24 - (v.now - out.t0) / H * 1.0) * float(f.rng.uniform(0.8, 1.2)))


def build(rng: np.random.Generator, sites: Sites, grid: SeaGrid, t_start: int, t_end: int,
          n_vessels: int) -> Fleet:
    """The fleet for [t_start, t_end); ``n_vessels`` >= 14 (extra vessels are coastal traders).
    The roles are built in a fixed order: they draw from one random generator."""
    f = Fleet(rng, sites, grid, t_start, t_end)
    _shuttles(f, t_start)
    _sts_pair(f, t_start, t_end)
    _renamed(f)
    _twin(f, t_start, t_end)
    _spoofer(f)
    _loiterer(f)
    _longhaul(f, t_start)
    _harbour(f)
    _coastal(f, n_vessels)
    return f


def _shuttles(f: Fleet, t_start: int) -> None:
    """Shuttles: more of them, and more often, after the July visit and the September summit."""
    _shuttle(f, f.vessel("shuttle", "RU", 71, 118), "ru-vostochny", t_start, 14, dark=False)
    _shuttle(f, f.vessel("shuttle", "RU", 71, 126), "ru-vostochny", VISIT_2023_07_26 + 3 * DAY, 10, dark=True)
    _shuttle(f, f.vessel("shuttle", "RU", 70, 97), "ru-vostochny", SUMMIT_2023_09_13 + 2 * DAY, 8, dark=False)
    _shuttle(f, f.vessel("shuttle", "RU", 70, 104), "ru-vostochny", SUMMIT_2023_09_13 + 6 * DAY, 9, dark=True)
    _shuttle(f, f.vessel("shuttle", "RU", 70, 89), "ru-dunay", t_start + 20 * DAY, 16, dark=False)
    _shuttle(f, f.vessel("shuttle", "RU", 70, 92), "ru-dunay", VISIT_2023_07_26 + 9 * DAY, 12, dark=True)


def _sts_pair(f: Fleet, t_start: int, t_end: int) -> None:
    """Ship-to-ship transfers at sea: a Russian tanker loads gasoil at Nakhodka and fills a DPRK tanker at
    sea, which unloads it at Chongjin; about monthly."""
    t1 = f.vessel("sts", "RU", 80, 105)
    t2 = f.vessel("sts", "KP", 80, 86)
    f.start_at(t1, "ru-nakhodka")
    f.start_at(t2, "kp-chongjin")
    meet = t_start + 12 * DAY
    while meet < t_end - 5 * DAY:
        for v, home in ((t1, "ru-nakhodka"), (t2, "kp-chongjin")):
            # leave home in time to arrive at the meeting point an hour early
            probe = f.route(home, STS_POINT)
            dur = Sail(0, probe.copy(), 10.0).t1
            f.hold(v, max(1.0, (meet - H - dur - v.now) / H))
        waited = t1.segments[-1]
        f.cargo.petroleum(t1, "ru-nakhodka", (waited.t0 + waited.t1) // 2, f.cargo.capacity_t(t1) - t1.cargo_t)
        for v, dlon in ((t1, 0.0), (t2, 0.0008)):  # about 65 m apart
            f.sail(v, (STS_POINT[0], STS_POINT[1] + dlon), 10.0)
        hours = float(f.rng.uniform(5, 9))
        start = max(t1.now, t2.now)
        for v in (t1, t2):
            f.hold(v, (start - v.now) / H + hours, status=0)
            held = v.segments[-1]
            assert isinstance(held, Hold)
            held.wander_m = 25.0
        moved = min(t1.cargo_t, f.cargo.capacity_t(t2) - t2.cargo_t)  # the DPRK tanker fills up
        f.cargo.petroleum(t1, None, t1.now - H, -moved)
        f.cargo.petroleum(t2, None, t2.now - H, moved)
        f.sail(t1, "ru-nakhodka", 10.0)
        f.sail(t2, "kp-chongjin", 9.0)
        f.cargo.petroleum(t2, "kp-chongjin", t2.now + 12 * H, -t2.cargo_t)  # and unloads at home
        meet = start + int(float(f.rng.uniform(25, 35)) * DAY)
    for v in (t1, t2):
        f.hold(v, max(1.0, (t_end - v.now) / H + 24))


def _renamed(f: Fleet) -> None:
    """Renamed: Nakhodka <-> Rajin; on 15 June takes a new name, flag, call sign and MMSI (same IMO)."""
    r = f.vessel("renamed", "SL", 70, 99)
    f.start_at(r, "ru-nakhodka")
    rename_at = int(datetime(2023, 6, 15, tzinfo=UTC).timestamp())
    renamed = False
    while not f.done(r):
        f.round_trip(r, "ru-nakhodka", "kp-rajin", (72, 168), (20, 40), 10.0)
        if not renamed and r.now > rename_at:
            old = r.identities[0]
            r.identities.append(Identity(r.now + H, f.mmsi("CM"), f.name(), f.callsign("CM"), old.imo))
            renamed = True


def _twin(f: Fleet, t_start: int, t_end: int) -> None:
    """Twin: a coastal trader whose MMSI a second hull also broadcasts for three weeks in August."""
    tw = f.vessel("coastal", "RU", 70, 90)
    f.start_at(tw, "ru-vladivostok")
    while not f.done(tw):
        f.round_trip(tw, "ru-vladivostok", "ru-zarubino", (12, 40), (12, 40), 11.0)
    h2 = f.vessel("twin", "KP", 70, 76)
    h2.identities = [Identity(t_start, tw.identities[0].mmsi, tw.identities[0].name, tw.identities[0].callsign,
                              tw.identities[0].imo)]
    twin_from = int(datetime(2023, 8, 1, tzinfo=UTC).timestamp())
    twin_to = int(datetime(2023, 8, 22, tzinfo=UTC).timestamp())
    f.start_at(h2, "kp-chongjin")
    while not f.done(h2):
        f.round_trip(h2, "kp-chongjin", "kp-rajin", (30, 60), (30, 60), 9.0)
    h2.dark = [(t_start, twin_from), (twin_to, t_end + 30 * DAY)]


def _spoofer(f: Fleet) -> None:
    """Spoofer: Zarubino <-> Rajin; for three days in October it shows a position inland."""
    sp = f.vessel("spoofer", "MN", 70, 95)
    f.start_at(sp, "ru-zarubino")
    while not f.done(sp):
        f.round_trip(sp, "ru-zarubino", "kp-rajin", (72, 168), (24, 48), 9.5)
    s0 = int(datetime(2023, 10, 5, 6, tzinfo=UTC).timestamp())
    sp.spoof.append((s0, s0 + 3 * DAY, 43.45, 129.60))  # inland, Jilin province


def _loiterer(f: Fleet) -> None:
    """Loiterer: a reefer waiting at sea for 6-12 h between Vladivostok and Posyet calls."""
    lo = f.vessel("loiterer", "PA", 72, 110)
    f.start_at(lo, "ru-vladivostok")
    k = 0
    while not f.done(lo):
        f.hold(lo, float(f.rng.uniform(20, 50)))
        f.sail(lo, LOITER_POINTS[k % 2], 11.0)
        f.drift(lo, float(f.rng.uniform(6, 12)))
        f.sail(lo, "ru-posyet", 11.0)
        f.hold(lo, float(f.rng.uniform(20, 50)))
        f.sail(lo, "ru-vladivostok", 11.0)
        k += 1


def _longhaul(f: Fleet, t_start: int) -> None:
    """Long haul: Busan -> Vostochny via searoute, then back, about monthly."""
    lh = f.vessel("longhaul", "KR", 70, 160)
    leg_in = np.concatenate([searoute_leg(BUSAN, GATE)[:-1], f.route(GATE, "ru-vostochny")])
    leg_in[-1] = f.berth_point("ru-vostochny", lh)
    leg_out = leg_in[::-1].copy()
    lh.segments.append(Hold(t_start, t_start + int(f.rng.uniform(1, 10) * DAY), *BUSAN, status=5))
    lh.site = None  # type: ignore[attr-defined]
    while not f.done(lh):
        s = Sail(lh.now, leg_in.copy(), 13.5, src_site="kr-busan", dest_site="ru-vostochny")
        lh.segments.append(s)
        f.hold(lh, float(f.rng.uniform(30, 60)))
        s = Sail(lh.now, leg_out.copy(), 13.5, src_site="ru-vostochny", dest_site="kr-busan")
        lh.segments.append(s)
        lh.segments.append(Hold(lh.now, lh.now + int(f.rng.uniform(5, 12) * DAY), *BUSAN, status=5))


def _harbour(f: Fleet) -> None:
    """Harbour craft (class B) in Vladivostok."""
    hb = f.vessel("harbour", "RU", 52, 24, ais_class="B")
    f.start_at(hb, "ru-vladivostok")
    while not f.done(hb):
        f.round_trip(hb, "ru-vladivostok", "ru-bolshoy-kamen", (4, 20), (2, 8), 8.0)


def _coastal(f: Fleet, n_vessels: int) -> None:
    """Coastal traders among the Russian ports fill the rest of the fleet."""
    ports = ["ru-vladivostok", "ru-nakhodka", "ru-vostochny", "ru-zarubino", "ru-posyet", "ru-slavyanka",
             "ru-bolshoy-kamen", "ru-dunay"]
    while len(f.vessels) < n_vessels:
        v = f.vessel("coastal", "RU", int(f.rng.choice([70, 79, 80, 89])), float(f.rng.uniform(60, 140)))
        here = str(f.rng.choice(ports))
        f.start_at(v, here)
        while not f.done(v):
            f.hold(v, float(f.rng.uniform(10, 72)))
            nxt = str(f.rng.choice([p for p in ports if p != here]))
            f.sail(v, nxt, float(f.rng.uniform(9, 13)))
            here = nxt


def rail_cars(rng: np.random.Generator, t_start: int, days: int) -> list[dict]:
    """Rail cars per day over the Tumangang - Khasan bridge, stepping up after 26 July and 13 September.

    Volumes: 18, 31 and 38 cars a day on average (Poisson, 20 % fewer at weekends): one to two
    trains of 20-40 cars a day, what a single-track (dual-gauge) crossing carries, and a rise after
    the July visit as open-source imagery analyses reported in 2023 ("more rail carriages after
    the ministerial visit", the project brief). The exact numbers are an assumption of the
    scenario, not a measurement."""
    out = []
    for d in range(days):
        t = t_start + d * DAY
        mean = 18.0 if t < VISIT_2023_07_26 else 31.0 if t < SUMMIT_2023_09_13 else 38.0
        out.append({"date": datetime.fromtimestamp(t, UTC).date().isoformat(), "site_id": "kp-ru-tumangang-khasan",
                    "rail_cars": int(rng.poisson(mean * (0.8 if datetime.fromtimestamp(t, UTC).weekday() >= 5
                                                         else 1.0)))})
    return out


def analyst_counts(rail: list[dict], rng: np.random.Generator, revisit_days: tuple[int, int] = (2, 7),
                   cloudy: float = 0.15, miss: float = 0.05) -> list[dict]:
    """What an analyst counting rail cars on images would have: a count every 2-7 days (an image
    lost to cloud with probability ``cloudy``), each car missed with probability ``miss``."""
    out, d = [], int(rng.integers(0, revisit_days[1]))
    while d < len(rail):
        if rng.random() >= cloudy:
            r = rail[d]
            out.append({"date": r["date"], "site_id": r["site_id"], "rail_cars": int(rng.binomial(r["rail_cars"],
                                                                                                   1 - miss)),
                        "source": "SIMULATED analyst count"})
        d += int(rng.integers(revisit_days[0], revisit_days[1] + 1))
    return out


def facility_geojson(seed: int = 2023) -> dict:
    """New structures near Rajin (ground truth polygons for the change detection), as the radar
    scenes draw them: for the default seed the cargo facility reported in May 2023 (appears on the
    calendar's date, north of the harbour basin); other seeds place a structure of 200-500 m at a
    place on land within a few km of the port, appearing between March and October (a hash of the
    seed, not the scenario's random stream)."""
    if seed == 2023:
        lon, lat, w, h, appears = 130.296, 42.2475, 0.0050, 0.0030, FACILITY_2023_05
        name, kind = "rajin-new-cargo-facility", "cargo_facility"
    else:
        k = 0
        while True:
            u = [int(content_id("structure", seed, k, i, digits=8), 16) / 0xFFFFFFFF for i in range(5)]
            lon, lat = 130.25 + 0.09 * u[0], 42.25 + 0.04 * u[1]
            if bool(is_land(np.array([lat]), np.array([lon]))[0]):
                break
            k += 1
        w, h = 0.0025 + 0.0035 * u[2], 0.002 + 0.0025 * u[3]
        appears = int(datetime(2023, 3, 1, tzinfo=UTC).timestamp()) + int(u[4] * 230) * DAY
        name, kind = f"structure-seed-{seed}", "structure"
    ring = [[round(lon - w / 2, 5), round(lat - h / 2, 5)], [round(lon + w / 2, 5), round(lat - h / 2, 5)],
            [round(lon + w / 2, 5), round(lat + h / 2, 5)], [round(lon - w / 2, 5), round(lat + h / 2, 5)]]
    return {"type": "FeatureCollection", "features": [{
        "type": "Feature", "geometry": {"type": "Polygon", "coordinates": [[*ring, ring[0]]]},
        "properties": {"id": name, "site_id": "kp-rajin", "kind": kind,
                       "appears": datetime.fromtimestamp(appears, UTC).date().isoformat(), "note": "SIMULATED"}}]}


__all__ = ["BERTH_SPACING_M", "SUMMIT_2023_09_13", "VISIT_2023_07_26", "Fleet", "Sites", "analyst_counts",
           "berth_slots", "build", "facility_geojson", "rail_cars"]
