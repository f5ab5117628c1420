"""Bundles for the figures of a report: one bundle per site holds the evidence of every figure
about that site (calls, cargo and rail per period or month), and ``figures.json`` in it says which
events and count rows each figure rests on.

A calls figure rests on the site's port visits in its period and on the gaps that bracket its
inferred dark calls. A cargo figure rests on the port visits whose draught changes it sums. A rail
figure rests on the count rows of the crossing in its period. Count rows are not events: the
bundle carries them as stored (``counts.csv``, with their source file and line), and the
manifest records their source file's SHA-256 from the ingest.
"""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pyarrow.csv as pacsv

from harborwatch.analysis.periods import Period
from harborwatch.estimates.run import Estimates
from harborwatch.events.schema import EVENTS
from harborwatch.evidence.bundle import Bundling, build_bundle, find_events
from harborwatch.evidence.measurements import COUNT_REF, measure
from harborwatch.sites import SiteCatalogue
from harborwatch.store import Store


def _day(s: int | None) -> datetime | None:
    return None if s is None else datetime.fromtimestamp(s, UTC)


def figure_evidence(store: Store, est: Estimates, row: dict, period: Period) -> dict:
    """The events and count rows one figure row (``site``, ``period``, ``quantity``, ``estimate``,
    ``low``, ``high``) rests on."""
    site, q = row["site"], row["quantity"]
    out = {k: row.get(k) for k in ("site", "period", "quantity", "estimate", "low", "high")}
    if q.startswith("rail"):
        t0 = -(2**40) if period.start_s is None else period.start_s
        t1 = 2**40 if period.end_s is None else period.end_s
        c = store.sql(f"SELECT {COUNT_REF} AS ref FROM counts WHERE site_id = ? AND epoch(observed_at) >= ? AND "
                      "epoch(observed_at) < ? ORDER BY observed_at, record_hash", [site, t0, t1])
        out.update(events=[], count_rows=c["ref"].to_pylist())
        return out
    spec = {"site": site, "period": {"start": _day(period.start_s), "end": _day(period.end_s)}}
    events = measure(store, est, {**spec, "quantity": "port_calls"}).evidence
    if q == "calls_per_week":
        events = events + measure(store, est, {**spec, "quantity": "dark_calls"}).evidence
    out.update(events=events, count_rows=[])
    return out


def figure_bundles(store: Store, est: Estimates, rows: list[dict], periods: tuple[Period, ...],
                   sites: SiteCatalogue, out_dir: str | Path, params: Bundling | None = None) -> dict[str, Path]:
    """One bundle per site of ``rows`` (``out_dir/figures-<site>.zip``); returns site -> bundle.
    Rows whose period is not in ``periods`` are left out."""
    by_name = {p.name: p for p in periods}
    params = params or Bundling(max_events=1000)
    per_site: dict[str, list[dict]] = {}
    for r in rows:
        if r["period"] in by_name:
            per_site.setdefault(r["site"], []).append(figure_evidence(store, est, r, by_name[r["period"]]))
    written = {}
    for site, figs in per_site.items():
        ids = list(dict.fromkeys(e for f in figs for e in f["events"]))
        events = find_events(store, ids[: params.max_events]) if ids else EVENTS.empty_table()
        extra = {"figures.json": (json.dumps(figs, indent=1, default=str) + "\n").encode()}
        refs = sorted({c for f in figs for c in f["count_rows"]})
        if refs:  # each count row once, however many figures rest on it
            buf = io.BytesIO()
            pacsv.write_csv(store.sql(f"SELECT * FROM counts WHERE site_id = ? AND {COUNT_REF} IN (SELECT unnest(?)) "
                                      "ORDER BY observed_at, record_hash", [site, refs]), buf)
            extra["counts.csv"] = buf.getvalue()
        subject = {"kind": "figures", "site": site, "figures": len(figs), "evidence_bundled": min(len(ids),
                   params.max_events), "evidence_total": len(ids)}
        written[site] = build_bundle(store, events, sites, Path(out_dir) / f"figures-{site}.zip", params, subject,
                                     extra)
    return written


__all__ = ["figure_bundles", "figure_evidence"]
