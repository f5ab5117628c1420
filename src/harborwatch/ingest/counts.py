"""Counts an analyst (or an imagery counter) made at a site: rail cars on a crossing's sidings,
containers in a yard. Three layouts are read, each record one count:

* **CSV** with a header: a time column (``date``, ``time``, ``timestamp`` or ``observed_at``:
  ISO 8601, a date alone meaning that UTC day), ``site_id`` (or the ``site`` given), and the count in
  a column named after the quantity (``rail_cars``) or ``count``; ``source`` / ``note`` are kept;
* **GeoJSON**: a FeatureCollection whose features carry the same properties (the geometry, if
  any, is where the count was made);
* **COCO** (the object-detection annotation format): each image is one count, of its
  annotations whose category names the quantity (``rail_car``, ``railcar``, ``wagon``...); the
  time is the image's ``date_captured`` and the site its ``site_id`` (or the ``site`` given).

A record that cannot be used (no time, no site, a count that is not a whole number >= 0) goes to
the quarantine with a reason and the offending field (strict mode raises instead), so records
in = stored + quarantined + duplicates, as for AIS.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa

from harborwatch.core.errors import DataError, FormatError
from harborwatch.core.ids import content_id
from harborwatch.core.schema import COUNTS, QUARANTINE

TIME_COLUMNS = ("observed_at", "timestamp", "time", "date", "date_captured")
#: Category names that a COCO file may use for each quantity.
CATEGORY_NAMES = {"rail_cars": {"rail_car", "railcar", "rail car", "wagon", "railway wagon", "freight car"},
                  "containers": {"container", "shipping container"}}


@dataclass
class Counts:
    """What a counts file gave: stored rows, quarantined rows and the records read."""

    rows: list[dict] = field(default_factory=list)
    rejects: list[dict] = field(default_factory=list)
    records_in: int = 0
    fmt: str = ""

    def tables(self) -> dict[str, pa.Table]:
        return {"counts": pa.Table.from_pylist(self.rows, schema=COUNTS),
                "quarantine": pa.Table.from_pylist(self.rejects, schema=QUARANTINE)}


def _hash(*parts) -> int:
    return int(content_id(*parts, digits=16), 16)


def parse_time(text) -> datetime:
    """ISO 8601 (a date alone is that UTC day; a time without zone is UTC)."""
    if text is None or str(text).strip() == "":
        raise DataError("no time given", field="time", reason="bad_time")
    s = str(text).strip().replace("Z", "+00:00")
    t = datetime.fromisoformat(s.replace(" ", "T", 1) if len(s) > 10 else s)
    return t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)


class _Reader:
    def __init__(self, name: str, quantity: str, site: str | None, strict: bool) -> None:
        self.name, self.quantity, self.site, self.strict = name, quantity, site, strict
        self.out = Counts()

    def record(self, ref: int, raw: str, props: dict, count=None, geometry: dict | None = None) -> None:
        """One record: its properties (time, site, count, source, note) or ``count`` given."""
        self.out.records_in += 1
        t_text = next((props[k] for k in TIME_COLUMNS if props.get(k) not in (None, "")), None)
        site = props.get("site_id") or self.site
        value = count if count is not None else props.get(self.quantity, props.get("count"))
        try:
            t = parse_time(t_text)
        except (ValueError, TypeError):
            return self.reject(ref, raw, "bad_time", "time", f"time {t_text!r} is not an ISO 8601 date or time")
        if not site:
            return self.reject(ref, raw, "missing_field", "site_id", "no site_id (give --site for the whole file)")
        try:
            n = float(str(value).strip())
        except (ValueError, TypeError):
            return self.reject(ref, raw, "not_a_number", self.quantity, f"count {value!r} is not a number")
        if n < 0 or n != int(n):
            return self.reject(ref, raw, "out_of_range", self.quantity, f"count {value!r} is not a whole number >= 0")
        lon, lat = (geometry or {}).get("coordinates", (None, None))[:2] if (geometry or {}).get(
            "type") == "Point" else (None, None)
        self.out.rows.append({
            "site_id": str(site), "observed_at": t, "quantity": self.quantity, "count": int(n),
            "lat": lat, "lon": lon, "source": props.get("source"), "note": props.get("note"),
            "source_file": self.name, "source_ref": ref,
            "record_hash": _hash(str(site), int(t.timestamp() * 1000), self.quantity, int(n))})

    def reject(self, ref: int, raw: str, reason: str, fld: str, detail: str) -> None:
        self.out.rejects.append(quarantine_row(self.name, ref, raw, reason, fld, detail, self.strict))


def quarantine_row(name: str, ref: int, raw: str, reason: str, fld: str, detail: str, strict: bool) -> dict:
    """The quarantine row of a bad record of a table file (strict mode raises instead, naming the
    file, line and field)."""
    if strict:
        raise DataError(detail, source=name, ref=ref, reason=reason, field=fld,
                        hint="run without --strict to quarantine bad records and continue")
    return {"source_file": name, "source_ref": ref, "reason": reason, "field": fld, "detail": detail, "raw": raw,
            "record_hash": _hash(raw, reason)}


def read_counts(path: str | Path, quantity: str = "rail_cars", site: str | None = None,
                strict: bool = False) -> Counts:
    """Read a counts file (CSV, GeoJSON or COCO JSON: told apart by content)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as e:
        raise FormatError(f"{path}: cannot read ({e.strerror or e})") from e
    r = _Reader(str(path), quantity, site, strict)
    if text.lstrip().startswith("{"):
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as e:
            raise FormatError(f"{path}: not valid JSON (line {e.lineno}: {e.msg})") from e
        if doc.get("type") == "FeatureCollection":
            r.out.fmt = "geojson"
            for i, f in enumerate(doc.get("features") or [], start=1):
                r.record(i, json.dumps(f, sort_keys=True), (f or {}).get("properties") or {},
                         geometry=(f or {}).get("geometry"))
        elif "images" in doc and "annotations" in doc:
            r.out.fmt = "coco"
            _coco(r, doc)
        else:
            raise FormatError(f"{path}: JSON that is neither a GeoJSON FeatureCollection nor COCO annotations")
    else:
        r.out.fmt = "csv"
        rows = csv.DictReader(io.StringIO(text))
        if not rows.fieldnames or not ({quantity, "count"} & set(rows.fieldnames)):
            raise FormatError(f"{path}: a counts CSV needs a header with a {quantity!r} or 'count' column",
                              hint=f"columns found: {rows.fieldnames}")
        for row in rows:
            raw = ",".join("" if v is None else str(v) for v in row.values())
            r.record(rows.line_num, raw, row)
    return r.out


def write_counts(rows: list[dict], path: str | Path, quantity: str = "rail_cars") -> Path:
    """Write counts (dicts with ``time``, ``site_id``, the quantity, ``source``, ``note``) as the CSV
    layout :func:`read_counts` reads."""
    path = Path(path)
    with path.open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=["time", "site_id", quantity, "source", "note"], extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)
    return path


def _coco(r: _Reader, doc: dict) -> None:
    names = CATEGORY_NAMES.get(r.quantity, {r.quantity, r.quantity.rstrip("s")})
    cats = {c.get("id") for c in doc.get("categories") or [] if str(c.get("name", "")).lower() in names}
    per_image: dict = {}
    for a in doc.get("annotations") or []:
        if a.get("category_id") in cats:
            per_image[a.get("image_id")] = per_image.get(a.get("image_id"), 0) + 1
    for i, img in enumerate(doc.get("images") or [], start=1):
        r.record(i, json.dumps(img, sort_keys=True), img, count=per_image.get(img.get("id"), 0))


__all__ = ["CATEGORY_NAMES", "Counts", "parse_time", "read_counts", "write_counts"]
