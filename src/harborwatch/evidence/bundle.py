"""Evidence bundles: one zip holding events, the raw records they rest on, the parameters and
software that made them, a figure and a summary, each member hashed in ``manifest.json``.

What an event rests on:
- a track event (port visit, gap, encounter...): every record in its ``evidence``, plus the
  positions and static reports of its vessels from ``context_h`` before to ``context_h`` after it,
  so that :func:`~harborwatch.evidence.verify.verify_bundle` can re-derive it with the bundled
  rules and sites;
- a watchlist event: the port visit it repeats (bundled and re-derived like a track event) and
  the line of the watchlist it matched;
- a dark-vessel event: its radar chip (PNG) and its scene's row (id, time, footprint).
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict, dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from harborwatch.core.errors import NotFoundError
from harborwatch.core.params import Params
from harborwatch.events import EVENT_TYPES, EVENTS, EventsConfig, write_events
from harborwatch.evidence.manifest import BundleWriter, manifest_bytes
from harborwatch.evidence.records import SourceRecords, read_records, select_records, windows_of
from harborwatch.evidence.signing import sign
from harborwatch.evidence.summary import summary_html, summary_markdown, track_figure
from harborwatch.sites.catalogue import SiteCatalogue
from harborwatch.store.store import Store

_SUFFIX = {"nmea": ".nmea"}


@dataclass(frozen=True)
class Bundling(Params):
    """How much context goes into a bundle."""

    section = "bundle"
    #: each vessel's records this long before and after its events (re-derivation needs the
    #: approach and the departure; 48 h covers the port-visit draught window)
    context_h: float = 48.0
    #: sites within this many degrees of the records' bounding box go with them
    site_margin_deg: float = 0.5
    #: a bundle holds at most this many events (a claim resting on more bundles the first ones)
    max_events: int = 200

    def validate(self) -> None:
        self.non_negative("context_h", "site_margin_deg")
        self.at_least("max_events", 1)


def find_events(store: Store, ids: list[str]) -> pa.Table:
    """The events with these ids (a unique prefix of 8 or more hex digits will do)."""
    if "events" not in store.tables():
        raise NotFoundError(f"{store.path}: no events in the store", hint="run harborwatch events first")
    found = []
    for i in ids:
        if len(i) < 8:
            raise NotFoundError(f"event id {i!r} is too short", hint="give at least 8 hex digits")
        t = store.sql("SELECT * FROM events WHERE event_id LIKE ? ORDER BY event_id LIMIT 2", [i.lower() + "%"])
        if t.num_rows == 0:
            raise NotFoundError(f"no event {i} in {store.path}", hint="list events with harborwatch events --out")
        if t.num_rows > 1:
            raise NotFoundError(f"event id prefix {i} is ambiguous", hint="give more digits")
        found.append(t.select(EVENTS.names).cast(EVENTS))
    return pa.concat_tables(found)


def events_config(store: Store, events: pa.Table) -> EventsConfig:
    """The rules the store's events were made with (recorded by ``harborwatch events``), else the
    defaults with the sections the events themselves state."""
    recorded = store.meta("events_config")
    if recorded:
        return EventsConfig.from_dict(json.loads(recorded), f"{store.path} (meta events_config)")
    doc: dict = {}
    for p in events["parameters"].to_pylist():
        for section, values in (json.loads(p) if p else {}).items():
            if section in EventsConfig.__dataclass_fields__:
                doc[section] = values
    return EventsConfig.from_dict(doc, "the events' parameters")


def _with_visits(store: Store, events: pa.Table) -> pa.Table:
    """The events, and the port visits that watchlist events repeat."""
    visit_ids = []
    for t, a in zip(events["type"].to_pylist(), events["attributes"].to_pylist()):
        if t == "watchlist_vessel_at_site" and a:
            visit_ids.append(json.loads(a).get("visit_event_id"))
    have = set(events["event_id"].to_pylist())
    extra = [v for v in visit_ids if v and v not in have]
    if not extra:
        return events
    return pa.concat_tables([events, find_events(store, extra)])


def _context(store: Store, track: pa.Table) -> pa.Table:
    """The events whose records re-derivation needs: the track events and the port visits of
    their vessels that touch them (a voyage's confidence is its end visits')."""
    if track.num_rows == 0 or "events" not in store.tables():
        return track
    spans = track.select(["mmsi", "start", "end"])
    store.con.register("_spans", spans)
    try:
        visits = store.sql("SELECT DISTINCT e.mmsi, e.mmsi_2, e.start, e.\"end\" FROM events e JOIN _spans s "
                           "ON e.mmsi = s.mmsi AND e.\"end\" >= s.start AND e.start <= s.\"end\" "
                           "WHERE e.type = 'port_visit'")
    finally:
        store.con.unregister("_spans")
    cols = ["mmsi", "mmsi_2", "start", "end"]
    return pa.concat_tables([track.select(cols), visits.select(cols).cast(track.select(cols).schema)])


def _sites(cat: SiteCatalogue, records: pa.Table, margin: float) -> SiteCatalogue:
    """The sites near the bundled positions (the rules only look a few km around a fix)."""
    t = cat.table
    if records.num_rows == 0 or pc.min(records["lat"]).as_py() is None:
        return SiteCatalogue(t.slice(0, 0), "bundle")
    lat0, lat1 = pc.min(records["lat"]).as_py(), pc.max(records["lat"]).as_py()
    lon0, lon1 = pc.min(records["lon"]).as_py(), pc.max(records["lon"]).as_py()
    keep = [lat0 - margin <= la <= lat1 + margin and lon0 - margin <= lo <= lon1 + margin
            for la, lo in zip(t["lat"].to_pylist(), t["lon"].to_pylist())]
    return SiteCatalogue(t.filter(pa.array(keep)), "bundle")


def _record_members(w: BundleWriter, sources: list[SourceRecords], records: pa.Table) -> tuple[list[dict], str]:
    """One member per source file; returns the manifest's ``inputs`` and the records index CSV."""
    inputs, where = [], {}
    for k, s in enumerate(sources, start=1):
        stem = Path(s.source_file.split("!")[-1]).stem or "records"
        member = f"records/{k:02d}-{stem}{_SUFFIX.get(s.format, '.csv')}"
        w.add(member, s.text())
        first = 2 if s.header is not None else 1
        line = first
        for ref in sorted(s.lines):
            where[(s.source_file, ref)] = (member, line)
            line += s.lines[ref].count("\n") + 1
        inputs.append({"source_file": s.source_file, "sha256": s.sha256, "format": s.format,
                       "receiver": s.receiver, "records": len(s.lines), "member": member})
    buf = io.StringIO()
    out = csv.writer(buf, lineterminator="\n")
    out.writerow(["table", "record_hash", "mmsi", "timestamp", "source_file", "source_ref", "member", "member_line"])
    for r in records.to_pylist():
        member, line = where[(r["source_file"], r["source_ref"])]
        out.writerow([r["table"], r["record_hash"], r["mmsi"], r["timestamp"].isoformat(), r["source_file"],
                      r["source_ref"], member, line])
    return inputs, buf.getvalue()


def _extras(w: BundleWriter, store: Store, events: pa.Table) -> list[str]:
    """Radar chips and scene rows of dark-vessel events; watchlist lines of watchlist events.
    Returns notes on what could not be bundled."""
    notes, scenes = [], []
    for r in events.to_pylist():
        a = json.loads(r["attributes"]) if r["attributes"] else {}
        if r["type"] == "dark_vessel":
            chip = a.get("chip_png")
            if chip and Path(chip).exists():
                w.add(f"chips/{r['event_id']}.png", Path(chip).read_bytes())
            else:
                notes.append(f"{r['event_id']}: its radar chip {chip} is not on disk")
            if "scenes" in store.tables():
                scenes += store.sql("SELECT * FROM scenes WHERE scene_id = ?", [a.get("scene")]).to_pylist()
        elif r["type"] == "watchlist_vessel_at_site" and a.get("list_source"):
            path, _, line = a["list_source"].rpartition("#line ")
            try:
                text = Path(path).read_text(encoding="utf-8").splitlines()[int(line) - 1]
                w.add(f"lists/{r['event_id']}.txt", f"{a['list_source']}\n{text}\n")
            except (OSError, ValueError, IndexError):
                notes.append(f"{r['event_id']}: watchlist entry {a['list_source']} cannot be read")
    if scenes:
        w.add("scenes.json", json.dumps(scenes, default=str, indent=1) + "\n")
    return notes


def build_bundle(store: Store, events: pa.Table, sites: SiteCatalogue, out: str | Path,
                 params: Bundling | None = None, subject: dict | None = None, extra: dict[str, bytes] | None = None,
                 key: Path | None = None) -> Path:
    """Write the bundle of ``events`` (rows of the store's events table) to ``out``."""
    params = params or Bundling()
    events = _with_visits(store, events.slice(0, params.max_events))
    cfg = events_config(store, events)
    track = events.filter(pa.array([t in EVENT_TYPES or t == "watchlist_vessel_at_site"
                                    for t in events["type"].to_pylist()], pa.bool_()))
    evidence = [h for e in track["evidence"].to_pylist() for h in (e or [])]
    records = select_records(store, windows_of(_context(store, track), params.context_h), evidence,
                             cfg.port_visits.draught_window_h)
    sources = read_records(store, records)
    w = BundleWriter()
    inputs, index = _record_members(w, sources, records)
    w.add("records/index.csv", index)
    near = _sites(sites, records, params.site_margin_deg)
    w.add("figures/events.svg", track_figure(records, events, near))
    w.add("sites.geojson", json.dumps(near.to_geojson(), indent=1) + "\n")
    buf = io.BytesIO()
    pq.write_table(events, buf)
    w.add("events.parquet", buf.getvalue())
    gj = Path(out).with_suffix(".tmp.geojson")
    write_events(events, gj)
    w.add("events.geojson", gj.read_bytes())
    gj.unlink()
    notes = _extras(w, store, events)
    for name, data in (extra or {}).items():
        w.add(name, data)
    subject = subject or {"kind": "event", "ids": events["event_id"].to_pylist()}
    fields = {"store": str(store.path), "store_id": store.meta("store_id"), "subject": subject,
              "parameters": {"events": cfg.to_dict(), "bundle": asdict(params)}, "inputs": inputs,
              "records": records.num_rows, "notes": notes}
    w.add("summary.md", summary_markdown(events, fields, records.num_rows))
    w.add("summary.html", summary_html(events, fields, records.num_rows))
    manifest = w.manifest(**fields)
    return w.write(out, manifest, sign(manifest_bytes(manifest), key) if key else None)


__all__ = ["Bundling", "build_bundle", "events_config", "find_events"]
