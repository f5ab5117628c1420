"""What the web service reads from a store: events (GeoJSON, keyset pages), vessels, tracks.

Plain functions over a read-only :class:`~harborwatch.store.Store`; no web framework here, so
they are tested directly and the API layer only parses parameters and shapes responses.
Record hashes (unsigned 64-bit) travel as decimal strings: JavaScript numbers would round them.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pyarrow as pa

from harborwatch.core.errors import DataError, NotFoundError
from harborwatch.core.params import Params
from harborwatch.store import Store

#: the columns an event feature carries (evidence and parameters only in the detail)
LIST_COLUMNS = ("event_id", "type", "mmsi", "mmsi_2", "start", "end", "lat", "lon", "site_id", "confidence",
                "attributes", "evidence_count")
MAX_LIMIT = 5000
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def iso(t: datetime | None) -> str | None:
    """An aware datetime as ISO 8601 UTC with ``Z``; None stays None."""
    if t is None:
        return None
    return t.astimezone(UTC).isoformat().replace("+00:00", "Z")


def encode_cursor(start: datetime, event_id: str) -> str:
    """The opaque keyset cursor after the event (start, event_id)."""
    ms = (start - EPOCH) // timedelta(milliseconds=1)
    return base64.urlsafe_b64encode(f"{ms}:{event_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    """(start, event_id) of a cursor made by :func:`encode_cursor`; DataError when it is not one."""
    bad = DataError(f"bad cursor {cursor[:40]!r}", field="cursor",
                    hint="pass back the next_cursor of the previous page unchanged")
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
        ms, event_id = text.split(":", 1)
        start = EPOCH + timedelta(milliseconds=int(ms))
    except (ValueError, OverflowError, UnicodeDecodeError, binascii.Error) as e:
        raise bad from e
    if not (event_id and all(c in "0123456789abcdef" for c in event_id)):
        raise bad
    return start, event_id


@dataclass(frozen=True)
class EventQuery(Params):
    """A page of events: filters, page size and the keyset cursor. Events overlap the window
    [since, until): they end at or after ``since`` and start before ``until``. ``bbox`` is
    (west, south, east, north) in degrees; west > east crosses the antimeridian."""

    types: tuple[str, ...] = ()
    site: str | None = None
    mmsi: int | None = None
    since: datetime | None = None
    until: datetime | None = None
    bbox: tuple[float, float, float, float] | None = None
    limit: int = 100
    cursor: str | None = None

    def validate(self) -> None:
        if not 1 <= self.limit <= MAX_LIMIT:
            raise DataError(f"limit must be 1..{MAX_LIMIT}, not {self.limit}", field="limit")
        if self.bbox is not None:
            w, s, e, n = self.bbox
            if not (-180 <= w <= 180 and -180 <= e <= 180 and -90 <= s <= n <= 90):
                raise DataError(f"bad bbox {self.bbox}", field="bbox",
                                hint="west,south,east,north in degrees: lon -180..180, lat -90..90, south <= north")
        if self.since and self.until and self.since >= self.until:
            raise DataError("since must be before until", field="since")
        if self.cursor is not None:
            decode_cursor(self.cursor)

    def where(self) -> tuple[str, list[Any]]:
        """The SQL condition and its parameters."""
        clauses: list[str] = []
        params: list[Any] = []
        if self.types:
            clauses.append(f"type IN ({','.join('?' * len(self.types))})")
            params += list(self.types)
        if self.site:
            clauses.append("site_id = ?")
            params.append(self.site)
        if self.mmsi is not None:
            clauses.append("(mmsi = ? OR mmsi_2 = ?)")
            params += [self.mmsi, self.mmsi]
        if self.since is not None:
            clauses.append('coalesce("end", start) >= ?')
            params.append(self.since)
        if self.until is not None:
            clauses.append("start < ?")
            params.append(self.until)
        if self.bbox is not None:
            w, s, e, n = self.bbox
            clauses.append("lat BETWEEN ? AND ?")
            params += [s, n]
            clauses.append("(lon BETWEEN ? AND ?)" if w <= e else "(lon >= ? OR lon <= ?)")
            params += [w, e]
        if self.cursor is not None:
            start, event_id = decode_cursor(self.cursor)
            clauses.append("(start > ? OR (start = ? AND event_id > ?))")
            params += [start, start, event_id]
        return (" AND ".join(clauses) or "TRUE"), params


def _attributes(text: str | None) -> dict:
    try:
        v = json.loads(text) if text else {}
    except json.JSONDecodeError:
        return {"_unparsed": text}
    return v if isinstance(v, dict) else {"value": v}


def event_links(event_id: str, type_: str, attributes: dict) -> dict:
    links = {"self": f"/api/events/{event_id}", "bundle": f"/api/bundles/{event_id}"}
    if type_ == "dark_vessel" and attributes.get("detection_id"):
        links["chip"] = f"/api/chips/{attributes['detection_id']}"
    return links


def feature(r: dict) -> dict:
    """A GeoJSON Feature of an event row (``id`` = event_id)."""
    attrs = _attributes(r.get("attributes"))
    geom = None if r.get("lat") is None or r.get("lon") is None else {
        "type": "Point", "coordinates": [round(r["lon"], 6), round(r["lat"], 6)]}
    props = {k: r.get(k) for k in ("type", "mmsi", "mmsi_2", "site_id", "confidence", "evidence_count")}
    props.update(start=iso(r.get("start")), end=iso(r.get("end")), attributes=attrs,
                 links=event_links(r["event_id"], r["type"], attrs))
    return {"type": "Feature", "id": r["event_id"], "geometry": geom, "properties": props}


def events_page(store: Store, q: EventQuery) -> dict:
    """One page of events as a GeoJSON FeatureCollection, ordered by (start, event_id), with
    ``next_cursor`` (null on the last page)."""
    q.validate()
    cond, params = q.where()
    cols = ", ".join(f'"{c}"' for c in LIST_COLUMNS)
    rows = store.con.execute(f"SELECT {cols} FROM events WHERE {cond} ORDER BY start, event_id LIMIT ?",
                             [*params, q.limit + 1]).fetchall()
    more = len(rows) > q.limit
    rows = rows[:q.limit]
    feats = [feature(dict(zip(LIST_COLUMNS, r))) for r in rows]
    nxt = encode_cursor(rows[-1][4], rows[-1][0]) if more and rows else None
    return {"type": "FeatureCollection", "features": feats, "next_cursor": nxt, "count": len(feats)}


def event_detail(store: Store, event_id: str) -> dict:
    """One event with its parameters and evidence (record hashes as decimal strings)."""
    if not (8 <= len(event_id) <= 64 and all(c in "0123456789abcdef" for c in event_id)):
        raise NotFoundError(f"no event {event_id[:70]!r}", hint="event ids are 32 hex digits")
    t = store.sql("SELECT * FROM events WHERE event_id = ?", [event_id])
    if t.num_rows == 0:
        raise NotFoundError(f"no event {event_id}")
    r = t.to_pylist()[0]
    f = feature(r)
    f["properties"]["parameters"] = _attributes(r.get("parameters"))
    f["properties"]["evidence"] = [str(h) for h in (r.get("evidence") or [])]
    return f


def info(store: Store) -> dict:
    """Counts by event type, the events' time span and extent: what the map page starts from."""
    rows = store.con.execute("SELECT type, count(*) FROM events GROUP BY 1 ORDER BY 2 DESC").fetchall()
    span = store.con.execute('SELECT min(start), max(coalesce("end", start)), min(lon), min(lat), max(lon), '
                             "max(lat) FROM events").fetchall()[0]
    return {"events": {t: int(n) for t, n in rows}, "first": iso(span[0]), "last": iso(span[1]),
            "bbox": None if span[2] is None else [span[2], span[3], span[4], span[5]]}


def vessel_search(store: Store, text: str, limit: int = 20) -> list[dict]:
    """Vessels whose MMSI or IMO starts with ``text`` or whose name contains it (latest identity)."""
    text = text.strip()
    if not text:
        return []
    rows = store.con.execute(
        "SELECT mmsi, arg_max(name, valid_to), arg_max(imo, valid_to), arg_max(flag, valid_to), max(valid_to) "
        "FROM identity WHERE CAST(mmsi AS VARCHAR) LIKE ? OR CAST(imo AS VARCHAR) LIKE ? OR name ILIKE ? "
        "GROUP BY mmsi ORDER BY mmsi LIMIT ?", [text + "%", text + "%", f"%{text}%", limit]).fetchall()
    return [{"mmsi": m, "name": n, "imo": i, "flag": f, "last_seen": iso(t)} for m, n, i, f, t in rows]


def vessel(store: Store, mmsi: int, recent: int = 50) -> dict:
    """A vessel's identity history, watchlist hits (``watchlist_vessel_at_site`` events) and most
    recent events."""
    ident = store.identity(mmsi).to_pylist()
    q = EventQuery(mmsi=mmsi, limit=MAX_LIMIT)
    cond, params = q.where()
    cols = ", ".join(f'"{c}"' for c in LIST_COLUMNS)
    ev = store.con.execute(f"SELECT {cols} FROM events WHERE {cond} ORDER BY start DESC, event_id LIMIT ?",
                           [*params, recent]).fetchall()
    hits = store.con.execute(f"SELECT {cols} FROM events WHERE {cond} AND type = 'watchlist_vessel_at_site' "
                             "ORDER BY start DESC, event_id LIMIT 100", params).fetchall()
    if not ident and not ev:
        raise NotFoundError(f"no vessel {mmsi} in the store")
    for r in ident:
        r["valid_from"], r["valid_to"] = iso(r["valid_from"]), iso(r["valid_to"])
    return {"mmsi": mmsi, "identity": ident,
            "watchlist": [feature(dict(zip(LIST_COLUMNS, r))) for r in hits],
            "events": [feature(dict(zip(LIST_COLUMNS, r))) for r in ev]}


def track(store: Store, mmsi: int, since: datetime | None, until: datetime | None,
          tolerance_deg: float = 0.0005, max_vertices: int = 5000) -> dict:
    """The vessel's positions in [since, until) as a LineString simplified (Douglas-Peucker,
    shapely) to ``tolerance_deg``, doubled until it has at most ``max_vertices`` vertices."""
    import shapely

    pos = store.positions(mmsi, since, until).select(["timestamp", "lat", "lon"])
    pos = pos.filter(pa.compute.and_(pa.compute.is_valid(pos["lat"]), pa.compute.is_valid(pos["lon"])))
    if pos.num_rows == 0:
        raise NotFoundError(f"no positions of {mmsi} in that window")
    lon, lat = pos["lon"].to_numpy(), pos["lat"].to_numpy()
    props = {"mmsi": mmsi, "positions": pos.num_rows, "first": iso(pos["timestamp"][0].as_py()),
             "last": iso(pos["timestamp"][-1].as_py())}
    if pos.num_rows == 1:
        return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon[0], lat[0]]},
                "properties": {**props, "vertices": 1, "tolerance_deg": 0.0}}
    line = shapely.linestrings(lon, lat)
    tol = tolerance_deg
    simple = shapely.simplify(line, tol, preserve_topology=False)
    while shapely.get_num_coordinates(simple) > max_vertices:
        tol *= 2
        simple = shapely.simplify(line, tol, preserve_topology=False)
    coords = shapely.get_coordinates(simple).round(6).tolist()
    return {"type": "Feature", "geometry": {"type": "LineString", "coordinates": coords},
            "properties": {**props, "vertices": len(coords), "tolerance_deg": tol}}


def chip_index(store: Store) -> dict[str, str]:
    """detection_id -> chip image file, from the store's dark-vessel events."""
    rows = store.con.execute("SELECT attributes FROM events WHERE type = 'dark_vessel'").fetchall()
    out = {}
    for (text,) in rows:
        a = _attributes(text)
        if a.get("detection_id") and a.get("chip_png"):
            out[str(a["detection_id"])] = str(a["chip_png"])
    return out


__all__ = ["MAX_LIMIT", "EventQuery", "chip_index", "decode_cursor", "encode_cursor", "event_detail", "events_page",
           "feature", "info", "iso", "track", "vessel", "vessel_search"]
