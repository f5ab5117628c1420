"""The change tests of every activity series at every calendar date, with control ports."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from harborwatch.analysis.calendar import CalendarEntry
from harborwatch.analysis.changes import StepTest, diff_in_diff, finding, step_test


def tested_series(activity: pa.Table) -> np.ndarray:
    """The weekly series the change tests use: calls seen on AIS plus expected dark calls. The
    radar-only calls are left out: sampled by a scene every 6-12 days they are too sparse to date
    a change to the week (spread over their revisit they are spiky; smoothed over weeks they move
    a step earlier than it happened); their level is in the per-period estimates."""
    return (activity["ais_calls"].to_numpy().astype(float)
            + activity["dark_calls"].to_numpy(zero_copy_only=False).astype(float))


def full_weeks(activity: pa.Table) -> pa.Table:
    """The rows of weeks the data covers whole (``days`` 7). A week at an end of the span with a
    day or two of data holds a fraction of a week's calls, which the tests would read as a drop:
    in the scenario the first week (26 December 2022) holds one day, and left in it made the test
    fire at 6 of the 21 placebo dates of one seed's Rajin series (2 without it). Tables without
    ``days`` (written before it) are returned whole."""
    if "days" not in activity.column_names:
        return activity
    return activity.filter(pc.equal(activity["days"], 7))


def site_series(activity: pa.Table) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """(week starts in seconds, each site's :func:`tested_series`), over the whole weeks
    (:func:`full_weeks`); every site of an activity table has the same weeks."""
    weeks_s = np.zeros(0, np.int64)
    by_site: dict[str, np.ndarray] = {}
    for s in sorted(set(activity["site_id"].to_pylist())):
        t = full_weeks(activity.filter(pc.equal(activity["site_id"], s)))
        by_site[s] = tested_series(t)
        weeks_s = pc.cast(pc.cast(t["week"], pa.timestamp("s")), pa.int64()).to_numpy()
    return weeks_s, by_site


def activity_changes(activity: pa.Table, calendar: tuple[CalendarEntry, ...], sites: list[str] | None = None,
                     p: StepTest | None = None, names: dict[str, str] | None = None) -> list[dict]:
    """One row per (site, calendar entry) with enough weeks on both sides: the step test of the
    site's weekly calls (seen on AIS plus expected dark calls: :func:`tested_series`; whole weeks:
    :func:`full_weeks`) at the date, the difference in
    differences against the other sites (the controls: every other site in the table), and the
    finding in words."""
    p = p or StepTest()
    names = names or {}
    if activity.num_rows == 0:
        return []
    weeks_s, by_site = site_series(activity)
    rows = []
    for s in sites or sorted(by_site):
        if s not in by_site:
            continue
        controls = np.stack([v for k, v in by_site.items() if k != s]) if len(by_site) > 1 else np.zeros((0, 0))
        for e in calendar:
            r = step_test(by_site[s], weeks_s, e.epoch_s, p)
            if r is None:
                continue
            did = diff_in_diff(by_site[s], controls, weeks_s, e.epoch_s, p.level) if controls.size else None
            rows.append({"series": "calls_per_week", "site": s, "calendar_event": e.id,
                         "calendar_date": e.date, **r.as_dict(), "did": did,
                         "finding": finding("Calls per week (seen on AIS and dark)", names.get(s, s),
                                            e.label, r, did)})
    return rows


__all__ = ["activity_changes", "full_weeks", "site_series", "tested_series"]
