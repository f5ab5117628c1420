"""What screening adds to the store and writes: ``watchlist_vessel_at_site`` events and dossiers.

A ``watchlist_vessel_at_site`` event is a port visit (from the store's ``events`` table) by a
vessel with a watchlist hit: same times, place and evidence as the visit, plus the hit (list,
program, entity, listed name, score, the features that fired) in its attributes. Its id is a
content hash like every event id, so re-screening adds nothing.

A dossier is one JSON document per vessel: its identity history, its events and its hits.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from harborwatch.core.ids import canonical_json, content_id
from harborwatch.events.schema import EVENTS, events_from_rows
from harborwatch.screening.match import Screen

EVENT_TYPE = "watchlist_vessel_at_site"


def _visits(store, mmsis: list[int]) -> pa.Table:
    if not mmsis:
        return EVENTS.empty_table()
    t = store.sql("SELECT * FROM events WHERE type = 'port_visit' AND mmsi IN (" + ", ".join("?" for _ in mmsis)
                  + ") ORDER BY start, mmsi, event_id", [int(m) for m in mmsis])
    return t.select(EVENTS.names).cast(EVENTS)


def _has_events(store) -> bool:
    names = {r["table_name"] for r in store.sql("SELECT table_name FROM information_schema.tables").to_pylist()}
    return "events" in names


def watchlist_events(store, hits: pa.Table, params: Screen, site_ids: list[str] | None = None) -> pa.Table:
    """One event per (port visit, best hit of that vessel per list entry)."""
    if hits.num_rows == 0 or not _has_events(store):
        return EVENTS.empty_table()
    visits = _visits(store, sorted(set(hits["mmsi"].to_pylist())))
    if site_ids:
        visits = visits.filter(pc.is_in(visits["site_id"], pa.array(site_ids)))
    by_mmsi: dict[int, list[dict]] = {}
    for h in hits.to_pylist():
        by_mmsi.setdefault(h["mmsi"], []).append(h)
    param_json = canonical_json({"screening": asdict(params)})
    rows = []
    for v in visits.to_pylist():
        for h in by_mmsi.get(v["mmsi"], []):
            start = int(v["start"].timestamp() * 1000)
            end = int(v["end"].timestamp() * 1000)
            attrs = {"visit_event_id": v["event_id"], "list": h["list"], "program": h["program"],
                     "entity_id": h["entity_id"], "name_listed": h["name_listed"], "name_seen": h["name_seen"],
                     "score": h["score"], "features": json.loads(h["features"]),
                     "list_source": f"{h['source_file']}#{h['source_record']}"}
            eid = content_id(EVENT_TYPE, v["mmsi"], None, v["site_id"], start, end, h["list"], h["entity_id"],
                             param_json)
            rows.append({"event_id": eid, "type": EVENT_TYPE, "mmsi": v["mmsi"], "mmsi_2": None, "start": start,
                         "end": end, "lat": v["lat"], "lon": v["lon"], "site_id": v["site_id"],
                         "confidence": 3 if h["score"] >= 0.9 else 2, "attributes": canonical_json(attrs),
                         "parameters": param_json, "evidence_count": v["evidence_count"],
                         "evidence": v["evidence"]})
    return events_from_rows(rows).sort_by([("start", "ascending"), ("mmsi", "ascending"), ("event_id", "ascending")])


def dossiers(store, hits: pa.Table, out_dir: Path) -> list[Path]:
    """One ``<mmsi>.json`` per vessel with hits: identity history, events, hits."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    has_events = _has_events(store)
    for m in sorted(set(hits["mmsi"].to_pylist())):
        ident = store.sql("SELECT * FROM identity WHERE mmsi = ? ORDER BY valid_from", [int(m)]).to_pylist()
        evs = (store.sql("SELECT event_id, type, mmsi, mmsi_2, start, \"end\", lat, lon, site_id, confidence, "
                         "attributes FROM events WHERE mmsi = ? OR mmsi_2 = ? ORDER BY start, type, event_id",
                         [int(m), int(m)]).to_pylist() if has_events else [])
        for e in evs:
            e["attributes"] = json.loads(e["attributes"] or "{}")
        mh = [dict(h, features=json.loads(h["features"])) for h in hits.to_pylist() if h["mmsi"] == m]
        doc = {"mmsi": m, "identity_history": ident, "hits": mh, "events": evs,
               "note": "identity history from the store's identity table; events from its events table; hits "
                       "with the features that fired (see harborwatch.screening.match for weights)"}
        p = out_dir / f"{m}.json"
        p.write_text(json.dumps(doc, indent=1, default=str) + "\n")
        paths.append(p)
    return paths


__all__ = ["EVENT_TYPE", "dossiers", "watchlist_events"]
