"""Every estimate of a store in one call (``harborwatch estimate`` and the demo use it)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.compute as pc

from harborwatch.analysis.calendar import CalendarEntry
from harborwatch.analysis.changes import StepTest
from harborwatch.analysis.periods import Period, month_periods, periods
from harborwatch.core.errors import HarborwatchError
from harborwatch.estimates.activity import Activity, calls_per_period, weekly_calls
from harborwatch.estimates.cargo import Cargo
from harborwatch.estimates.cargo_calls import (
    Sums,
    call_rows,
    draughts_from_store,
    estimate_calls,
    particulars_from_store,
    radar_rows,
)
from harborwatch.estimates.changes import activity_changes
from harborwatch.estimates.dark_calls import (
    DarkCalls,
    candidate_gaps,
    courses_from_store,
    dark_calls,
    destinations_from_store,
)
from harborwatch.estimates.presences import Presences, detection_weights, mean_stays_h, presences, scenes_from_store
from harborwatch.estimates.presences import per_period as radar_per_period
from harborwatch.estimates.presences import weekly as radar_weekly
from harborwatch.estimates.rail import (
    Rail,
    counts_from_store,
    daily,
    per_period,
    rail_changes,
    source_spread,
    weekly,
)
from harborwatch.events.schema import EVENTS
from harborwatch.sites.catalogue import PORT_KINDS, SiteCatalogue


@dataclass(frozen=True)
class Estimates:
    """What :func:`estimate` returns: the weekly activity, the dark calls, calls per period
    (for the sites asked) and the change tests."""

    activity: pa.Table
    dark_calls: pa.Table
    periods: list[dict] = field(default_factory=list)
    changes: list[dict] = field(default_factory=list)
    cargo: pa.Table | None = None  # per call (CALL_CARGO)
    cargo_weekly: pa.Table | None = None
    cargo_periods: list[dict] = field(default_factory=list)
    cargo_months: list[dict] = field(default_factory=list)
    rail_daily: pa.Table | None = None
    rail_weekly: pa.Table | None = None
    rail_periods: list[dict] = field(default_factory=list)
    presences: pa.Table | None = None  # per scene and site (PRESENCES)
    cargo_sums: Sums | None = None  # sums of the calls' cargo over any selection, with intervals

    def tables(self) -> dict[str, pa.Table]:
        """The tables to write, by file stem."""
        out = {"activity": self.activity, "dark_calls": self.dark_calls}
        if self.cargo is not None:
            out["cargo"] = self.cargo
        if self.cargo_weekly is not None:
            out["cargo_weekly"] = self.cargo_weekly
        if self.presences is not None:
            out["radar_presences"] = self.presences
        if self.rail_daily is not None and self.rail_weekly is not None:
            out.update(rail_daily=self.rail_daily, rail_weekly=self.rail_weekly)
        return out


def estimate(store, sites: SiteCatalogue, calendar: tuple[CalendarEntry, ...], spans: tuple[Period, ...] | None,
             period_sites: list[str], change_sites: list[str] | None = None, dark: DarkCalls | None = None,
             activity: Activity | None = None, test: StepTest | None = None, cargo: Cargo | None = None,
             rail: Rail | None = None) -> Estimates:
    """The estimates of the events in ``store``: dark calls at the port sites of ``sites``,
    weekly calls per site, calls per week in each of ``spans`` (None: the periods between the
    calendar's dates that fall inside the events' span) at ``period_sites``, and change tests at
    every calendar date (at ``change_sites``, default every site) - calls seen on AIS, dark and
    radar-only (:mod:`~harborwatch.estimates.presences`); the cargo of every call, summed
    per week and per period at ``period_sites``; rail cars per day, week and period at every site
    with counts, and their change tests."""
    dark = dark or DarkCalls()
    tabs = {r["table_name"] for r in store.sql("SELECT table_name FROM information_schema.tables").to_pylist()}
    if "events" not in tabs:
        raise HarborwatchError(f"{store.path}: the store has no events yet", hint="run `harborwatch events` first")
    ev = store.sql("SELECT * FROM events ORDER BY start").select(EVENTS.names).cast(EVENTS)
    gaps = candidate_gaps(ev, dark)
    ports = sites.filter_kinds(PORT_KINDS).table
    dk = dark_calls(gaps, courses_from_store(store, gaps), ports, dark,
                    destinations_from_store(store, gaps, dark.destination_window_h))
    pp = Presences()
    pres = presences(ev, scenes_from_store(store), dk, ports.select(["site_id", "lat", "lon"]), pp)
    stays = mean_stays_h(ev)
    act = weekly_calls(ev, activity, dk, lambda s, w: radar_weekly(pres, stays, s, w, pp))
    if spans is None:
        spans = _calendar_spans(ev, calendar)
    t0, t1 = _span(ev)
    periods = [r for s in period_sites for r in calls_per_period(
        ev, dk, s, spans, activity, radar=radar_per_period(pres, stays, s, spans, t0, t1, pp))]
    names = dict(zip(sites.ids(), sites.table["name"].to_pylist(), strict=True))
    changes = activity_changes(act, calendar, change_sites, test, names)
    rows = call_rows(ev, dk, _particulars(store, ev, dk), draughts_from_store(store, dk, dark.destination_window_h),
                     cargo) + radar_rows(ev, detection_weights(pres, stays, pp))
    per_call, sums = estimate_calls(rows, cargo)
    cargo_periods = [r for s in period_sites for r in sums.per_period(s, spans, t0, t1)]
    cargo_months = [r for s in period_sites for r in sums.per_period(s, month_periods(t0, t1), t0, t1)]
    rp = rail or Rail()
    counts = counts_from_store(store, rp.quantity)
    days, spread = daily(counts, rp.quantity), source_spread(counts, rp.min_shared_days)
    weeks = weekly(days, rp, spread)
    rail_periods = [r for s in sorted(set(days["site_id"].to_pylist()))
                    for r in per_period(days, s, spans, rp, spread.get(s, 0.0))]
    changes += rail_changes(weeks, calendar, test, names)
    return Estimates(act, dk, periods, changes, per_call, sums.weekly(), cargo_periods, cargo_months, days, weeks,
                     rail_periods, pres, sums)


def _particulars(store, ev: pa.Table, dk: pa.Table) -> dict[int, dict]:
    mmsis = pc.unique(pa.concat_arrays([ev["mmsi"].combine_chunks().cast(pa.uint32()), dk["mmsi"].combine_chunks()]))
    return particulars_from_store(store, [int(m) for m in mmsis.drop_null().to_pylist()])


def _span(ev: pa.Table) -> tuple[int, int]:
    if ev.num_rows == 0:
        return 0, 0
    return (pc.cast(pc.min(ev["start"]), pa.int64()).as_py() // 1000,
            pc.cast(pc.max(ev["end"]), pa.int64()).as_py() // 1000)


def _calendar_spans(ev: pa.Table, calendar: tuple[CalendarEntry, ...]) -> tuple[Period, ...]:
    """The periods between the calendar's dates that fall strictly inside the events' span."""
    if ev.num_rows == 0:
        return ()
    first, last = _span(ev)
    inside = [e for e in calendar if first < e.epoch_s < last]
    return periods(inside) if inside else ()


__all__ = ["Estimates", "estimate"]
