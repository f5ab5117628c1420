"""The one event schema, and the intermediate tables the engines pass between stages."""

from __future__ import annotations

import pyarrow as pa

TS = pa.timestamp("ms", tz="UTC")


def _f(name: str, typ: pa.DataType, doc: str, nullable: bool = True) -> pa.Field:
    return pa.field(name, typ, nullable=nullable, metadata={"doc": doc})


#: Every event, whatever its type. Geometry is the point (lon, lat), WGS 84 (EPSG:4326).
EVENTS = pa.schema([
    _f("event_id", pa.string(), "32 hex digits of SHA-256 over type, vessels, site, start, end and parameters", False),
    _f("type", pa.string(), "port_visit | voyage | gap | encounter | loitering | identity_change | invalid_imo | "
       "shared_imo | shared_mmsi | teleport | on_land | watchlist_vessel_at_site (added by screening) | "
       "dark_vessel (added by fusion; mmsi 0: no AIS identity) | new_structure (added by imagery; mmsi 0)", False),
    _f("mmsi", pa.uint32(), "the vessel", False),
    _f("mmsi_2", pa.uint32(), "the other vessel (encounter, shared_imo, identity_change of MMSI); null otherwise"),
    _f("start", TS, "start, UTC", False),
    _f("end", TS, "end, UTC (equal to start for instantaneous events)", False),
    _f("lat", pa.float64(), "representative latitude, degrees north (WGS 84)"),
    _f("lon", pa.float64(), "representative longitude, degrees east (WGS 84)"),
    _f("site_id", pa.string(), "site of the event (port visit site; voyage destination), from the site catalogue"),
    _f("confidence", pa.int8(), "1 (weak) .. 4 (strong); port visits use GFW's levels"),
    _f("attributes", pa.string(), "JSON object of type-specific measurements (units in the key names)"),
    _f("parameters", pa.string(), "JSON object of every rule parameter the event depends on"),
    _f("evidence_count", pa.int32(), "number of stored records the event rests on", False),
    _f("evidence", pa.list_(pa.uint64()), "record_hash of each of those records (positions or static reports)"),
])

#: What the per-vessel and per-pair stages emit (with their ids);
#: :func:`~harborwatch.events.stages.finalize` adds parameters and evidence counts.
RAW = pa.schema([f for f in EVENTS if f.name not in ("parameters", "evidence_count")])

#: Resampled positions for the encounter join: one row per track and slot, ordered by
#: (mmsi, hull, slot); ``ref0``/``ref1`` are the records interpolated between.
POINTS = pa.schema([
    pa.field("slot", pa.int64(), nullable=False),
    pa.field("mmsi", pa.uint32(), nullable=False),
    pa.field("hull", pa.int32(), nullable=False),
    pa.field("lat", pa.float64()),
    pa.field("lon", pa.float64()),
    pa.field("speed_kn", pa.float64()),
    pa.field("ref0", pa.uint64()),
    pa.field("ref1", pa.uint64()),
])

#: Close pairs (one row per slot and pair of tracks within the encounter distance).
PAIRS = pa.schema([
    pa.field("mmsi_a", pa.uint32(), nullable=False),
    pa.field("hull_a", pa.int32(), nullable=False),
    pa.field("mmsi_b", pa.uint32(), nullable=False),
    pa.field("hull_b", pa.int32(), nullable=False),
    pa.field("slot", pa.int64(), nullable=False),
    pa.field("lat_a", pa.float64()), pa.field("lon_a", pa.float64()), pa.field("speed_a", pa.float64()),
    pa.field("ref0_a", pa.uint64()), pa.field("ref1_a", pa.uint64()),
    pa.field("lat_b", pa.float64()), pa.field("lon_b", pa.float64()), pa.field("speed_b", pa.float64()),
    pa.field("ref0_b", pa.uint64()), pa.field("ref1_b", pa.uint64()),
])

#: Positions per reception cell, UTC day and receiver kind.
RECEPTION = pa.schema([
    pa.field("cell_r", pa.int32(), nullable=False),
    pa.field("cell_c", pa.int32(), nullable=False),
    pa.field("day", pa.int32(), nullable=False),
    pa.field("receiver", pa.string(), nullable=False),
    pa.field("positions", pa.int64(), nullable=False),
    pa.field("vessels", pa.int64(), nullable=False),
])

#: Per (IMO, MMSI): when the pair was reported, for identity links across MMSIs.
IDS = pa.schema([
    pa.field("imo", pa.uint32(), nullable=False),
    pa.field("mmsi", pa.uint32(), nullable=False),
    pa.field("first", TS, nullable=False),
    pa.field("last", TS, nullable=False),
    pa.field("reports", pa.int64(), nullable=False),
    pa.field("ref_first", pa.uint64()),
    pa.field("ref_last", pa.uint64()),
])


def events_from_rows(rows: list[dict]) -> pa.Table:
    """An :data:`EVENTS` table from event rows given as dicts (``start`` / ``end`` as epoch
    milliseconds, UTC): the one way rows built outside the engines (screening, fusion) become
    events."""
    if not rows:
        return EVENTS.empty_table()
    ms = pa.schema([f.with_type(pa.int64()) if f.name in ("start", "end") else f for f in EVENTS])
    t = pa.Table.from_pylist(rows, schema=ms)
    for c in ("start", "end"):
        t = t.set_column(t.column_names.index(c), c, t[c].cast(EVENTS.field(c).type))
    return t.cast(EVENTS)
