"""Counts per period between dated events of the calendar: calls per week before, between and
after them."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from harborwatch.analysis.calendar import RASON_2023, CalendarEntry, entry
from harborwatch.analysis.series import weeks_between


class Period(NamedTuple):
    """A named span [start_s, end_s) in seconds since the epoch; None: open at that end (the
    data's first start or last end closes it)."""

    name: str
    start_s: int | None
    end_s: int | None


def periods(cuts: list[CalendarEntry]) -> tuple[Period, ...]:
    """The periods before the first cut, between consecutive cuts and after the last, named
    ``before_<date>``, ``<date>_to_<date>`` and ``after_<date>``."""
    cuts = sorted(cuts, key=lambda e: e.date)
    out = [Period(f"before_{cuts[0].date}", None, cuts[0].epoch_s)]
    out += [Period(f"{a.date}_to_{b.date}", a.epoch_s, b.epoch_s) for a, b in zip(cuts, cuts[1:], strict=False)]
    out.append(Period(f"after_{cuts[-1].date}", cuts[-1].epoch_s, None))
    return tuple(out)


def month_periods(t0_s: int, t1_s: int) -> tuple[Period, ...]:
    """The calendar months (UTC) from the one holding ``t0_s`` to the one holding ``t1_s``, named ``YYYY-MM``."""
    from datetime import UTC, datetime

    a = datetime.fromtimestamp(t0_s, UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    end = datetime.fromtimestamp(t1_s, UTC)
    out = []
    while a <= end:
        b = a.replace(year=a.year + 1, month=1) if a.month == 12 else a.replace(month=a.month + 1)
        out.append(Period(a.strftime("%Y-%m"), int(a.timestamp()), int(b.timestamp())))
        a = b
    return tuple(out)


#: The periods the Rason 2023 analyses compare: before the 26 July visit, between it and the
#: 13 September summit, and after.
RASON_PERIODS = periods([entry(RASON_2023, "shoigu-pyongyang-2023-07-26"),
                         entry(RASON_2023, "vostochny-summit-2023-09-13")])


def per_period(visits: pa.Table, whole: pa.Table, spans: tuple[Period, ...] = RASON_PERIODS,
               dark: np.ndarray | None = None) -> dict:
    """Calls per period (by visit start) and per week; open periods close at ``whole``'s first
    start and last end. ``dark`` (bool per visit) adds ``dark_calls``."""
    t = pc.cast(visits["start"], pa.int64()).to_numpy(zero_copy_only=False) // 1000
    t0 = pc.cast(pc.min(whole["start"]), pa.int64()).as_py() // 1000 if whole.num_rows else 0
    t1 = pc.cast(pc.max(whole["end"]), pa.int64()).as_py() // 1000 if whole.num_rows else 0
    out = {}
    for name, a, b in spans:
        a, b = (t0 if a is None else a), (t1 if b is None else b)
        weeks = weeks_between(a, b)
        sel = (t >= a) & (t < b)
        n = int(sel.sum())
        out[name] = {"calls": n, "weeks": round(weeks, 1), "per_week": round(n / weeks, 2) if weeks else None}
        if dark is not None:
            out[name]["dark_calls"] = int((sel & dark).sum())
    return out


def site_visits(t: pa.Table, site_id: str) -> pa.Table:
    """The ``port_visit`` rows of an events (or truth) table at one site."""
    return t.filter(pc.and_(pc.equal(t["type"], "port_visit"), pc.equal(t["site_id"], site_id)))


def calls_per_period(events: pa.Table, site_id: str = "kp-rajin",
                     spans: tuple[Period, ...] = RASON_PERIODS) -> dict:
    """Detected port calls at a site per period and per week."""
    return per_period(site_visits(events, site_id), events, spans)


def truth_calls_per_period(truth: pa.Table, site_id: str = "kp-rajin",
                           spans: tuple[Period, ...] = RASON_PERIODS, all_hulls: bool = False,
                           twin_on_ais: bool = False) -> dict:
    """The same figures from a simulated scenario's ground truth, with the calls made with AIS
    off (``dark_calls``). Unless ``all_hulls``, the second hull that borrows an MMSI is left out
    (the shared-MMSI story), or with ``twin_on_ais`` only its calls made with AIS off (what AIS
    and dark calls can count: the calls it made while broadcasting show on AIS); with
    ``all_hulls``, every call any hull made (what AIS, dark-call and radar-only estimates
    together aim at)."""
    ev = site_visits(truth, site_id)
    if not all_hulls:
        twin = pc.match_substring(ev["attributes"], '"role": "twin"')
        if twin_on_ais:
            twin = pc.and_(twin, pc.match_substring(ev["attributes"], '"ais": "off"'))
        ev = ev.filter(pc.invert(twin))
    dark = np.array(['"ais": "off"' in a for a in ev["attributes"].to_pylist()], bool)
    return per_period(ev, truth, spans, dark)


__all__ = ["RASON_PERIODS", "Period", "calls_per_period", "month_periods", "per_period", "periods", "site_visits",
           "truth_calls_per_period"]
