"""Canonical Arrow schemas of the store, with units.

Every table carries ``source_file`` and ``source_ref`` (the 1-based line of a text
format, or the 1-based data row of a CSV, header excluded) so that any figure can be
traced to the record it came from, and ``record_hash``: a 64-bit content hash used to
make ingest idempotent (see DESIGN.md, "Record identity").

Timestamps are ``timestamp[ms, tz=UTC]``. Coordinates are WGS 84 decimal degrees
(EPSG:4326). Null means "not available" — AIS sentinel values (lat 91, lon 181,
sog 102.3, heading 511, ...) are mapped to null at ingest by :data:`SENTINELS`.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa

TIMESTAMP = pa.timestamp("ms", tz="UTC")

#: Receiver kinds (dictionary values of the ``receiver`` column).
RECEIVERS = ("terrestrial", "satellite", "unknown")


def _f(name: str, typ: pa.DataType, doc: str, nullable: bool = True) -> pa.Field:
    return pa.field(name, typ, nullable=nullable, metadata={"doc": doc})


_PROVENANCE = [
    _f("source_file", pa.string(), "input file (archive members as archive.zip!member)", False),
    _f("source_ref", pa.int64(), "1-based physical line in source_file (a CSV header is line 1)", False),
    _f("record_hash", pa.uint64(), "64-bit content hash; the record's identity for de-duplication", False),
]

POSITIONS = pa.schema(
    [
        _f("mmsi", pa.uint32(), "Maritime Mobile Service Identity of a vessel (9 digits, known MID)", False),
        _f("timestamp", TIMESTAMP, "time of reception (tag block c:, vendor column or export time), UTC", False),
        _f("lat", pa.float64(), "latitude, degrees north, WGS 84; null if not available"),
        _f("lon", pa.float64(), "longitude, degrees east, WGS 84, -180..180; null if not available"),
        _f("sog_kn", pa.float32(), "speed over ground, knots; 102.2 means >= 102.2"),
        _f("cog_deg", pa.float32(), "course over ground, degrees true, 0 <= cog < 360"),
        _f("heading_deg", pa.int16(), "true heading, degrees, 0..359"),
        _f("rot_deg_min", pa.float32(), "rate of turn, degrees per minute, + = starboard (ITU: (ROT_AIS/4.733)^2)"),
        _f("nav_status", pa.int8(), "navigational status code 0..14 (ITU-R M.1371 table 45); 15 -> null"),
        _f("position_accuracy", pa.bool_(), "true = high (< 10 m, DGNSS)"),
        _f("msg_type", pa.int8(), "AIS message type (1, 2, 3, 18, 19, 27; null if the source does not say)"),
        _f("receiver", pa.string(), "terrestrial | satellite | unknown"),
        _f("station", pa.string(), "receiving station (tag block s:, or the source's station column)"),
        *_PROVENANCE,
    ]
)

STATIC = pa.schema(
    [
        _f("mmsi", pa.uint32(), "MMSI of the vessel", False),
        _f("timestamp", TIMESTAMP, "time of reception, UTC", False),
        _f("msg_type", pa.int8(), "AIS message type (5, 19, 24; null for CSV exports)"),
        _f("imo", pa.uint32(), "IMO ship number as reported (check digit NOT guaranteed: see imo_valid)"),
        _f("imo_valid", pa.bool_(), "IMO has 7 digits and a correct check digit"),
        _f("name", pa.string(), "vessel name, upper case, trimmed"),
        _f("callsign", pa.string(), "radio call sign"),
        _f("ship_type", pa.int16(), "ship and cargo type code 1..99 (ITU-R M.1371 table 53)"),
        _f("ship_type_text", pa.string(), "ship type as text when the source gives no code"),
        _f("length_m", pa.float32(), "overall length, metres (to_bow + to_stern)"),
        _f("beam_m", pa.float32(), "beam, metres (to_port + to_starboard)"),
        _f("draught_m", pa.float32(), "present static draught, metres"),
        _f("destination", pa.string(), "destination as typed by the crew"),
        _f("eta", TIMESTAMP, "estimated time of arrival, UTC (year inferred from the report time)"),
        _f("deadweight_t", pa.float32(), "deadweight, metric tonnes (exports that carry it)"),
        _f("flag", pa.string(), "flag state, ISO 3166 alpha-2, as given by the source (not from the MID)"),
        _f("receiver", pa.string(), "terrestrial | satellite | unknown"),
        _f("station", pa.string(), "receiving station"),
        *_PROVENANCE,
        _f("reports", pa.int32(), "reports this row stands for: 1 for a static message; CSV rows repeat the "
           "attributes on every position, and a run of equal ones is stored as its first row (the run's length "
           "less one) and its last (1). Null in stores made before the column: read as 1"),
    ]
)

STATIONS = pa.schema(
    [
        _f("mmsi", pa.uint32(), "MMSI of the non-vessel station", False),
        _f("timestamp", TIMESTAMP, "time of reception, UTC", False),
        _f("station_class", pa.string(), "coast_station, aid_to_navigation, sar_aircraft, ... (ITU-R M.585)", False),
        _f("msg_type", pa.int8(), "AIS message type"),
        _f("lat", pa.float64(), "latitude, degrees, WGS 84"),
        _f("lon", pa.float64(), "longitude, degrees, WGS 84"),
        _f("name", pa.string(), "name (aids to navigation; type 21 with its name extension)"),
        _f("receiver", pa.string(), "terrestrial | satellite | unknown"),
        _f("station", pa.string(), "receiving station"),
        *_PROVENANCE,
        _f("sog_kn", pa.float32(), "speed over ground, knots (type 9: 0-1022, 1022 means >= 1022)"),
        _f("cog_deg", pa.float32(), "course over ground, degrees (type 9)"),
        _f("altitude_m", pa.int16(), "altitude of a SAR aircraft, metres (type 9; 4094 means >= 4094)"),
    ]
)

OTHER_MESSAGES = pa.schema(
    [
        _f("mmsi", pa.uint32(), "source MMSI"),
        _f("timestamp", TIMESTAMP, "time of reception, UTC", False),
        _f("msg_type", pa.int8(), "AIS message type (binary, safety, acknowledgement, ...)"),
        _f("raw", pa.string(), "the record as read (NMEA sentences joined by newline, or the CSV row)", False),
        _f("station", pa.string(), "receiving station"),
        *_PROVENANCE,
    ]
)

QUARANTINE = pa.schema(
    [
        _f("source_file", pa.string(), "input file", False),
        _f("source_ref", pa.int64(), "1-based line or data row", False),
        _f("reason", pa.string(), "reason code (see DESIGN.md, 'Quarantine reasons')", False),
        _f("field", pa.string(), "offending field, when one is known"),
        _f("detail", pa.string(), "human-readable detail"),
        _f("raw", pa.string(), "the record as read", False),
        _f("record_hash", pa.uint64(), "hash of (raw, reason): re-ingesting the file adds nothing", False),
    ]
)

#: Optional fields of stored records that could not be used: the record is stored with the field
#: null, and each such field is one row here (never nulled silently).
FIELD_ISSUES = pa.schema(
    [
        _f("source_file", pa.string(), "input file", False),
        _f("source_ref", pa.int64(), "1-based line or data row of the record", False),
        _f("field", pa.string(), "the field stored as null", False),
        _f("reason", pa.string(), "not_a_number | not_an_integer | bad_time | out_of_range", False),
        _f("value", pa.string(), "the value as read"),
        _f("record_hash", pa.uint64(), "hash of (the stored record, field): re-ingesting adds nothing", False),
    ]
)

#: Counts made at a site (rail cars on a crossing's sidings...), from analysts' files or imagery.
COUNTS = pa.schema(
    [
        _f("site_id", pa.string(), "site the count was made at", False),
        _f("observed_at", TIMESTAMP, "when (a date alone: 00:00 UTC of that day)", False),
        _f("quantity", pa.string(), "what was counted: rail_cars, containers...", False),
        _f("count", pa.int64(), "how many", False),
        _f("lat", pa.float64(), "where the count was made, when given"),
        _f("lon", pa.float64(), "where the count was made, when given"),
        _f("source", pa.string(), "who or what counted"),
        _f("note", pa.string(), "free text"),
        *_PROVENANCE,
    ]
)

#: Trade statistics (UN Comtrade bulk files): one row per reporter, partner, flow, HS code and period.
TRADE = pa.schema(
    [
        _f("reporter", pa.string(), "reporting country, ISO 3166 alpha-3 (its name when the file has no code)", False),
        _f("partner", pa.string(), "partner country, ISO 3166 alpha-3 (W00 / World for all partners)", False),
        _f("flow", pa.string(), "import | export | re-import | re-export, as the reporter declares it", False),
        _f("hs_code", pa.string(), "commodity code (HS; TOTAL for all goods)", False),
        _f("year", pa.int16(), "year of the period", False),
        _f("month", pa.int8(), "month of the period; null for a yearly figure"),
        _f("value_usd", pa.float64(), "trade value, US dollars (primary value: CIF for imports, FOB for exports)"),
        _f("net_weight_kg", pa.float64(), "net weight, kilograms"),
        _f("quantity", pa.float64(), "quantity in quantity_unit"),
        _f("quantity_unit", pa.string(), "unit of quantity"),
        *_PROVENANCE,
    ]
)

#: Reported deliveries of refined petroleum (the kind the UN 1718 Committee publishes).
DELIVERIES = pa.schema(
    [
        _f("date", TIMESTAMP, "date of the delivery (00:00 UTC of that day)", False),
        _f("barrels", pa.float64(), "barrels delivered (from tonnes at barrels_per_tonne when only tonnes are given)",
           False),
        _f("tonnes", pa.float64(), "tonnes delivered, when reported"),
        _f("supplier", pa.string(), "the state reporting the delivery (RU, CN...)"),
        _f("source", pa.string(), "who published the figure", False),
        _f("note", pa.string(), "free text"),
        *_PROVENANCE,
    ]
)

TABLES: dict[str, pa.Schema] = {
    "positions": POSITIONS,
    "static": STATIC,
    "stations": STATIONS,
    "other_messages": OTHER_MESSAGES,
    "quarantine": QUARANTINE,
    "field_issues": FIELD_ISSUES,
    "counts": COUNTS,
    "trade": TRADE,
    "petroleum_deliveries": DELIVERIES,
}

#: Tables whose rows are records (each input record is exactly one row of one of them).
PRIMARY_TABLES = ("positions", "static", "stations", "other_messages", "quarantine", "counts", "trade",
                  "petroleum_deliveries")

# ---------------------------------------------------------------------------
# "Not available" sentinels, one table per message type (ITU-R M.1371-5).
# Values are in the *decoded* unit (degrees, knots, ...). A field equal to its
# sentinel becomes null; it is not a reason to quarantine.
# ---------------------------------------------------------------------------
_CLASS_A = {
    "lat": 91.0,
    "lon": 181.0,
    "sog_kn": 102.3,
    "cog_deg": 360.0,
    "heading_deg": 511,
    "nav_status": 15,
    "rot_raw": -128,
}
_CLASS_B = {"lat": 91.0, "lon": 181.0, "sog_kn": 102.3, "cog_deg": 360.0, "heading_deg": 511}
_STATIC = {
    "imo": 0,
    "ship_type": 0,
    "draught_m": 0.0,
    "length_m": 0.0,
    "beam_m": 0.0,
    "name": "",
    "callsign": "",
    "destination": "",
}

SENTINELS: dict[int, dict[str, Any]] = {
    1: _CLASS_A,
    2: _CLASS_A,
    3: _CLASS_A,
    4: {"lat": 91.0, "lon": 181.0},
    5: _STATIC,
    9: {"lat": 91.0, "lon": 181.0, "sog_kn": 1023.0, "cog_deg": 360.0},
    18: _CLASS_B,
    19: {**_CLASS_B, **_STATIC},
    21: {"lat": 91.0, "lon": 181.0, "name": ""},
    24: _STATIC,
    # Type 27 (long range): position in 1/10 minute, speed in whole knots (63 = n/a),
    # course in whole degrees (511 = n/a).
    27: {"lat": 91.0, "lon": 181.0, "sog_kn": 63.0, "cog_deg": 511.0, "nav_status": 15},
}

#: Used for exports that do not say which message a row came from.
SENTINELS_UNKNOWN_TYPE: dict[str, Any] = {**_CLASS_A, **_STATIC}

#: Valid ranges after sentinel mapping; a value outside quarantines the record.
RANGES: dict[str, tuple[float, float]] = {
    "lat": (-90.0, 90.0),
    "lon": (-180.0, 180.0),
    "sog_kn": (0.0, 102.2),
    "cog_deg": (0.0, 359.95),
    "heading_deg": (0, 359),
    "nav_status": (0, 14),
    "draught_m": (0.0, 25.5),
    "length_m": (0.0, 1000.0),
    "beam_m": (0.0, 150.0),
}


def rot_deg_per_min(rot_raw: int) -> float | None:
    """Convert the ITU ROT indicator (-128..127) to degrees per minute.

    -128 means not available; +-127 means turning faster than 5 deg/30 s with no turn
    indicator: the magnitude is unknown, so both are None.
    """
    if rot_raw in (-128, 127, -127):
        return None
    value = (rot_raw / 4.733) ** 2
    return value if rot_raw >= 0 else -value


def empty_table(name: str) -> pa.Table:
    return TABLES[name].empty_table()
